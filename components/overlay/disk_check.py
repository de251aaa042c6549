"""The tenant volume seen by its guest: the web server's /disks (its block devices, from
the web user-data) must list a disk besides the root disk with the volume's size, within
bounded retries (scripts/overlay/check-disk.sh). Asked from where the floating IPs are
reachable, like the VIP check."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_command as command

from components.overlay.vip_check import via_jump_host

SCRIPT = "scripts/overlay/check-disk.sh"


class DiskCheck(pulumi.ComponentResource):
    report: pulumi.Output[str]

    def __init__(self, name: str, server_ip: pulumi.Input[str], size_gib: pulumi.Input[int],
                 jump_host: pulumi.Input[str | None], underlay_stack: str,
                 triggers: Sequence[pulumi.Input[str]], attempts: int,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:overlay:DiskCheck", name, None, opts)
        environment = pulumi.Output.all(server_ip, size_gib, jump_host).apply(lambda a: {
            "DISKS_URL": f"http://{a[0]}/disks", "SIZE_BYTES": str(int(a[1]) * 1024 ** 3),
            "ATTEMPTS": str(attempts), **via_jump_host(a[2], underlay_stack)})
        check = command.local.Command(
            f"{name}-run", create=SCRIPT, environment=environment, triggers=list(triggers),
            logging="stderr", opts=pulumi.ResourceOptions(parent=self))
        self.report = check.stdout
        self.register_outputs({"report": self.report})
