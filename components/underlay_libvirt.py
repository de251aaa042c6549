"""Underlays whose nodes are libvirt domains: `local` (this machine) and `metal` (an SSH
host the program prepares itself, then drives over qemu+ssh)."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import shlex

import pulumi
import pulumi_command as command
import pulumi_libvirt as libvirt

from components import accel as acceleration
from components.accel import Accel, HostFacts
from components.config import Metal, Settings
from components.control_chars import refuse
from components.errors import ConfigError
from components.kvm_node import KvmNode, KvmNodeArgs
from components.lab_nodes import DOMAIN, LabContext, LabNode
from components.libvirt_fabric import LibvirtFabric, LibvirtFabricArgs
from components.network_plan import gateway
from components.node_image import NodeImage
from components.openstack import packages
from components.patience import Patience, for_accel, for_setting
from components.paths import ssh_dir
from components.readiness import NodeReady, NodeReadyArgs, SshTarget
from components.render import render
from components.ssh_access import known_hosts_entry


def pool_path(ctx: LabContext) -> str:
    return f"/var/lib/libvirt/openstack-lab/{ctx.stack}"


class LibvirtUnderlay(pulumi.ComponentResource):
    """Shared by local and metal: image, fabric, one KvmNode and one readiness check per
    node. `jump` is how SSH reaches the nodes' public network (None: directly)."""

    nodes: list[LabNode]
    jump: SshTarget | None
    patience: Patience  # how long the install on these nodes waits (components/patience.py)

    def build_nodes(self, name: str, ctx: LabContext, provider: libvirt.Provider,
                    accel: pulumi.Input[Accel], jump: SshTarget | None,
                    after: list[pulumi.Resource]) -> None:
        settings = ctx.settings
        self.jump = jump
        openstack = settings.install == "openstack"
        image = NodeImage(f"{name}-image", settings.image_source,
                          pulumi.ResourceOptions(parent=self, depends_on=after),
                          preinstall=packages.all_roles() if openstack else (),
                          preseed=packages.image_preseed() if openstack else "",
                          kernel_args=pulumi.Output.from_input(accel).apply(
                              acceleration.kernel_args))
        with_provider = pulumi.ResourceOptions(parent=self, providers={"libvirt": provider},
                                               depends_on=after)
        fabric = LibvirtFabric(f"{name}-fabric", LibvirtFabricArgs(
            prefix=ctx.prefix, pool_path=pool_path(ctx), image_source=image.source,
            cidrs=ctx.cidrs(), mtu=settings.networks.mtu, domain=DOMAIN), with_provider)
        nameservers = (str(gateway(settings.networks.public)),)
        self.nodes = []
        for spec in settings.nodes:
            nics = ctx.nics(spec)
            node = KvmNode(f"{name}-{spec.name}", KvmNodeArgs(
                spec=spec, prefix=ctx.prefix, pool=fabric.pool.name,
                base_volume_id=fabric.base_image.id,
                network_ids={net: n.id for net, n in fabric.networks.items()},
                nics=nics, seed=ctx.seed(spec, nameservers),
                host_private_key=ctx.keys.host_keys[spec.name].private_key,
                accel=accel, root_disk_gib=settings.root_disk_gib,
                lvm_disk_gib=settings.lvm_disk_gib if spec.has("storage") else None),
                with_provider)
            target = ctx.node_target(spec, str(nics[0].address.ip), jump)
            # Readiness re-runs whenever the domain is replaced (a CPU change, say); the
            # install steps only when the root disk is, since that is what they wrote to.
            ready = NodeReady(f"{name}-{spec.name}-ready", NodeReadyArgs(
                hostname=spec.name, nics=nics, target=target, instance=node.domain.id),
                pulumi.ResourceOptions(parent=self, depends_on=[node]))
            self.nodes.append(LabNode(spec, nics, target, ready, disk=node.root_disk_id))


def check_image_source(image_source: str, accel: Accel) -> None:
    """TCG nodes need kernel arguments only the built image carries (accel.py)."""
    if accel.kernel_args and image_source not in ("auto", "build"):
        raise ConfigError("imageSource", (
            f"{image_source!r} cannot be used for nodes under TCG: their kernel must boot "
            f"with {' '.join(accel.kernel_args)} (components/accel.py), which only the "
            "built image carries; use auto or build, or accel kvm on a host whose KVM runs "
            "stock kernels"))


def local_accel(settings: Settings, facts: HostFacts | None = None) -> Accel:
    """This machine's acceleration, refusing settings it cannot boot (before any resource)."""
    accel = acceleration.choose(settings.accel, facts or HostFacts.probe())
    check_image_source(settings.image_source, accel)
    return accel


class LocalUnderlay(LibvirtUnderlay):
    def __init__(self, name: str, ctx: LabContext,
                 opts: pulumi.ResourceOptions | None = None,
                 facts: HostFacts | None = None) -> None:
        super().__init__("openstacklab:underlay:LocalUnderlay", name, None, opts)
        accel = local_accel(ctx.settings, facts)
        pulumi.log.info(f"nodes run with {accel.reason}", self)
        self.patience = for_accel(accel)
        provider = libvirt.Provider(f"{name}-libvirt", uri="qemu:///system",
                                    opts=pulumi.ResourceOptions(parent=self))
        self.build_nodes(name, ctx, provider, accel, jump=None, after=[])
        self.register_outputs({"accel": accel.reason, "nodes": [n.spec.name for n in self.nodes]})


FACTS = re.compile(r"accel-facts kvm_device=(\d) pvm=(\d)")


def parse_facts(stdout: str) -> HostFacts:
    found = FACTS.search(stdout)
    if not found:
        raise ValueError(f"the metal host's preparation did not report its accel facts: {stdout!r}")
    return HostFacts(has_kvm_device=found[1] == "1", pvm=found[2] == "1")


def metal_known_hosts_line(metal: Metal) -> str:
    line = known_hosts_entry(metal.host, metal.port, metal.host_key)
    # The settings refuse control characters already; this guards the file itself.
    refuse("metal known_hosts line", line)
    return line


def ssh_files_commands(key_dir: str, known: str) -> tuple[str, str]:
    """ssh-files.sh's create and delete command lines. They run through a shell, so every
    argument is single-quoted: double quotes would still expand $ and `."""
    script = "scripts/metal/ssh-files.sh"
    return (f"{script} {shlex.quote(key_dir)} {shlex.quote(known)}",
            f"{script} --remove {shlex.quote(key_dir)}")


def metal_uri(metal: Metal, key_dir: str) -> str:
    """libvirt's qemu+ssh URI of the metal host (an IPv6 address goes in brackets)."""
    host = metal.host
    try:
        if isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address):
            host = f"[{host}]"
    except ValueError:
        pass  # a host name
    return (f"qemu+ssh://{metal.user}@{host}:{metal.port}/system"
            f"?sshauth=privkey&keyfile={key_dir}/id&knownhosts={key_dir}/known_hosts")


class MetalUnderlay(LibvirtUnderlay):
    def __init__(self, name: str, ctx: LabContext,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:underlay:MetalUnderlay", name, None, opts)
        metal = ctx.settings.metal
        key = pulumi.Output.secret(metal.private_key)
        host = SshTarget(host=metal.host, user=metal.user, private_key=key,
                         host_key=metal.host_key, port=metal.port)
        script = render("metal/prepare.sh.j2", user=metal.user)
        prepare = command.remote.Command(
            f"{name}-prepare", connection=host.connection(), create=script,
            triggers=[hashlib.sha256(script.encode()).hexdigest()],
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["connection"]))
        key_dir = str(ssh_dir(ctx.stack) / "metal-host")
        create, delete = ssh_files_commands(key_dir, metal_known_hosts_line(metal))
        ssh_files = command.local.Command(
            f"{name}-ssh-files", create=create, delete=delete, stdin=key, logging="none",
            # the key is on stdin: secret outputs in case a change ever echoed it
            opts=pulumi.ResourceOptions(parent=self,
                                        additional_secret_outputs=["stdout", "stderr"]))
        # The provider connects as soon as it is configured, a preview included, and reads
        # the key and known_hosts that ssh-files writes: its URI waits for that command's
        # output, so a preview that would (re)write them (a new stack) leaves it unknown
        # and unconfigured rather than failing on files that are not there yet.
        uri = pulumi.Output.unsecret(ssh_files.stdout).apply(
            lambda _written, uri=metal_uri(metal, key_dir): uri)
        provider = libvirt.Provider(f"{name}-libvirt", uri=uri, opts=pulumi.ResourceOptions(
            parent=self, depends_on=[prepare, ssh_files]))
        accel = prepare.stdout.apply(lambda out: acceleration.choose(ctx.settings.accel,
                                                                     parse_facts(out)))
        # The install's templates are rendered now, the host's acceleration is known only
        # after its preparation ran: the setting decides, and `auto` waits as for TCG.
        self.patience = for_setting(ctx.settings.accel)
        if ctx.settings.accel == "auto":
            pulumi.log.info("accel auto on a metal host: the install waits as long as under "
                            "TCG (set accel: kvm for stock-like timeouts)", self)
        self.build_nodes(name, ctx, provider, accel, jump=host, after=[prepare, ssh_files])
        self.register_outputs({"nodes": [n.spec.name for n in self.nodes]})
