"""AmphoraImage: Octavia's amphora image, built on the machine that runs Pulumi and copied
to the lab node that uploads it to Glance.

Creates, as its children:
- `<name>-build`: scripts/image/build-amphora-image.sh, the node image's recipe plus
  Debian's amphora agent (components/image_recipe.py, as the node and web images), cached
  under $OPENSTACK_LAB_HOME/images by its inputs; it runs again only when the recipe does.
- `<name>-copy`: scripts/image/copy-to-node.sh, scp with the node's host key pinned and the
  operator key on stdin; where the nodes sit behind a jump host (metal: the metal host;
  gcp: the network node) through it (ProxyJump), its host key pinned and its key on stdin
  after the node's. Skipped on the node when the file is there already, run again when
  the node's disk is replaced.

The upload (tag, owner, one tagged image) is Octavia's `image` step on that node, an
install step like the others. Both commands were Octavia's own children before this
component existed: their aliases keep the URNs a converged lab has in its state, so
nothing is rebuilt or copied again (tests/graph/test_urns.py).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

import pulumi
import pulumi_command as command

from components import image_recipe
from components.control_chars import refuse
from components.image_recipe import Recipe
from components.openstack.step import InstallNode
from components.readiness import SshTarget
from components.ssh_access import known_hosts_entry, pinned_key, ssh_destination

# The amphora recipe sources the node recipe: a change to any of them rebuilds.
RECIPE = Recipe("build-amphora-image.sh", ("customize-amphora.sh", "build-node-image.sh",
                                           "customize-node.sh"))
# Where the image lands on the node: written by the SSH user, read by the upload step.
REMOTE_IMAGE_DIR = "/var/tmp/openstack-lab-amphora"
COPY_SCRIPT = "scripts/image/copy-to-node.sh"


def remote_image_path(local_path: str) -> str:
    return posixpath.join(REMOTE_IMAGE_DIR, posixpath.basename(local_path.strip()))


def _quoted(field: str, value: str) -> str:
    """One shell word in single quotes: nothing in it may end the quotes or the line."""
    refuse(f"amphora image copy: {field}", value)
    if "'" in value:
        raise ValueError(f"amphora image copy: {field}: a single quote cannot be passed")
    return f"'{value}'"


@dataclass(frozen=True)
class Hop:
    """Where copy-to-node.sh connects, with resolved values: a node or its jump host."""

    user: str
    host: str
    port: int
    host_key: str

    @property
    def destination(self) -> str:
        return ssh_destination(self.user, self.host, self.port)

    @property
    def known_hosts_line(self) -> str:
        return known_hosts_entry(self.host, self.port, pinned_key(self.host_key))


def copy_command(local_path: str, remote_path: str, node: Hop, jump: Hop | None = None) -> str:
    """copy-to-node.sh's command line: the node, and its jump host where it has one."""
    args = {"local path": local_path, "node": node.destination, "remote path": remote_path,
            "node known_hosts line": node.known_hosts_line}
    if jump is not None:
        args |= {"jump host": jump.destination, "jump known_hosts line": jump.known_hosts_line}
    return " ".join([COPY_SCRIPT, *(_quoted(k, v) for k, v in args.items())])


def keys_on_stdin(node_key: str, jump_key: str | None = None) -> str:
    """What copy-to-node.sh reads: the node's key as it is, the jump host's after it."""
    return node_key if jump_key is None else node_key.rstrip("\n") + "\n" + jump_key


def _hop(target: SshTarget) -> pulumi.Output[Hop]:
    return pulumi.Output.all(target.host, target.host_key).apply(
        lambda hk: Hop(target.user, hk[0], target.port, hk[1]))


@dataclass(frozen=True)
class AmphoraImageArgs:
    node: InstallNode  # where the image goes: the node whose step uploads it
    # DefaultTimeoutStartSec inside the amphora (Patience.amphora_unit_drop_in); None
    # keeps systemd's, and the recipe's digest alone triggers the build.
    unit_start: int | None = None

    def build_environment(self) -> dict[str, str] | None:
        return None if self.unit_start is None else {"AMPHORA_UNIT_START": str(self.unit_start)}

    def build_triggers(self) -> list[str] | None:
        env = self.build_environment()
        return None if env is None else [RECIPE.digest(), *(f"{k}={v}" for k, v in env.items())]


class AmphoraImage(pulumi.ComponentResource):
    """`path`: the image on this machine; `remote_path`: where `copy` put it on the node."""

    path: pulumi.Output[str]
    remote_path: pulumi.Output[str]
    copy: command.local.Command

    def __init__(self, name: str, args: AmphoraImageArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:openstack:AmphoraImage", name, None, opts)
        # Its children used to be its parent's (Octavia's): same names, old parent aliased.
        former = opts.parent if opts is not None else None
        aliases = [pulumi.Alias(parent=former)] if former is not None else None
        self.path = image_recipe.build(f"{name}-build", RECIPE, self, aliases=aliases,
                                       environment=args.build_environment(),
                                       triggers=args.build_triggers())
        self.remote_path = self.path.apply(remote_image_path)
        # scp with the pinned host keys (the keys on stdin): our command provider has no
        # CopyToRemote, and the SSH files `make up` writes do not exist yet.
        target, jump = args.node.target, args.node.target.proxy
        if jump is not None and jump.proxy is not None:
            raise ValueError(f"amphora image copy to {args.node.name}: one jump host at most")
        node_hop = _hop(target)
        jump_hop = _hop(jump) if jump is not None else pulumi.Output.from_input(None)
        self.copy = command.local.Command(
            f"{name}-copy",
            create=pulumi.Output.all(self.path, self.remote_path, node_hop, jump_hop).apply(
                lambda a: copy_command(*a)),
            stdin=pulumi.Output.secret(pulumi.Output.all(
                target.private_key, jump.private_key if jump is not None else None).apply(
                lambda keys: keys_on_stdin(*keys))),
            logging="stderr", triggers=[args.node.instance],
            # the keys are on stdin: pulumi-command does not make the outputs secret for them
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.node.ready],
                                        aliases=aliases,
                                        additional_secret_outputs=["stdout", "stderr"]))
        self.register_outputs({"path": self.path, "remote_path": self.remote_path})
