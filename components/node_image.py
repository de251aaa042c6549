"""Where the nodes' base image comes from: decided once, on the machine that runs the
libvirt provider, and kept in state (a re-run does not re-decide or rebuild)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pulumi
import pulumi_command as command

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts" / "image"
# The recipe (not the smoke test beside it).
RECIPE = ("node-image.sh", "build-node-image.sh", "customize-node.sh", "preinstall-packages.sh")


def recipe_digest(names: Sequence[str]) -> str:
    """The content of image recipe scripts (under scripts/image/): a change to any of them
    re-resolves, and so rebuilds, the image they make (node, amphora, web)."""
    h = hashlib.sha256()
    for script in (SCRIPTS / name for name in names):
        h.update(script.name.encode() + b"\0" + script.read_bytes())
    return h.hexdigest()[:16]


def builder_digest() -> str:
    return recipe_digest(RECIPE)


class NodeImage(pulumi.ComponentResource):
    source: pulumi.Output[str]  # URL or local path for the base volume

    def __init__(self, name: str, image_source: str,
                 opts: pulumi.ResourceOptions | None = None,
                 preinstall: Sequence[str] = (), preseed: str = "",
                 kernel_args: pulumi.Input[str] = "") -> None:
        """`preinstall`: packages a locally built image carries already (with `preseed`);
        a downloaded or given image is used as it is and the install step adds them.
        `kernel_args`: what the built image's kernel boots with (accel.kernel_args); a URL
        or path image cannot carry them, so the script refuses one then."""
        super().__init__("openstacklab:underlay:NodeImage", name, None, opts)
        resolve = command.local.Command(
            f"{name}-resolve",
            # Relative to the project directory, where the engine runs the provider: an
            # absolute path would differ between checkouts and show a diff.
            create=f"scripts/image/node-image.sh {image_source}",
            environment={"NODE_IMAGE_KERNEL_ARGS": kernel_args,
                         **({"NODE_IMAGE_PREINSTALL": " ".join(preinstall),
                             "NODE_IMAGE_PRESEED": preseed} if preinstall else {})},
            triggers=[image_source, builder_digest(), kernel_args],
            logging="stderr",
            opts=pulumi.ResourceOptions(parent=self))
        self.source = resolve.stdout.apply(str.strip)
        self.register_outputs({"source": self.source})
