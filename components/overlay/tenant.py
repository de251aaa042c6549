"""The demo tenant: project and user, flavors, the web image, an internal VXLAN network
behind a router on the external network, a security group, a keypair, and the web
servers with floating IPs. Everything the tenant owns is made as the tenant's own user
(its provider), so quotas, policies and ownership are those a real tenant gets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_openstack as openstack

from components.keys import GeneratedSecret, SshKeyPair
from components.overlay.contract import Underlay
from components.overlay.volume import TenantVolume, VolumeArgs
from components.overlay.web_image import WebImage
from components.render import render

# The member role, and Octavia's own role for the load-balancer API (its default policy
# does not accept plain `member`); the underlay's Octavia registration creates the latter.
ROLES = ("member", "load-balancer_member")


@dataclass(frozen=True)
class Flavor:
    name: str
    ram: int
    vcpus: int
    disk: int


# The built image boots from its initramfs (the disk is a placeholder); a cloud image
# needs a real root disk and cloud-init's memory.
TINY = Flavor("lab.tiny", ram=256, vcpus=1, disk=1)
SMALL = Flavor("lab.small", ram=1024, vcpus=1, disk=10)


@dataclass(frozen=True)
class TenantArgs:
    underlay: Underlay
    admin: openstack.Provider
    web_image: str  # "build" or a cloud image URL (settings key webImage)
    timeout_minutes: int
    name: str = "demo"
    cidr: str = "10.10.0.0/24"
    servers: Sequence[str] = field(default=("web-1", "web-2"))
    # Booted without a config drive: their identity and user-data come from the metadata
    # service through the router (Neutron's metadata proxy, haproxy in the router's
    # namespace), so the round-robin check proves that path too.
    metadata_service_servers: Sequence[str] = field(default=("web-2",))
    # The tenant's volume (components/overlay/volume.py) and the server it is attached to.
    volume_server: str = "web-1"
    volume_gib: int = 1


@dataclass(frozen=True)
class Backend:
    name: str
    server: openstack.compute.Instance
    port: openstack.networking.Port
    fixed_ip: pulumi.Output[str]
    floating_ip: pulumi.Output[str]


class Tenant(pulumi.ComponentResource):
    provider: openstack.Provider
    subnet: openstack.networking.Subnet
    backends: list[Backend]
    volume: TenantVolume

    def __init__(self, name: str, args: TenantArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:overlay:Tenant", name, None, opts)
        self.args = args
        admin = pulumi.ResourceOptions(parent=self, provider=args.admin)
        self.password = GeneratedSecret(f"{name}-password", 24,
                                        opts=pulumi.ResourceOptions(parent=self))
        self.project = openstack.identity.Project(
            f"{name}-project", name=args.name, description="openstack-lab demo tenant",
            opts=admin)
        self.user = openstack.identity.User(
            f"{name}-user", name=args.name, password=self.password.value,
            default_project_id=self.project.id, opts=admin)
        grants = [openstack.identity.RoleAssignment(
            f"{name}-role-{role}", project_id=self.project.id, user_id=self.user.id,
            role_id=openstack.identity.get_role_output(
                name=role, opts=pulumi.InvokeOutputOptions(provider=args.admin)).id,
            opts=admin) for role in ROLES]
        self.provider = self._tenant_provider(name, grants)
        # Ports and router interfaces wait for their agents, and under nested emulation
        # neutron answers in minutes: the provider's 10 min defaults ran out on this host.
        # Only the timeouts each resource has (the engine warns about every other one):
        # no `update` on most networking resources, only `delete` on security groups and
        # their rules, none on keypairs.
        patience = f"{args.timeout_minutes}m"
        own = pulumi.ResourceOptions(parent=self, provider=self.provider,
                                     custom_timeouts=pulumi.CustomTimeouts(
                                         create=patience, delete=patience))
        own_delete_only = pulumi.ResourceOptions(
            parent=self, provider=self.provider,
            custom_timeouts=pulumi.CustomTimeouts(delete=patience))
        own_untimed = pulumi.ResourceOptions(parent=self, provider=self.provider)

        self.flavor_spec = TINY if args.web_image == "build" else SMALL
        flavor = openstack.compute.Flavor(
            f"{name}-flavor", name=self.flavor_spec.name, ram=self.flavor_spec.ram,
            vcpus=self.flavor_spec.vcpus, disk=self.flavor_spec.disk, is_public=True,
            opts=admin)
        image = WebImage(f"{name}-web-image", args.web_image, args.admin,
                         opts=pulumi.ResourceOptions(parent=self))

        external = openstack.networking.get_network_output(
            name=args.underlay.external_network,
            opts=pulumi.InvokeOutputOptions(provider=args.admin))
        network = openstack.networking.Network(f"{name}-net", name=f"{args.name}-net",
                                               opts=own)
        self.subnet = openstack.networking.Subnet(
            f"{name}-subnet", name=f"{args.name}-subnet", network_id=network.id,
            cidr=args.cidr, ip_version=4, opts=own)
        router = openstack.networking.Router(
            f"{name}-router", name=f"{args.name}-router", external_network_id=external.id,
            opts=own)
        attached = openstack.networking.RouterInterface(
            f"{name}-router-interface", router_id=router.id, subnet_id=self.subnet.id,
            opts=own)
        secgroup = self._security_group(name, own_delete_only)
        keys = SshKeyPair(f"{name}-ssh", comment=f"{args.name}@openstack-lab",
                          opts=pulumi.ResourceOptions(parent=self))
        self.private_key = keys.private_key
        keypair = openstack.compute.Keypair(f"{name}-keypair", name=f"{args.name}-key",
                                            public_key=keys.public_key, opts=own_untimed)
        self.backends = [
            self._backend(server, network, secgroup, flavor, image, keypair, attached, own)
            for server in args.servers]
        holder = next(b for b in self.backends if b.name == args.volume_server)
        self.volume = TenantVolume(f"{name}-volume", VolumeArgs(
            server_name=holder.name, server=holder.server, admin=args.admin, tenant=own,
            size_gib=args.volume_gib), opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({
            "project_id": self.project.id,
            "servers": {b.name: b.floating_ip for b in self.backends},
            "volume_id": self.volume.volume_id,
        })

    def _tenant_provider(self, name: str, grants: Sequence[pulumi.Resource]
                         ) -> openstack.Provider:
        u = self.args.underlay
        return openstack.Provider(
            f"{name}-provider", auth_url=u.auth_url, region=u.region, cacert_file=u.ca_cert,
            user_name=self.args.name, password=self.password.value,
            tenant_name=self.project.name, user_domain_name="Default",
            project_domain_name="Default",
            # The token is scoped to the project at the first call: the roles must exist.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(grants)))

    def _security_group(self, name: str, own: pulumi.ResourceOptions
                        ) -> openstack.networking.SecGroup:
        group = openstack.networking.SecGroup(
            f"{name}-web-secgroup", name="web", description="ICMP, SSH and HTTP", opts=own)
        rules = {"icmp": ("icmp", None), "ssh": ("tcp", 22), "http": ("tcp", 80)}
        for rule, (protocol, port) in rules.items():
            openstack.networking.SecGroupRule(
                f"{name}-web-{rule}", security_group_id=group.id, direction="ingress",
                ethertype="IPv4", protocol=protocol, port_range_min=port,
                port_range_max=port, remote_ip_prefix="0.0.0.0/0", opts=own)
        return group

    def _backend(self, server_name: str, network, secgroup, flavor, image: WebImage, keypair,
                 attached, own: pulumi.ResourceOptions) -> Backend:
        port = openstack.networking.Port(
            f"{server_name}-port", name=f"{server_name}-port", network_id=network.id,
            fixed_ips=[{"subnet_id": self.subnet.id}], security_group_ids=[secgroup.id],
            opts=own)
        server = openstack.compute.Instance(
            server_name, name=server_name, image_id=image.image_id, flavor_id=flavor.id,
            key_pair=keypair.name, networks=[{"port": port.id}],
            user_data=render("overlay/web-user-data.sh.j2", server=server_name),
            config_drive=server_name not in self.args.metadata_service_servers,
            opts=pulumi.ResourceOptions.merge(own, pulumi.ResourceOptions(
                # The router interface first: without a config drive (or with a cloud image
                # that ignores it) the server asks the metadata service through the router.
                depends_on=[attached])))
        floating = openstack.networking.FloatingIp(
            f"{server_name}-fip", pool=self.args.underlay.external_network,
            port_id=port.id, opts=pulumi.ResourceOptions.merge(
                own, pulumi.ResourceOptions(depends_on=[attached])))
        return Backend(server_name, server, port,
                       port.all_fixed_ips.apply(lambda ips: ips[0]), floating.address)
