"""openstack-lab: load the validated settings once, build the chosen layer, export outputs."""

import pulumi

from components import config
from components.keys import LabKeys
from components.lab_nodes import LabContext, inventory, plan, ssh_outputs
from components.openstack.control_plane import (ControlPlaneArgs, OpenStackControlPlane,
                                                facts_for, install_nodes)
from components.openstack.outputs import openstack_outputs
from components.overlay import build_overlay
from components.paths import cloud_dir, ssh_dir
from components.underlay import build_underlay, preflight

settings = config.load()
stack = pulumi.get_stack()

pulumi.export("layer", settings.layer)
pulumi.export("underlay", settings.underlay)
pulumi.export("profile", settings.profile)

if settings.layer == "underlay":
    preflight(settings, stack)
    keys = LabKeys("lab", [node.name for node in settings.nodes])
    ctx = LabContext(settings, stack, keys)
    underlay = build_underlay("underlay", ctx)
    pulumi.export("nodes", inventory(underlay.nodes))
    pulumi.export("network_plan", plan(ctx))
    pulumi.export("ssh", ssh_outputs(ctx, underlay.nodes, underlay.jump, str(ssh_dir(stack))))
    pulumi.export("ready", {n.spec.name: n.ready.check.stdout for n in underlay.nodes})

    if settings.install == "openstack":
        nodes = install_nodes(underlay.nodes)
        networks = settings.networks
        openstack = OpenStackControlPlane("openstack", ControlPlaneArgs(
            facts=facts_for(nodes, networks.mtu, networks.tenant_mtu, str(networks.external),
                            patience=underlay.patience),
            nodes=nodes, management_cidr=str(networks.management),
            overrides=settings.overrides))
        pulumi.export("openstack", openstack_outputs(
            stack, str(cloud_dir(stack)), openstack.facts, openstack.secrets.value("admin"),
            openstack.tls.ca_cert_pem, openstack.external_network,
            amphora=openstack.octavia.amphora,
            smoke=openstack.smoke.check.command.stdout))

if settings.overlay is not None:
    for key, value in build_overlay(settings.overlay, stack).items():
        pulumi.export(key, value)
