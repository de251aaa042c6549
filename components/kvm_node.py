"""One lab node as a libvirt domain: a qcow2 overlay on the base image, a cloud-init seed,
an LVM disk for the storage role, and a NIC per network of the plan."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_libvirt as libvirt

from components.accel import Accel, tcg_xslt
from components.cloud_init import Seed
from components.network_plan import Nic
from components.topology import NodeSpec

GIB = 1024**3


@dataclass(frozen=True)
class KvmNodeArgs:
    spec: NodeSpec
    prefix: str
    pool: pulumi.Input[str]
    base_volume_id: pulumi.Input[str]
    network_ids: dict[str, pulumi.Input[str]]
    nics: tuple[Nic, ...]
    seed: pulumi.Output[Seed]
    host_private_key: pulumi.Output[str]
    accel: pulumi.Input[Accel]
    root_disk_gib: int
    lvm_disk_gib: int | None  # storage role only


def domain_cpu(accel: Accel) -> libvirt.DomainCpuArgs | None:
    return libvirt.DomainCpuArgs(mode=accel.cpu_mode) if accel.cpu_mode else None


def domain_xml(accel: Accel) -> libvirt.DomainXmlArgs | None:
    return libvirt.DomainXmlArgs(xslt=tcg_xslt(accel.tb_cache_mib)) if accel.tb_cache_mib else None


class KvmNode(pulumi.ComponentResource):
    instance_id: pulumi.Output[str]
    root_disk_id: pulumi.Output[str]  # what the install steps wrote to
    domain: libvirt.Domain

    def __init__(self, name: str, args: KvmNodeArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:underlay:KvmNode", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        node = args.spec.name
        seed = args.seed
        self.instance_id = seed.apply(lambda s: s.instance_id())
        digest = seed.apply(lambda s: s.digest()[:8])

        # The seed and the root overlay are named after the seed's digest: a changed seed
        # makes new ones (cloud-init then provisions a fresh root), the old are removed after.
        cloudinit = libvirt.CloudInitDisk(
            f"{name}-seed",
            name=digest.apply(lambda d: f"{args.prefix}-{node}-seed-{d}.iso"),
            pool=args.pool,
            user_data=pulumi.Output.secret(pulumi.Output.all(seed, args.host_private_key)
                                           .apply(lambda sk: sk[0].user_data(sk[1]))),
            meta_data=seed.apply(lambda s: s.meta_data()),
            network_config=seed.apply(lambda s: s.network_config()),
            opts=child)
        root = libvirt.Volume(
            f"{name}-root",
            name=digest.apply(lambda d: f"{args.prefix}-{node}-root-{d}.qcow2"),
            pool=args.pool, base_volume_id=args.base_volume_id, format="qcow2",
            size=args.root_disk_gib * GIB, opts=child)
        self.root_disk_id = root.id
        disks = [libvirt.DomainDiskArgs(volume_id=root.id)]
        if args.lvm_disk_gib:
            lvm = libvirt.Volume(f"{name}-lvm", name=f"{args.prefix}-{node}-lvm.qcow2",
                                 pool=args.pool, format="qcow2", size=args.lvm_disk_gib * GIB,
                                 opts=child)
            disks.append(libvirt.DomainDiskArgs(volume_id=lvm.id))

        accel = pulumi.Output.from_input(args.accel)
        self.domain = libvirt.Domain(
            f"{name}-domain",
            name=f"{args.prefix}-{node}",
            type=accel.apply(lambda a: a.domain_type),
            cpu=accel.apply(domain_cpu),
            xml=accel.apply(domain_xml),
            vcpu=args.spec.vcpus,
            memory=args.spec.memory_mib,
            disks=disks,
            cloudinit=cloudinit.id,
            network_interfaces=[
                libvirt.DomainNetworkInterfaceArgs(network_id=args.network_ids[nic.network],
                                                   mac=nic.mac)
                for nic in args.nics
            ],
            consoles=[libvirt.DomainConsoleArgs(type="pty", target_type="serial",
                                                target_port="0")],
            graphics=libvirt.DomainGraphicsArgs(type="vnc", listen_type="address",
                                                listen_address="127.0.0.1"),
            autostart=True,
            # The name and MACs are fixed, so the old domain must go before the new one.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True,
                                        replacement_trigger=self.instance_id))
        self.register_outputs({"instance_id": self.instance_id, "root_disk": root.id,
                               "domain": self.domain.name})
