"""After `up`: the operator's SSH files for the stack, and where to SSH. After `destroy`:
nothing left behind."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.paths import ssh_dir


def write_ssh_files(stack: str, outputs: Mapping[str, Any]) -> Path | None:
    """Writes id_ed25519 (0600), known_hosts and config; None when the stack has no SSH."""
    ssh = outputs.get("ssh")
    if not ssh:
        return None
    ssh = ssh.value
    directory = ssh_dir(stack)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = directory / "id_ed25519"
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(ssh["private_key"])
    (directory / "known_hosts").write_text(ssh["known_hosts"])
    (directory / "config").write_text(ssh["config"])
    return directory


def where_to_ssh(directory: Path, outputs: Mapping[str, Any]) -> str:
    nodes = [n["name"] for n in outputs["nodes"].value] if "nodes" in outputs else []
    lines = [f"SSH into a node:  ssh -F {directory}/config <node>   (nodes: {', '.join(nodes)})"]
    if nodes:
        lines.append(f"for example:      ssh -F {directory}/config {nodes[0]}")
    return "\n".join(lines)


def remove_ssh_files(stack: str) -> None:
    shutil.rmtree(ssh_dir(stack), ignore_errors=True)
