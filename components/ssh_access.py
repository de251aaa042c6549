"""The operator's way in: an SSH config with ProxyJump and a known_hosts file that pins
every node's host key (by alias, so addresses may be reused between labs)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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


def ssh_config(stack: str, user: str, nodes: Sequence[NodeEntry], jump: JumpHost | None,
               directory: str) -> str:
    return render("ssh/config.j2", stack=stack, user=user, nodes=nodes, jump=jump,
                  identity_file=f"{directory}/id_ed25519",
                  known_hosts_file=f"{directory}/known_hosts")


def known_hosts(host_keys: Mapping[str, str], jump: JumpHost | None) -> str:
    lines = [f"{name} {key}" for name, key in sorted(host_keys.items())]
    if jump:
        where = jump.host if jump.port == 22 else f"[{jump.host}]:{jump.port}"
        lines.insert(0, f"{where} {jump.host_key}")
    return "\n".join(lines) + "\n"
