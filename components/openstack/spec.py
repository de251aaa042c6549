"""What the install knows of a service besides its steps, declared once per service: a
`ServiceSpec` at the bottom of the service's module, listed in registry.py. Secrets,
package lists, the TLS endpoint's proxied ports, the guardrails' admin ports, catalog
registrations and the smoke check's expectations are derived from the specs (registry.py),
never typed again elsewhere.

Plain data only (no Pulumi): the policy pack reads the ports through registry.py too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The roles a node can have, in the order the smoke check lists what runs on a node.
ROLES = ("controller", "compute", "network", "storage")
# The service lists the smoke check reads: `openstack compute service list`,
# `openstack network agent list`, `openstack volume service list`.
REPORT_KINDS = ("compute", "network", "volume")


@dataclass(frozen=True)
class Port:
    """A TCP port the service listens on. Every one is an admin port (policy/guardrails.py:
    never open to the world)."""

    name: str  # the TLS endpoint's server block, when proxied
    number: int
    label: str  # how a guardrail violation names it
    proxied: bool = False  # the TLS endpoint serves it publicly, on the same number


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    type: str
    description: str
    port: int
    path: str = ""


@dataclass(frozen=True)
class Report:
    """A binary that must report up (smoke check) on every node with `role`."""

    kind: str  # one of REPORT_KINDS
    binary: str
    role: str

    def __post_init__(self) -> None:
        if self.kind not in REPORT_KINDS or self.role not in ROLES:
            raise ValueError(f"{self.binary}: kind {self.kind!r} / role {self.role!r} unknown")


@dataclass(frozen=True, eq=False)  # identity: a spec is a key of the steps built from it
class ServiceSpec:
    """One service of the install. `component(name, ServiceArgs, opts)` builds it and has a
    `ready` step; it is built after every service in `needs` and reaches their `ready`
    steps (only theirs) through `ServiceArgs.after` (service.Upstream)."""

    name: str  # the component is `<control plane>-<name>`
    component: Callable[..., Any]
    needs: tuple[ServiceSpec, ...] = ()
    ports: tuple[Port, ...] = ()
    catalog: tuple[CatalogEntry, ...] = ()  # registered by keystone.register
    roles: tuple[str, ...] = ()  # API policy roles beyond Keystone's defaults
    secrets: Mapping[str, int] = field(default_factory=dict)  # its own: name -> length
    database: bool = False  # a database and its password `db-<name>`
    service_user: bool = False  # a Keystone user `<name>`, password `user-<name>`
    packages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # role -> Debian
    reports: tuple[Report, ...] = ()
    smoke: bool = True  # the smoke check waits for its `ready` step directly

    def __post_init__(self) -> None:
        unknown = sorted(set(self.packages) - set(ROLES))
        if unknown:
            raise ValueError(f"{self.name}: packages for unknown role {unknown[0]!r}")

    def port(self, name: str) -> int:
        return next(p.number for p in self.ports if p.name == name)
