"""OpenStackControlPlane: every service component on the lab's nodes, in install order,
and the outputs the overlay stack reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi

from components.ini_overrides import IniOverrides
from components.openstack.base import NodeBase
from components.openstack.cinder import Cinder
from components.openstack.glance import Glance
from components.openstack.horizon import Horizon
from components.openstack.keystone import Keystone
from components.openstack.mariadb import MariaDb
from components.openstack.memcached import Memcached
from components.openstack.neutron import EXTERNAL_NETWORK, Neutron
from components.openstack.nova import Nova
from components.openstack.octavia import Octavia
from components.openstack.placement import Placement
from components.openstack.rabbitmq import RabbitMq
from components.openstack.secrets import OpenStackSecrets
from components.openstack.service import CloudFacts, ServiceArgs
from components.openstack.smoke import SmokeCheck
from components.openstack.step import InstallNode, Step
from components.openstack.tls_endpoint import TlsEndpoint
from components.patience import Patience


@dataclass(frozen=True)
class ControlPlaneArgs:
    facts: CloudFacts
    nodes: Sequence[InstallNode]
    management_cidr: str
    overrides: IniOverrides = field(default_factory=IniOverrides)  # settings.overrides


class OpenStackControlPlane(pulumi.ComponentResource):
    def __init__(self, name: str, args: ControlPlaneArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:openstack:OpenStackControlPlane", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.facts = args.facts
        self.secrets = OpenStackSecrets(f"{name}-secrets", child)
        after: dict[str, Step] = {}

        def service_args() -> ServiceArgs:
            return ServiceArgs(args.facts, self.secrets, args.nodes, dict(after),
                               args.overrides)

        base = NodeBase(f"{name}-base", service_args(), args.management_cidr, child)
        for node, step in base.packages.items():
            after[f"packages-{node}"] = step
        after["packages"] = base.packages[service_args().controller().name]
        after["mariadb"] = MariaDb(f"{name}-mariadb", service_args(), child).ready
        after["rabbitmq"] = RabbitMq(f"{name}-rabbitmq", service_args(), child).ready
        after["memcached"] = Memcached(f"{name}-memcached", service_args(), child).ready
        after["keystone"] = Keystone(f"{name}-keystone", service_args(), child).ready
        self.tls = TlsEndpoint(f"{name}-tls", service_args(), child)
        after["tls"] = self.tls.ready
        after["glance"] = Glance(f"{name}-glance", service_args(), child).ready
        after["placement"] = Placement(f"{name}-placement", service_args(), child).ready
        after["nova"] = Nova(f"{name}-nova", service_args(), child).ready
        after["neutron"] = Neutron(f"{name}-neutron", service_args(), child).ready
        after["cinder"] = Cinder(f"{name}-cinder", service_args(), child).ready
        self.octavia = Octavia(f"{name}-octavia", service_args(), child)
        after["octavia"] = self.octavia.ready
        after["horizon"] = Horizon(f"{name}-horizon", service_args(), child).ready
        for node, step in base.time.items():
            after[f"time-{node}"] = step
        smoke_args = ServiceArgs(args.facts, self.secrets, args.nodes,
                                 {k: v for k, v in after.items()
                                  if k in ("nova", "neutron", "cinder", "horizon", "glance", "tls",
                                           "octavia")
                                  or k.startswith("time-")}, args.overrides)
        self.smoke = SmokeCheck(f"{name}-smoke", smoke_args, amphora=self.octavia.amphora,
                                opts=child)
        self.external_network = EXTERNAL_NETWORK
        self.register_outputs({"smoke": self.smoke.check.command.stdout,
                               "ca_cert": self.tls.ca_cert_pem})


def install_nodes(nodes: Sequence) -> list[InstallNode]:
    """The underlay's ready nodes as install targets (`nodes`: lab_nodes.LabNode)."""
    return [InstallNode(name=n.spec.name, roles=n.spec.roles, target=n.target,
                        instance=n.disk, ready=n.ready,
                        addresses={nic.network: str(nic.address.ip)
                                   for nic in n.nics if nic.address})
            for n in nodes]


def facts_for(nodes: Sequence[InstallNode], mtu: int, tenant_mtu: int,
              external_cidr: str, patience: Patience) -> CloudFacts:
    """`patience`: the underlay's, from its acceleration (components/patience.py)."""
    controller = next(n for n in nodes if n.has("controller"))
    network = next(n for n in nodes if n.has("network"))
    return CloudFacts.plan(controller_ip=controller.addresses["management"],
                           public_host=network.addresses["public"],
                           external_cidr=external_cidr, mtu=mtu, tenant_mtu=tenant_mtu,
                           patience=patience)
