"""The network plan as pure functions: which node joins which network, with what address,
MAC and MTU. Everything here is deterministic, so a re-run plans the same lab."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass

from components.topology import NodeSpec

# Order matters: it is the NIC order inside every node and part of each MAC.
NETWORKS = ("public", "management", "underlay", "external")


@dataclass(frozen=True)
class Nic:
    network: str
    mac: str
    address: ipaddress.IPv4Interface | None  # None: a bridge port without an address
    gateway: ipaddress.IPv4Address | None
    mtu: int


def joins(node: NodeSpec, network: str) -> bool:
    if network in ("public", "management"):
        return True
    if network == "underlay":  # VXLAN endpoints
        return node.has("network") or node.has("compute")
    return node.has("network")  # external: Neutron's br-phys uplink


def stack_tag(stack: str) -> int:
    """One byte that tells labs of different stacks apart in their MACs."""
    return hashlib.sha256(stack.encode()).digest()[0]


def mac_address(tag: int, network: str, host_offset: int) -> str:
    """52:54:00 is QEMU's prefix; then stack tag, network index, host number."""
    return f"52:54:00:{tag:02x}:{NETWORKS.index(network):02x}:{host_offset:02x}"


def host_address(cidr: ipaddress.IPv4Network, offset: int) -> ipaddress.IPv4Interface:
    if not 0 < offset < cidr.num_addresses - 1:
        raise ValueError(f"host number {offset} does not fit in {cidr}")
    return ipaddress.IPv4Interface(f"{cidr.network_address + offset}/{cidr.prefixlen}")


def gateway(cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Address:
    """libvirt's NAT networks put the host at .1."""
    return cidr.network_address + 1


def nics(node: NodeSpec, cidrs: dict[str, ipaddress.IPv4Network], mtu: int,
         tag: int) -> tuple[Nic, ...]:
    plan = []
    for net in NETWORKS:
        if not joins(node, net):
            continue
        address = None if net == "external" else host_address(cidrs[net], node.host_offset)
        plan.append(Nic(net, mac_address(tag, net, node.host_offset), address,
                        gateway(cidrs[net]) if net == "public" else None, mtu))
    return tuple(plan)


def max_offset(nodes: tuple[NodeSpec, ...]) -> int:
    return max(n.host_offset for n in nodes)
