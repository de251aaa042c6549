"""The overlay's last resource: the VIP must answer, and spread requests round robin over
every backend, within bounded retries (scripts/overlay/check-lb.sh). It runs where the
external network is reachable: here for the local underlay (this machine is the external
network's gateway), else through the underlay's jump host (its SSH config from `make up`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_command as command

from components.paths import ssh_dir

SCRIPT = "scripts/overlay/check-lb.sh"


def via_jump_host(jump_host: str | None, underlay_stack: str) -> dict[str, str]:
    """The check scripts' environment for asking from the underlay's jump host (none when
    this machine reaches the external network itself)."""
    if not jump_host:
        return {}
    return {"VIA_SSH_CONFIG": str(ssh_dir(underlay_stack) / "config"),
            "VIA_SSH_HOST": "lab-jump"}


class VipCheck(pulumi.ComponentResource):
    report: pulumi.Output[str]

    def __init__(self, name: str, vip_url: pulumi.Input[str], backends: Sequence[str],
                 jump_host: pulumi.Input[str | None], underlay_stack: str,
                 triggers: Sequence[pulumi.Input[str]], attempts: int,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:overlay:VipCheck", name, None, opts)
        environment = pulumi.Output.all(vip_url, jump_host).apply(lambda a: {
            "VIP_URL": a[0], "BACKENDS": " ".join(backends), "ATTEMPTS": str(attempts),
            **via_jump_host(a[1], underlay_stack)})
        check = command.local.Command(
            f"{name}-run", create=SCRIPT, environment=environment, triggers=list(triggers),
            logging="stderr", opts=pulumi.ResourceOptions(parent=self))
        self.report = check.stdout
        self.register_outputs({"report": self.report})
