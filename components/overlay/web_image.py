"""The web servers' image in Glance: built here from Debian packages, or a cloud image URL.

The built image is a kernel + busybox initramfs booted directly by Nova (AMI style:
`kernel_id`/`ramdisk_id` on a tiny machine image). It needs no bootloader, no systemd and
no Python, so it answers HTTP within minutes even where Nova runs TCG inside a TCG node;
it runs a `#!` user-data script like cloud-init does. A URL (e.g. a Debian or Ubuntu
cloud image, for hosts with internet) is uploaded as a qcow2 with cloud-init of its own.
"""

from __future__ import annotations

import pulumi
import pulumi_openstack as openstack

from components import image_recipe
from components.image_recipe import Recipe

RECIPE = Recipe("build-web-image.sh", ("web-init.sh",))
# Nova boots the kernel with this (image property os_command_line); web-init.sh logs to
# ttyS0 too, which `openstack console log show` reads.
KERNEL_COMMAND_LINE = "console=tty0 console=ttyS0"
# The config drive as a virtio-scsi CD: the image carries drivers for virtio only (the
# default IDE or SATA CD would need the ATA stack).
CONFIG_DRIVE_BUS = {"hw_cdrom_bus": "scsi", "hw_scsi_model": "virtio-scsi"}


class WebImage(pulumi.ComponentResource):
    """`image_id` is what the servers boot; `minimal` says whether it is the built one
    (which fits the tiny flavor) or a full cloud image."""

    image_id: pulumi.Output[str]

    def __init__(self, name: str, source: str, provider: openstack.Provider,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:overlay:WebImage", name, None, opts)
        self.minimal = source == "build"
        glance = pulumi.ResourceOptions(parent=self, provider=provider)
        if self.minimal:
            directory = image_recipe.build(f"{name}-build", RECIPE, self)
            kernel = openstack.images.Image(
                f"{name}-kernel", name=f"{name}-kernel", container_format="aki",
                disk_format="aki", visibility="public",
                local_file_path=directory.apply(lambda d: f"{d}/vmlinuz"), opts=glance)
            ramdisk = openstack.images.Image(
                f"{name}-ramdisk", name=f"{name}-ramdisk", container_format="ari",
                disk_format="ari", visibility="public",
                local_file_path=directory.apply(lambda d: f"{d}/initrd.img"), opts=glance)
            machine = openstack.images.Image(
                name, name=name, container_format="ami", disk_format="ami",
                visibility="public", local_file_path=directory.apply(lambda d: f"{d}/disk.raw"),
                properties={"kernel_id": kernel.id, "ramdisk_id": ramdisk.id,
                            "os_command_line": KERNEL_COMMAND_LINE, **CONFIG_DRIVE_BUS},
                opts=glance)
        else:
            machine = openstack.images.Image(
                name, name=name, container_format="bare", disk_format="qcow2",
                visibility="public", image_source_url=source, opts=glance)
        self.image_id = machine.id
        self.register_outputs({"image_id": self.image_id})
