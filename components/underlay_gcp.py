"""GCP underlay: three VPCs, a firewall open only to the operator's range, Cloud NAT for
egress, and one nested-virtualization instance per node (the instances are the nodes).
Only the network node has a public address; it is the SSH jump host.

Verified under mocks only: pulumi-gcp cannot be built offline here."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from components.gcp_rules import VPCS, GcpNames, check_gcp_names, min_cpu_platform
from components.lab_nodes import LabContext, LabNode
from components.patience import KVM, Patience
from components.readiness import NodeReady, NodeReadyArgs, SshTarget

IMAGE = "debian-cloud/debian-13"
# The operator reaches SSH (jump host), the TLS API endpoint / Horizon and noVNC.
OPERATOR_PORTS = ["22", "443", "6080"]


class GcpUnderlay(pulumi.ComponentResource):
    nodes: list[LabNode]
    jump: SshTarget | None
    # The instances are KVM guests with nested virtualization: stock-like timeouts.
    patience: Patience = KVM

    def __init__(self, name: str, ctx: LabContext,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        cfg = ctx.settings.gcp
        # GCP's rules on names and CPU platforms, before the first resource.
        check_gcp_names(ctx.stack, ctx.settings)
        platform = min_cpu_platform(cfg.machine_type)
        names = GcpNames(ctx.prefix)
        super().__init__("openstacklab:underlay:GcpUnderlay", name, None, opts)
        provider = gcp.Provider(f"{name}-gcp", project=cfg.project, region=cfg.region,
                                zone=cfg.zone, opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, providers={"gcp": provider})
        cidrs = ctx.cidrs()
        mtu = ctx.settings.networks.mtu
        vpcs, subnets = {}, {}
        for net in VPCS:
            vpcs[net] = gcp.compute.Network(f"{name}-{net}", name=names.vpc(net),
                                            auto_create_subnetworks=False, mtu=mtu, opts=child)
            subnets[net] = gcp.compute.Subnetwork(
                f"{name}-{net}-subnet", name=names.vpc(net), network=vpcs[net].id,
                ip_cidr_range=str(cidrs[net]), region=cfg.region, opts=child)
            # Lab traffic between nodes stays open inside each VPC.
            gcp.compute.Firewall(
                f"{name}-{net}-internal", name=names.internal_firewall(net),
                network=vpcs[net].id, direction="INGRESS", source_ranges=[str(cidrs[net])],
                allows=[gcp.compute.FirewallAllowArgs(protocol="all")], opts=child)
        gcp.compute.Firewall(
            f"{name}-operator", name=names.operator_firewall, network=vpcs["public"].id,
            direction="INGRESS", source_ranges=[str(cfg.operator_cidr)],
            target_tags=[names.public_tag],
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=OPERATOR_PORTS),
                    gcp.compute.FirewallAllowArgs(protocol="icmp")], opts=child)
        router = gcp.compute.Router(f"{name}-router", name=names.router,
                                    network=vpcs["public"].id, region=cfg.region, opts=child)
        gcp.compute.RouterNat(f"{name}-nat", name=names.nat, router=router.name,
                              region=cfg.region, nat_ip_allocate_option="AUTO_ONLY",
                              source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
                              opts=child)

        self.nodes, self.jump = [], None
        instances = {}
        # The jump host first: every other node's readiness goes through it.
        order = sorted(ctx.settings.nodes, key=lambda n: not n.has("network"))
        for spec in order:
            nics = tuple(nic for nic in ctx.nics(spec) if nic.network in VPCS)
            public = spec.has("network")
            disks = []
            if spec.has("storage"):
                lvm = gcp.compute.Disk(f"{name}-{spec.name}-lvm", name=names.lvm_disk(spec.name),
                                       size=ctx.settings.lvm_disk_gib, zone=cfg.zone,
                                       type="pd-balanced", opts=child)
                disks.append(gcp.compute.InstanceAttachedDiskArgs(source=lvm.id, device_name="lvm"))
            user_data = pulumi.Output.secret(pulumi.Output.all(
                ctx.seed(spec, ("169.254.169.254",)),
                ctx.keys.host_keys[spec.name].private_key).apply(lambda sk: sk[0].user_data(sk[1])))
            instance = gcp.compute.Instance(
                f"{name}-{spec.name}", name=names.instance(spec.name),
                machine_type=cfg.machine_type, zone=cfg.zone,
                min_cpu_platform=platform,
                advanced_machine_features=gcp.compute.InstanceAdvancedMachineFeaturesArgs(
                    enable_nested_virtualization=True),
                boot_disk=gcp.compute.InstanceBootDiskArgs(
                    initialize_params=gcp.compute.InstanceBootDiskInitializeParamsArgs(
                        image=IMAGE, size=ctx.settings.root_disk_gib)),
                attached_disks=disks,
                network_interfaces=[gcp.compute.InstanceNetworkInterfaceArgs(
                    subnetwork=subnets[nic.network].id, network_ip=str(nic.address.ip),
                    access_configs=[gcp.compute.InstanceNetworkInterfaceAccessConfigArgs()]
                    if public and nic.network == "public" else None)
                    for nic in nics],
                # The network node routes tenant traffic; VXLAN needs no forwarding elsewhere.
                can_ip_forward=public,
                tags=[names.public_tag] if public else [],
                metadata={"user-data": user_data},
                opts=child)
            instances[spec.name] = instance
            if public:
                host = instance.network_interfaces.apply(
                    lambda nis: nis[0].access_configs[0].nat_ip)
                target = ctx.node_target(spec, host, None)
                self.jump = target
            else:
                target = ctx.node_target(spec, str(nics[0].address.ip), self.jump)
            ready = NodeReady(f"{name}-{spec.name}-ready", NodeReadyArgs(
                hostname=spec.name, nics=nics, target=target, instance=instance.id),
                pulumi.ResourceOptions(parent=self, depends_on=[instance]))
            # The boot disk lives and dies with the instance.
            self.nodes.append(LabNode(spec, nics, target, ready, disk=instance.id))
        self.register_outputs({"nodes": [n.spec.name for n in self.nodes]})
