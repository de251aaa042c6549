"""Which Debian packages each role needs. One apt run per node installs them all (under TCG
a dpkg run costs minutes of trigger processing, so one run beats one per service)."""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace

from components.render import render

COMMON = ("chrony", "crudini", "curl", "python3-openstackclient")

BY_ROLE: dict[str, tuple[str, ...]] = {
    "controller": (
        "mariadb-server", "python3-pymysql", "rabbitmq-server", "memcached", "python3-memcache",
        "keystone", "glance", "placement-api", "python3-osc-placement",
        "nova-api", "nova-conductor", "nova-scheduler", "nova-consoleproxy",
        "neutron-api", "neutron-rpc-server", "neutron-periodic-workers",
        "cinder-api", "cinder-scheduler", "python3-cinderclient",
        "octavia-api", "python3-octaviaclient", "openstack-dashboard-apache",
    ),
    "network": (
        "openvswitch-switch", "neutron-openvswitch-agent", "neutron-l3-agent",
        "neutron-dhcp-agent", "neutron-metadata-agent",
        "octavia-worker", "octavia-health-manager", "octavia-housekeeping", "nginx",
    ),
    "compute": (
        "nova-compute", "nova-compute-qemu", "openvswitch-switch",
        "neutron-openvswitch-agent", "open-iscsi",
    ),
    "storage": ("cinder-volume", "lvm2", "thin-provisioning-tools", "tgt", "open-iscsi"),
}

# The controller hosts the cache for the others; it never uses it itself (a controller
# whose apt goes through its own not-yet-installed cache cannot install anything).
CACHE = "apt-cacher-ng"
CACHE_PORT = 3142


def for_roles(roles: Iterable[str]) -> list[str]:
    wanted = set(COMMON)
    for role in roles:
        wanted.update(BY_ROLE[role])
    return sorted(wanted)


def all_roles() -> list[str]:
    """What an image for any node needs (the offline node image preinstalls these)."""
    return for_roles(BY_ROLE)


def foreign_to(roles: Iterable[str]) -> list[str]:
    """Packages the shared image carries that a node with these roles does not run."""
    return sorted(set(all_roles()) - set(for_roles(roles)))


def image_preseed() -> str:
    """The install step's preseeds for an image shared by all nodes: node-specific answers
    get neutral values (the install step re-preseeds and writes whole config files)."""
    return render("base/preseed.txt.j2", cloud=SimpleNamespace(controller="controller"),
                  tunnel_ip="127.0.0.1")
