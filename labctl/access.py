"""After `up`: the operator's SSH files for the stack, and where to SSH. After `destroy`:
nothing left behind."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from components.paths import cloud_dir, ssh_dir


def write_ssh_files(stack: str, outputs: Mapping[str, Any]) -> Path | None:
    """Writes id_ed25519 (0600), known_hosts and config; None when the stack has no SSH."""
    ssh = outputs.get("ssh")
    if not ssh:
        return None
    ssh = ssh.value
    directory = ssh_dir(stack)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    _private(directory / "id_ed25519", ssh["private_key"])
    (directory / "known_hosts").write_text(ssh["known_hosts"])
    (directory / "config").write_text(ssh["config"])
    return directory


def _private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def write_cloud_files(stack: str, outputs: Mapping[str, Any]) -> Path | None:
    """clouds.yaml and openrc (0600, they hold the admin password) and the CA bundle;
    None when the stack has no OpenStack."""
    cloud = outputs.get("openstack")
    if not cloud or not cloud.value.get("operator_files"):
        return None
    cloud = cloud.value
    directory = cloud_dir(stack)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, text in cloud["operator_files"].items():
        _private(directory / name, text)
    if cloud.get("ca_cert"):
        (directory / "ca.pem").write_text(cloud["ca_cert"])
    return directory


def write_tenant_files(stack: str, outputs: Mapping[str, Any]) -> Path | None:
    """An overlay's tenant clouds.yaml (0600: it holds the tenant password) and the web
    servers' SSH key (0600); None for stacks without a tenant."""
    clouds = outputs.get("tenant_clouds_yaml")
    if not clouds:
        return None
    directory = cloud_dir(stack)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    _private(directory / "clouds.yaml", clouds.value)
    if outputs.get("ssh_private_key"):
        _private(directory / "id_ed25519", outputs["ssh_private_key"].value)
    return directory


def remove_cloud_files(stack: str) -> None:
    shutil.rmtree(cloud_dir(stack), ignore_errors=True)


def where_to_ssh(directory: Path, outputs: Mapping[str, Any]) -> str:
    nodes = [n["name"] for n in outputs["nodes"].value] if "nodes" in outputs else []
    lines = [f"SSH into a node:  ssh -F {directory}/config <node>   (nodes: {', '.join(nodes)})"]
    if nodes:
        lines.append(f"for example:      ssh -F {directory}/config {nodes[0]}")
    return "\n".join(lines)


def horizon_admin_login(horizon_url: str, cloud: Path) -> str:
    """How the cloud admin logs into Horizon (the password is in the 0600 openrc)."""
    return (f"Horizon:          {horizon_url}"
            f"  (user admin, password: grep OS_PASSWORD {cloud}/openrc)")


def horizon_tenant_login(horizon_url: str | None, tenant: Path, clouds_yaml: str) -> str:
    """How the overlay's tenant user logs into Horizon: its name from the tenant's
    clouds.yaml, its password in that file's 0600 copy (write_tenant_files). Without the
    URL (the underlay's output could not be read) it points at the admin's line."""
    cloud = next(iter(yaml.safe_load(clouds_yaml)["clouds"].values()))
    user, project = cloud["auth"]["username"], cloud["auth"]["project_name"]
    where = horizon_url or "the underlay's Horizon URL"
    return (f"Horizon (tenant): {where}  (user {user}, project {project}, password: "
            f"grep password {tenant}/clouds.yaml)")


def remove_ssh_files(stack: str) -> None:
    shutil.rmtree(ssh_dir(stack), ignore_errors=True)
