"""What a lab left in libvirt: every domain, volume, pool and network named after its
prefix. `pulumi destroy` must leave this empty."""

from __future__ import annotations

import subprocess

URI = "qemu:///system"


def virsh(*args: str) -> list[str]:
    """virsh on the system libvirt: its non-empty output lines; raises when it fails."""
    done = subprocess.run(["virsh", "-c", URI, *args], capture_output=True, text=True,
                          timeout=120, check=True)
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def leftovers(prefix: str) -> dict[str, list[str]]:
    pools = virsh("pool-list", "--all", "--name")
    volumes = [v for pool in pools for v in _volumes(pool)]
    return {
        "domains": [d for d in virsh("list", "--all", "--name") if d.startswith(prefix)],
        "networks": [n for n in virsh("net-list", "--all", "--name") if n.startswith(prefix)],
        "pools": [p for p in pools if p.startswith(prefix)],
        "volumes": [v for v in volumes if v.startswith(prefix)],
    }


def _volumes(pool: str) -> list[str]:
    try:
        lines = virsh("vol-list", pool)
    except subprocess.CalledProcessError:  # an inactive pool lists nothing
        return []
    return [line.split()[0] for line in lines[2:]]  # skip the table header
