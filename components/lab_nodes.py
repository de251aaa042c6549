"""What every underlay shares: per-node network plan and cloud-init seed, the SSH targets,
and the output contract (inventory, SSH access, network plan)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components import network_plan
from components.cloud_init import USER, HostEntry, Seed
from components.config import Settings
from components.keys import LabKeys
from components.network_plan import NETWORKS, Nic
from components.readiness import NodeReady, SshTarget
from components.ssh_access import JumpHost, NodeEntry, known_hosts, ssh_config
from components.topology import NodeSpec

DOMAIN = "lab.internal"


def lab_prefix(stack: str) -> str:
    """Names every object of this lab on shared hosts (libvirt, GCP)."""
    return f"osl-{stack}"


@dataclass(frozen=True)
class LabContext:
    settings: Settings
    stack: str
    keys: LabKeys

    @property
    def prefix(self) -> str:
        return lab_prefix(self.stack)

    def cidrs(self) -> dict:
        n = self.settings.networks
        return {"public": n.public, "management": n.management, "underlay": n.underlay,
                "external": n.external}

    def nics(self, node: NodeSpec) -> tuple[Nic, ...]:
        return network_plan.nics(node, self.cidrs(), self.settings.networks.mtu,
                                 network_plan.stack_tag(self.stack))

    def hosts(self) -> tuple[HostEntry, ...]:
        management = self.settings.networks.management
        return tuple(HostEntry(str(network_plan.host_address(management, n.host_offset).ip),
                               n.name) for n in self.settings.nodes)

    def seed(self, node: NodeSpec, nameservers: tuple[str, ...]) -> pulumi.Output[Seed]:
        nics = self.nics(node)
        return pulumi.Output.all(self.keys.operator.public_key,
                                 self.keys.host_keys[node.name].public_key).apply(
            lambda keys: Seed(hostname=node.name, domain=DOMAIN, operator_public_key=keys[0],
                              host_public_key=keys[1], nics=nics, hosts=self.hosts(),
                              nameservers=nameservers))

    def node_target(self, node: NodeSpec, host: pulumi.Input[str],
                    jump: SshTarget | None) -> SshTarget:
        return SshTarget(host=host, user=USER,
                         private_key=pulumi.Output.secret(self.keys.operator.private_key),
                         host_key=self.keys.host_keys[node.name].public_key, proxy=jump)


@dataclass
class LabNode:
    spec: NodeSpec
    nics: tuple[Nic, ...]
    target: SshTarget
    ready: NodeReady
    # The node's disk: install steps re-run only when it is replaced (a new domain on the
    # same disk re-runs readiness alone).
    disk: pulumi.Input[str]


def inventory(nodes: list[LabNode]) -> list[dict]:
    return [{
        "name": n.spec.name,
        "roles": list(n.spec.roles),
        "addresses": {nic.network: str(nic.address.ip) for nic in n.nics if nic.address},
        "macs": {nic.network: nic.mac for nic in n.nics},
        "ssh_host": n.target.host,
    } for n in nodes]


def plan(ctx: LabContext) -> dict:
    return {net: {"cidr": str(cidr),
                  "gateway": str(network_plan.gateway(cidr)),
                  "mtu": ctx.settings.networks.mtu}
            for net, cidr in ctx.cidrs().items() if net in NETWORKS} | {
        "tenant_mtu": ctx.settings.networks.tenant_mtu}


def ssh_outputs(ctx: LabContext, nodes: list[LabNode], jump: SshTarget | None,
                directory: str) -> dict[str, pulumi.Input]:
    """SSH access: the config and known_hosts are plain text; the private key stays secret."""
    host_keys = {n.spec.name: ctx.keys.host_keys[n.spec.name].public_key for n in nodes}
    hosts = {n.spec.name: n.target.host for n in nodes}
    jump_parts = (pulumi.Output.all(jump.host, jump.host_key) if jump
                  else pulumi.Output.from_input([None, None]))

    def hop(parts: list) -> JumpHost | None:
        return JumpHost("lab-jump", parts[0], jump.port, jump.user, parts[1]) if jump else None

    def config(args: list) -> str:
        node_hosts, parts = args
        return ssh_config(ctx.stack, USER, [NodeEntry(k, v) for k, v in node_hosts.items()],
                          hop(parts), directory)

    def pinned(args: list) -> str:
        keys, parts = args
        return known_hosts(keys, hop(parts))

    return {
        "user": USER,
        "jump_host": jump.host if jump else None,
        "config": pulumi.Output.all(pulumi.Output.from_input(hosts), jump_parts).apply(config),
        "known_hosts": pulumi.Output.all(pulumi.Output.from_input(host_keys),
                                         jump_parts).apply(pinned),
        "private_key": pulumi.Output.secret(ctx.keys.operator.private_key),
    }
