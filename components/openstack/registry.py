"""The install's services, in build order: one line per service (its module's `SPEC`).
Everything the install derives from the specs is here: build order, generated secrets,
packages per role, the ports the TLS endpoint proxies and the guardrails guard, and what
the smoke check expects to report up."""

from __future__ import annotations

from collections.abc import Sequence

from components.openstack import (cinder, glance, horizon, keystone, mariadb, memcached,
                                  neutron, nova, octavia, placement, rabbitmq, tls_endpoint)
from components.openstack.spec import REPORT_KINDS, ROLES, ServiceSpec
from components.openstack.tls_endpoint import proxied_ports

__all__ = ["SERVICES", "admin_ports", "build_order", "expected_reports", "packages_by_role",
           "proxied_ports", "secret_lengths"]

SERVICES: tuple[ServiceSpec, ...] = (
    mariadb.SPEC,
    rabbitmq.SPEC,
    memcached.SPEC,
    keystone.SPEC,
    tls_endpoint.SPEC,
    glance.SPEC,
    placement.SPEC,
    nova.SPEC,
    neutron.SPEC,
    cinder.SPEC,
    octavia.SPEC,
    horizon.SPEC,
)

PASSWORD_LENGTH = 32  # databases' and service users'


def build_order(services: Sequence[ServiceSpec]) -> list[ServiceSpec]:
    """`services` as given, once checked that each comes after every service it needs."""
    seen: set[str] = set()
    for spec in services:
        missing = [n.name for n in spec.needs if n.name not in seen]
        if missing:
            raise ValueError(f"{spec.name} needs {missing[0]}, which is not listed before it")
        if spec.name in seen:
            raise ValueError(f"{spec.name} is listed twice")
        seen.add(spec.name)
    return list(services)


def secret_lengths(services: Sequence[ServiceSpec]) -> dict[str, int]:
    """Every generated secret (name -> length): each service's own, then the database and
    Keystone user passwords."""
    return {
        **{n: length for s in services for n, length in s.secrets.items()},
        **{f"db-{s.name}": PASSWORD_LENGTH for s in services if s.database},
        **{f"user-{s.name}": PASSWORD_LENGTH for s in services if s.service_user},
    }


def packages_by_role(services: Sequence[ServiceSpec]) -> dict[str, tuple[str, ...]]:
    return {role: tuple(p for s in services for p in s.packages.get(role, ()))
            for role in ROLES}


def admin_ports(services: Sequence[ServiceSpec]) -> dict[int, str]:
    """Every port a service listens on -> its label (policy/guardrails.py)."""
    return {p.number: p.label for s in services for p in s.ports}


def expected_reports(services: Sequence[ServiceSpec], roles_by_node: Sequence[
        tuple[str, Sequence[str]]]) -> dict[str, list[tuple[str, str]]]:
    """Which binaries must report up on which hosts: per service list, (binary, host)
    by node, and on a node by role (ROLES' order) and service."""
    expected: dict[str, list[tuple[str, str]]] = {kind: [] for kind in REPORT_KINDS}
    for node, roles in roles_by_node:
        for role in (r for r in ROLES if r in roles):
            for spec in services:
                for report in spec.reports:
                    if report.role == role:
                        expected[report.kind].append((report.binary, node))
    return expected
