"""A node is ready when cloud-init finished cleanly, the hostname is right and every NIC
has its address — checked over SSH with the host key pinned; later layers depend on it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_command as command

from components.network_plan import Nic
from components.render import render

# Under TCG a node needs ~45 s to reach sshd and minutes for cloud-init: dial retries
# cover the first, `cloud-init status --wait` the second. Upstream pulumi-command fails a
# refused dial at once and retries after 0.1 s, growing to 5 s (121 attempts: 10 min or
# more); toolchain/command-provider retries the connect every second within each
# attempt's per-dial timeout. On a busy TCG controller a handshake takes 25-35 s (sshd
# forks and execs its session helpers on a starved CPU): our provider cuts it at the
# per-dial timeout (10 s failed every dial there, 60 s leaves room), upstream never does.
# Changing either value re-runs every remote command once: it is an update of each
# `connection`, as upstream (toolchain/command-provider/PARITY.md).
DIAL_ERROR_LIMIT = 120
PER_DIAL_TIMEOUT = 60
CLOUD_INIT_TIMEOUT = 1800
# After cloud-init, an address may still be moments away (a first make up failed once on
# `no NIC carries 10.0.2.21/24` and passed 11 s later): each address and link is waited for.
NETWORK_TIMEOUT = 300


def ready_script(hostname: str, nics: tuple[Nic, ...],
                 network_timeout: int = NETWORK_TIMEOUT) -> str:
    return render("node/ready.sh.j2", hostname=hostname, nics=nics,
                  cloud_init_timeout=CLOUD_INIT_TIMEOUT, network_timeout=network_timeout)


@dataclass(frozen=True)
class SshTarget:
    host: pulumi.Input[str]
    user: str
    private_key: pulumi.Input[str]
    host_key: pulumi.Input[str]
    port: int = 22
    proxy: SshTarget | None = None  # jump host

    def connection(self) -> command.remote.ConnectionArgs:
        return command.remote.ConnectionArgs(
            host=self.host, port=self.port, user=self.user, private_key=self.private_key,
            host_key=self.host_key, dial_error_limit=DIAL_ERROR_LIMIT,
            per_dial_timeout=PER_DIAL_TIMEOUT,
            proxy=self.proxy.proxy_connection() if self.proxy else None)

    def proxy_connection(self) -> command.remote.ProxyConnectionArgs:
        return command.remote.ProxyConnectionArgs(
            host=self.host, port=self.port, user=self.user, private_key=self.private_key,
            host_key=self.host_key, dial_error_limit=DIAL_ERROR_LIMIT,
            per_dial_timeout=PER_DIAL_TIMEOUT)


@dataclass(frozen=True)
class NodeReadyArgs:
    hostname: str
    nics: tuple[Nic, ...]
    target: SshTarget
    instance: pulumi.Input[str]  # what the check is about: re-run when it is replaced


class NodeReady(pulumi.ComponentResource):
    check: command.remote.Command

    def __init__(self, name: str, args: NodeReadyArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:underlay:NodeReady", name, None, opts)
        self.check = command.remote.Command(
            f"{name}-check",
            connection=args.target.connection(),
            create=ready_script(args.hostname, args.nics),
            triggers=[args.instance],
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["connection"]))
        self.register_outputs({"report": self.check.stdout})
