"""Network plan properties: unique MACs and addresses, addresses inside their networks,
the reference labs' host numbers, and the MTU budget."""

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from components import network_plan as plan
from components.config import Settings

stacks = st.text(min_size=1, max_size=20)
compute_counts = st.integers(min_value=1, max_value=64)


def all_nics(s: Settings, stack: str):
    cidrs = {"public": s.networks.public, "management": s.networks.management,
             "underlay": s.networks.underlay, "external": s.networks.external}
    tag = plan.stack_tag(stack)
    return [(node, nic) for node in s.nodes
            for nic in plan.nics(node, cidrs, s.networks.mtu, tag)], cidrs


@settings(max_examples=60, deadline=None)
@given(stack=stacks, computes=compute_counts)
def test_macs_and_addresses_are_unique_and_inside_their_networks(stack, computes):
    s = Settings.from_mapping({"profile": "standard", "computeCount": str(computes)})
    pairs, cidrs = all_nics(s, stack)
    macs = [nic.mac for _, nic in pairs]
    assert len(set(macs)) == len(macs)
    for net in plan.NETWORKS:
        addresses = [nic.address for _, nic in pairs if nic.network == net and nic.address]
        assert len(set(addresses)) == len(addresses)
        for a in addresses:
            assert a.network == cidrs[net]
            assert a.ip not in (cidrs[net].network_address, cidrs[net].broadcast_address,
                                plan.gateway(cidrs[net]))


@given(stack=stacks)
def test_macs_are_qemu_local_and_stable(stack):
    s = Settings.from_mapping({})
    first, _ = all_nics(s, stack)
    again, _ = all_nics(s, stack)
    assert [n.mac for _, n in first] == [n.mac for _, n in again]
    assert all(n.mac.startswith("52:54:00:") for _, n in first)


def test_reference_lab_addresses():
    s = Settings.from_mapping({"profile": "standard"})
    pairs, _ = all_nics(s, "dev")
    mgmt = {node.name: str(nic.address.ip) for node, nic in pairs if nic.network == "management"}
    assert mgmt == {"controller": "192.168.1.11", "network": "192.168.1.12",
                    "compute-1": "192.168.1.21", "compute-2": "192.168.1.22",
                    "storage": "192.168.1.31"}


def test_who_joins_which_network():
    s = Settings.from_mapping({"profile": "standard"})
    pairs, _ = all_nics(s, "dev")
    joined = {}
    for node, nic in pairs:
        joined.setdefault(node.name, []).append(nic.network)
    assert joined["controller"] == ["public", "management"]
    assert joined["network"] == ["public", "management", "underlay", "external"]
    assert joined["compute-1"] == ["public", "management", "underlay"]
    assert joined["storage"] == ["public", "management"]
    external = [nic for node, nic in pairs if nic.network == "external"]
    assert [n.address for n in external] == [None]  # br-phys uplink, no address


def test_minimal_controller_carries_the_network_role_and_networks():
    s = Settings.from_mapping({})
    pairs, _ = all_nics(s, "dev")
    assert [nic.network for node, nic in pairs if node.name == "controller"] == list(plan.NETWORKS)


def test_public_nic_routes_through_libvirt_nat():
    s = Settings.from_mapping({})
    pairs, _ = all_nics(s, "dev")
    public = [nic for _, nic in pairs if nic.network == "public"]
    assert {n.gateway for n in public} == {ipaddress.IPv4Address("10.0.2.1")}
    assert all(n.gateway is None for _, n in pairs if n.network != "public")


@given(mtu=st.integers(min_value=1330, max_value=9000))
def test_tenant_mtu_leaves_room_for_vxlan(mtu):
    s = Settings.from_mapping({"mtu": str(mtu)})
    assert s.networks.tenant_mtu == mtu - 50
    assert s.networks.tenant_mtu >= 1280  # IPv6 minimum inside tenant networks
