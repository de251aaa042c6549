"""Where the nodes' base image comes from: decided once, on the machine that runs the
libvirt provider, and kept in state (a re-run does not re-decide or rebuild)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components import image_recipe
from components.image_recipe import Recipe

# The recipe (not the smoke test beside it).
RECIPE = Recipe("node-image.sh", ("build-node-image.sh", "customize-node.sh",
                                  "preinstall-packages.sh"))


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
        self.source = image_recipe.build(
            f"{name}-resolve", RECIPE, self, args=[image_source],
            environment={"NODE_IMAGE_KERNEL_ARGS": kernel_args,
                         **({"NODE_IMAGE_PREINSTALL": " ".join(preinstall),
                             "NODE_IMAGE_PRESEED": preseed} if preinstall else {})},
            triggers=[image_source, RECIPE.digest(), kernel_args])
        self.register_outputs({"source": self.source})
