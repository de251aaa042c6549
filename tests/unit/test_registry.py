"""The service registry (components/openstack/registry.py): what is derived from the
services' specs equals what was typed by hand before the registry (frozen here), so a
converged lab's secrets, packages, proxied ports, guardrails and smoke expectations stay."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from components.openstack import keystone, packages, registry, smoke
from components.openstack.spec import Report, ServiceSpec
from policy import guardrails

# As components/openstack/secrets.py listed them.
OLD_SERVICES = ("glance", "placement", "nova", "neutron", "cinder", "octavia")
OLD_SECRETS = {
    "admin": 24, "demo": 24, "rabbit": 32, "metadata-proxy": 32, "horizon-secret-key": 48,
    "octavia-heartbeat-key": 32, "octavia-ca-passphrase": 32,
    **{f"db-{db}": 32 for db in ("keystone", *OLD_SERVICES)},
    **{f"user-{svc}": 32 for svc in OLD_SERVICES},
}
# As components/openstack/packages.py listed them.
OLD_BY_ROLE = {
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
# As components/openstack/tls_endpoint.py listed them (the order is the nginx site's).
OLD_API_PORTS = [("keystone", 5000), ("glance", 9292), ("placement", 8778), ("nova", 8774),
                 ("novnc", 6080), ("neutron", 9696), ("cinder", 8776), ("octavia", 9876)]
# As policy/guardrails.py listed them.
OLD_ADMIN_PORTS = {
    22: "SSH", 443: "TLS proxy (APIs, Horizon)", 3260: "iSCSI", 3306: "MariaDB",
    5000: "Keystone", 5672: "RabbitMQ", 6080: "noVNC", 8774: "Nova", 8775: "Nova metadata",
    8776: "Cinder", 8778: "Placement", 9292: "Glance", 9696: "Neutron", 9876: "Octavia",
    11211: "memcached", 16509: "libvirtd",
}
# As control_plane.py picked the smoke check's upstream services, in that order.
OLD_SMOKE = ["tls", "glance", "nova", "neutron", "cinder", "octavia", "horizon"]


def old_expected_services(nodes):
    """smoke.expected_services as it was written by hand."""
    expected = {"compute": [], "network": [], "volume": []}
    for n in nodes:
        if n.has("controller"):
            expected["compute"] += [("nova-scheduler", n.name), ("nova-conductor", n.name)]
            expected["volume"].append(("cinder-scheduler", n.name))
        if n.has("compute"):
            expected["compute"].append(("nova-compute", n.name))
            expected["network"].append(("neutron-openvswitch-agent", n.name))
        if n.has("network"):
            expected["network"] += [(f"neutron-{a}-agent", n.name)
                                    for a in ("openvswitch", "l3", "dhcp", "metadata")]
        if n.has("storage"):
            expected["volume"].append(("cinder-volume", n.name))
    return expected


def node(name: str, *roles: str) -> SimpleNamespace:
    return SimpleNamespace(name=name, roles=roles, has=lambda role: role in roles)


def test_generated_secrets_are_the_ones_a_converged_lab_has():
    assert registry.secret_lengths(registry.SERVICES) == OLD_SECRETS


def test_packages_per_role_are_the_ones_the_node_image_was_built_with():
    by_role = registry.packages_by_role(registry.SERVICES)
    assert {role: sorted(p) for role, p in by_role.items()} == \
        {role: sorted(p) for role, p in OLD_BY_ROLE.items()}
    assert packages.all_roles() == sorted({*packages.COMMON, *sum(OLD_BY_ROLE.values(), ())})


def test_proxied_ports_keep_the_nginx_site_order():
    assert registry.proxied_ports(registry.SERVICES) == OLD_API_PORTS


def test_guardrail_ports_are_every_service_port_and_the_nodes_own():
    assert guardrails.ADMIN_PORTS == OLD_ADMIN_PORTS


def test_smoke_check_waits_for_the_same_services_in_the_same_order():
    assert [s.name for s in registry.SERVICES if s.smoke] == OLD_SMOKE


@pytest.mark.parametrize("nodes", [
    [node("controller", "controller", "network", "storage"), node("compute-1", "compute")],
    [node("controller", "controller"), node("network", "network"), node("compute-1", "compute"),
     node("compute-2", "compute"), node("storage", "storage")],
    [node("all", "controller", "compute", "network", "storage")],
])
def test_smoke_expectations_are_the_hand_written_ones(nodes):
    assert smoke.expected_services(nodes, registry.SERVICES) == old_expected_services(nodes)


def test_every_service_comes_after_what_it_needs():
    assert registry.build_order(registry.SERVICES) == list(registry.SERVICES)
    names = [s.name for s in registry.SERVICES]
    assert len(set(names)) == len(names)


def test_build_order_refuses_a_service_before_what_it_needs():
    late = ServiceSpec("late", object, needs=(keystone.SPEC,))
    with pytest.raises(ValueError, match="late needs keystone"):
        registry.build_order([late, keystone.SPEC])
    with pytest.raises(ValueError, match="listed twice"):
        registry.build_order([*registry.SERVICES, keystone.SPEC])


def test_specs_refuse_unknown_roles_and_report_kinds():
    with pytest.raises(ValueError, match="unknown role 'gpu'"):
        ServiceSpec("x", object, packages={"gpu": ("p",)})
    with pytest.raises(ValueError, match="kind 'image'"):
        Report("image", "x-api", "controller")


def test_the_node_image_gets_the_same_preseeds():
    """Gathered from templates/<service>/preseed.txt.j2 now; the image's digest is the
    same only with the same text."""
    text = packages.image_preseed()
    assert text.startswith("# Every automatic action of the Debian OpenStack packages off")
    assert text.count("\n") == 39 and text.endswith("horizon/use_ssl boolean false\n")
    assert "overlay-int-ip-address string 127.0.0.1\n" in text
