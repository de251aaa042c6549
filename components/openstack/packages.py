"""Which Debian packages each role needs: the services' specs say (registry.py), plus
COMMON. One apt run per node installs them all (under TCG a dpkg run costs minutes of
trigger processing, so one run beats one per service). `services` defaults to the
registry's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import SimpleNamespace

from components.openstack import registry
from components.openstack.spec import ROLES, ServiceSpec
from components.render import render

COMMON = ("chrony", "crudini", "curl", "python3-openstackclient")

# The controller hosts the cache for the others; it never uses it itself (a controller
# whose apt goes through its own not-yet-installed cache cannot install anything).
CACHE = "apt-cacher-ng"
CACHE_PORT = 3142


Services = Sequence[ServiceSpec] | None


def for_roles(roles: Iterable[str], services: Services = None) -> list[str]:
    by_role = registry.packages_by_role(registry.SERVICES if services is None else services)
    wanted = set(COMMON)
    for role in roles:
        wanted.update(by_role[role])
    return sorted(wanted)


def all_roles(services: Services = None) -> list[str]:
    """What an image for any node needs (the offline node image preinstalls these)."""
    return for_roles(ROLES, services)


def foreign_to(roles: Iterable[str], services: Services = None) -> list[str]:
    """Packages the shared image carries that a node with these roles does not run."""
    return sorted(set(all_roles(services)) - set(for_roles(roles, services)))


def preseed(cloud: object, tunnel_ip: str, services: Sequence[ServiceSpec]) -> str:
    """/etc/openstack-lab/preseed.txt: every service's debconf answers,
    templates/<service>/preseed.txt.j2 (a service without packages to tame has none)."""
    return render("base/preseed.txt.j2", cloud=cloud, tunnel_ip=tunnel_ip,
                  services=[s.name for s in services])


def image_preseed() -> str:
    """The install step's preseeds for an image shared by all nodes: node-specific answers
    get neutral values (the install step re-preseeds and writes whole config files)."""
    return preseed(SimpleNamespace(controller="controller"), "127.0.0.1", registry.SERVICES)
