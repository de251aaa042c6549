"""The operator's way in: an SSH config with ProxyJump and a known_hosts file that pins
every node's host key (by alias, so addresses may be reused between labs)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from components.control_chars import refuse
from components.render import render


@dataclass(frozen=True)
class JumpHost:
    alias: str
    host: str
    port: int
    user: str
    host_key: str


@dataclass(frozen=True)
class NodeEntry:
    name: str
    host: str


def known_hosts_entry(host: str, port: int, key: str) -> str:
    """A known_hosts line: the host as ssh looks it up (`[host]:port` off port 22), its key."""
    where = host if port == 22 else f"[{host}]:{port}"
    return f"{where} {key}"


def ssh_destination(user: str, host: str, port: int) -> str:
    """USER@HOST, or USER@[HOST]:PORT off port 22 (the known_hosts spelling)."""
    return f"{user}@{host}" if port == 22 else f"{user}@[{host}]:{port}"


def pinned_key(host_key: str) -> str:
    """A public key as known_hosts pins it: its type and base64, without a comment."""
    return " ".join(host_key.split()[:2])


def _refuse_in_jump(what: str, jump: JumpHost | None) -> None:
    if jump:
        for field in ("alias", "host", "user", "host_key"):
            refuse(f"{what}: jump host {field}", getattr(jump, field))


def ssh_config(stack: str, user: str, nodes: Sequence[NodeEntry], jump: JumpHost | None,
               directory: str) -> str:
    # ssh_config is one directive a line: a newline in any value would add directives
    # (a ProxyCommand runs on the operator's machine).
    for field, value in (("stack", stack), ("user", user), ("directory", directory)):
        refuse(f"ssh_config: {field}", value)
    for node in nodes:
        refuse("ssh_config: node name", node.name)
        refuse(f"ssh_config: host of node {node.name}", node.host)
    _refuse_in_jump("ssh_config", jump)
    return render("ssh/config.j2", stack=stack, user=user, nodes=nodes, jump=jump,
                  identity_file=f"{directory}/id_ed25519",
                  known_hosts_file=f"{directory}/known_hosts")


def known_hosts(host_keys: Mapping[str, str], jump: JumpHost | None) -> str:
    # One pinned key a line: a newline would pin a key of someone else's choosing.
    for name, key in host_keys.items():
        refuse("known_hosts: node name", name)
        refuse(f"known_hosts: host key of node {name}", key)
    _refuse_in_jump("known_hosts", jump)
    lines = [f"{name} {key}" for name, key in sorted(host_keys.items())]
    if jump:
        lines.insert(0, known_hosts_entry(jump.host, jump.port, jump.host_key))
    return "\n".join(lines) + "\n"
