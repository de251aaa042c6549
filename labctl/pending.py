"""Interrupted creates: a `make up` killed while a step ran (kill -9, a lost terminal, the
host's OOM killer) leaves the engine's record of that create, a pending "creating"
operation, in the state. The next `up` runs the step again anyway, since the resource
never made it into the state, but the engine keeps the record: every later run warns of
resources "in an unknown state", and only an interactive `pulumi refresh` would clear it.

For the lab's own steps (pulumi-command's Commands) there is nothing to find out: each
script is idempotent, and the step wrapper stops a run that outlived its `up` before the
step runs again. Their records are dropped. Any other resource type (a libvirt volume,
a domain) keeps its record, and pulumi's warning, for a person to check what exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pulumi import automation as auto

RERUNNABLE = ("command:remote:Command", "command:local:Command")


def split_interrupted_creates(deployment: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    """(pending operations to keep, interrupted creates of re-runnable resources)."""
    keep: list[dict] = []
    drop: list[dict] = []
    for op in deployment.get("pending_operations") or []:
        rerunnable = op.get("type") == "creating" and \
            op.get("resource", {}).get("type") in RERUNNABLE
        (drop if rerunnable else keep).append(op)
    return keep, drop


def drop_interrupted_creates(stack: auto.Stack, locks: Path | None) -> list[str]:
    """Drops the records of interrupted step creates; returns their URNs. Call it after
    the stale locks are gone: while a live run holds the stack, its pending operations
    are in progress, not interrupted, and are left alone."""
    if locks is not None and locks.is_dir() and any(locks.glob("*.json")):
        return []
    exported = stack.export_stack()
    keep, drop = split_interrupted_creates(exported.deployment)
    if not drop:
        return []
    exported.deployment["pending_operations"] = keep
    stack.import_stack(exported)
    return [op["resource"]["urn"] for op in drop]
