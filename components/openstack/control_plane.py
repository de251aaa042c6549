"""OpenStackControlPlane: every service component on the lab's nodes, in install order,
and the outputs the overlay stack reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi

from components.ini_overrides import IniOverrides
from components.openstack import octavia, registry, tls_endpoint
from components.openstack.base import NodeBase
from components.openstack.neutron import EXTERNAL_NETWORK
from components.openstack.secrets import OpenStackSecrets
from components.openstack.service import CloudFacts, Service, ServiceArgs, Upstream
from components.openstack.smoke import SmokeCheck
from components.openstack.spec import ServiceSpec
from components.openstack.step import InstallNode, Step
from components.patience import Patience


@dataclass(frozen=True)
class ControlPlaneArgs:
    facts: CloudFacts
    nodes: Sequence[InstallNode]
    management_cidr: str
    overrides: IniOverrides = field(default_factory=IniOverrides)  # settings.overrides
    # The services, in build order (registry.py).
    services: Sequence[ServiceSpec] = field(default_factory=lambda: registry.SERVICES)


class OpenStackControlPlane(pulumi.ComponentResource):
    """The node base, then every service of `args.services` in that order, each given the
    `ready` steps of the services its spec needs; last the smoke check."""

    def __init__(self, name: str, args: ControlPlaneArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:openstack:OpenStackControlPlane", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        services = registry.build_order(args.services)
        self.facts = args.facts
        self.secrets = OpenStackSecrets(f"{name}-secrets", registry.secret_lengths(services),
                                        child)

        def service_args(after: Upstream, spec: ServiceSpec | None = None) -> ServiceArgs:
            return ServiceArgs(args.facts, self.secrets, args.nodes, after, args.overrides,
                               spec, services)

        base = NodeBase(f"{name}-base", service_args(Upstream()), args.management_cidr,
                        child)
        ready: dict[ServiceSpec, Step] = {}
        self.services: dict[ServiceSpec, Service] = {}

        def upstream(specs: Sequence[ServiceSpec]) -> Upstream:
            return Upstream(base.packages, base.time, {s: ready[s] for s in specs})

        for spec in services:
            built = spec.component(f"{name}-{spec.name}",
                                   service_args(upstream(spec.needs), spec), child)
            self.services[spec] = built
            ready[spec] = built.ready
        self.tls = self.services[tls_endpoint.SPEC]
        self.octavia = self.services[octavia.SPEC]
        self.smoke = SmokeCheck(f"{name}-smoke",
                                service_args(upstream([s for s in services if s.smoke])),
                                amphora=self.octavia.amphora, opts=child)
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
