"""AmphoraImage: Octavia's amphora image, built on the machine that runs Pulumi and copied
to the lab node that uploads it to Glance.

Creates, as its children:
- `<name>-build`: scripts/image/build-amphora-image.sh, the node image's recipe plus
  Debian's amphora agent (components/image_recipe.py, as the node and web images), cached
  under $OPENSTACK_LAB_HOME/images by its inputs; it runs again only when the recipe does.
- `<name>-copy`: scripts/image/copy-to-node.sh, scp with the node's host key pinned and the
  operator key on stdin; skipped on the node when the file is there already, run again
  when the node's disk is replaced.

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
from components.image_recipe import Recipe
from components.openstack.step import InstallNode

# The amphora recipe sources the node recipe: a change to any of them rebuilds.
RECIPE = Recipe("build-amphora-image.sh", ("customize-amphora.sh", "build-node-image.sh",
                                           "customize-node.sh"))
# Where the image lands on the node: written by the SSH user, read by the upload step.
REMOTE_IMAGE_DIR = "/var/tmp/openstack-lab-amphora"
COPY_SCRIPT = "scripts/image/copy-to-node.sh"


def remote_image_path(local_path: str) -> str:
    return posixpath.join(REMOTE_IMAGE_DIR, posixpath.basename(local_path.strip()))


def known_hosts_line(host: str, host_key: str) -> str:
    """The node's pinned key as known_hosts has it (type and key, without a comment)."""
    return f"{host} {' '.join(host_key.split()[:2])}"


def copy_command(local_path: str, destination: str, remote_path: str, known: str) -> str:
    """copy-to-node.sh's command line; `destination` is USER@HOST."""
    return f"{COPY_SCRIPT} '{local_path}' '{destination}' '{remote_path}' '{known}'"


@dataclass(frozen=True)
class AmphoraImageArgs:
    node: InstallNode  # where the image goes: the node whose step uploads it


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
        self.path = image_recipe.build(f"{name}-build", RECIPE, self, aliases=aliases)
        self.remote_path = self.path.apply(remote_image_path)
        # scp with the pinned host key (the operator key on stdin): our command provider
        # has no CopyToRemote, and the SSH files `make up` writes do not exist yet.
        node = args.node
        target = node.target
        if target.proxy is not None:
            pulumi.log.warn("amphora image copy: nodes behind a jump host are not supported "
                            "yet; upload the image by hand (see README)", self)
        known = pulumi.Output.all(target.host, target.host_key).apply(
            lambda hk: known_hosts_line(hk[0], hk[1]))
        self.copy = command.local.Command(
            f"{name}-copy",
            create=pulumi.Output.all(self.path, target.host, self.remote_path, known).apply(
                lambda a: copy_command(a[0], f"{target.user}@{a[1]}", a[2], a[3])),
            stdin=pulumi.Output.secret(target.private_key), logging="stderr",
            triggers=[node.instance],
            # the key is on stdin: pulumi-command does not make the outputs secret for it
            opts=pulumi.ResourceOptions(parent=self, depends_on=[node.ready], aliases=aliases,
                                        additional_secret_outputs=["stdout", "stderr"]))
        self.register_outputs({"path": self.path, "remote_path": self.remote_path})
