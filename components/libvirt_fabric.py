"""What every node on one libvirt host shares: a dedicated pool, the base image volume and
the lab's networks."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_libvirt as libvirt

from components.network_plan import NETWORKS

# public: NAT with DNS (egress to the package archive); external: NAT with the host at .1,
# so floating IPs and the LB VIP are reachable from the host; the others are isolated.
MODES = {"public": "nat", "management": "none", "underlay": "none", "external": "nat"}


@dataclass(frozen=True)
class LibvirtFabricArgs:
    prefix: str  # names every libvirt object of this lab: "<prefix>-public", ...
    pool_path: str
    image_source: pulumi.Input[str]  # URL or path on the machine that runs the provider
    cidrs: dict[str, ipaddress.IPv4Network]
    mtu: int
    domain: str


def network_args(args: LibvirtFabricArgs, net: str) -> libvirt.NetworkArgs:
    nat = MODES[net] == "nat"
    return libvirt.NetworkArgs(
        name=f"{args.prefix}-{net}",
        mode=MODES[net],
        addresses=[str(args.cidrs[net])],
        mtu=args.mtu,
        autostart=True,
        # Addresses are static (cloud-init): no leases that could go stale.
        dhcp=libvirt.NetworkDhcpArgs(enabled=False),
        dns=libvirt.NetworkDnsArgs(enabled=nat, local_only=False),
        domain=args.domain if net == "public" else None,
    )


class LibvirtFabric(pulumi.ComponentResource):
    pool: libvirt.Pool
    base_image: libvirt.Volume
    networks: dict[str, libvirt.Network]

    def __init__(self, name: str, args: LibvirtFabricArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:underlay:LibvirtFabric", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # A pool of our own (not `default`), so destroy removes exactly what we made.
        self.pool = libvirt.Pool(f"{name}-pool", name=args.prefix, type="dir",
                                 target=libvirt.PoolTargetArgs(path=args.pool_path), opts=child)
        # The format is explicit: the overlays' backing format is copied from it, and
        # qemu refuses to probe a backing file's format.
        self.base_image = libvirt.Volume(f"{name}-base", name=f"{args.prefix}-base.qcow2",
                                         pool=self.pool.name, source=args.image_source,
                                         format="qcow2", opts=child)
        self.networks = {
            net: libvirt.Network(f"{name}-{net}", network_args(args, net), opts=child)
            for net in NETWORKS
        }
        self.register_outputs({
            "pool": self.pool.name,
            "base_image": self.base_image.id,
            "networks": {net: n.id for net, n in self.networks.items()},
        })
