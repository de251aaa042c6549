"""Stale stack locks: a `make up` killed mid-run (Ctrl-C, a lost terminal) leaves the file
backend's lock behind, and the next run would refuse to start. A lock whose process is
gone on this very host is stale and is removed, saying so; any other lock is respected."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from urllib.parse import urlparse


def lock_dir(backend_url: str, project: str, stack: str) -> Path | None:
    parsed = urlparse(backend_url)
    if parsed.scheme != "file":
        return None  # other backends manage their own locks
    return Path(parsed.path) / ".pulumi" / "locks" / "organization" / project / stack


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_locks(directory: Path | None, hostname: str | None = None) -> list[str]:
    """Removes this host's locks whose process is gone; returns what it removed."""
    if directory is None or not directory.is_dir():
        return []
    here = hostname or socket.gethostname()
    removed = []
    for lock in sorted(directory.glob("*.json")):
        try:
            info = json.loads(lock.read_text())
        except (OSError, ValueError):
            continue
        if info.get("hostname") == here and not _alive(int(info.get("pid", 0) or 0)):
            lock.unlink()
            removed.append(f"pid {info.get('pid')} since {info.get('timestamp')}")
    return removed
