"""Where the lab keeps files outside git on the machine that runs Pulumi (same rule as
scripts/lib.sh: $OPENSTACK_LAB_HOME, default ~/.openstack-lab)."""

from __future__ import annotations

import os
from pathlib import Path


def lab_home() -> Path:
    return Path(os.environ.get("OPENSTACK_LAB_HOME") or Path.home() / ".openstack-lab")


def ssh_dir(stack: str) -> Path:
    """The operator's SSH files of one stack (written by `make up`, 0700)."""
    return lab_home() / "ssh" / stack


def cloud_dir(stack: str) -> Path:
    """The operator's OpenStack files of one stack: clouds.yaml, openrc, ca.pem (0700)."""
    return lab_home() / "cloud" / stack
