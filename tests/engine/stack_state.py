"""A throwaway stack's state as the fault tests read it: the engine's locks, interrupted
operations, the commands it holds, labctl's recovery, and convergence."""

from __future__ import annotations

from pathlib import Path

from pulumi import automation as auto

from labctl.locks import lock_dir, remove_stale_locks
from labctl.pending import drop_interrupted_creates

def locks_of(stack: auto.Stack) -> Path:
    found = lock_dir(stack.workspace.env_vars["PULUMI_BACKEND_URL"], "toolchain-check",
                     stack.name)
    assert found is not None
    return found


def held_locks(stack: auto.Stack) -> list[Path]:
    directory = locks_of(stack)
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def pending(stack: auto.Stack) -> list[tuple[str, str]]:
    ops = stack.export_stack().deployment.get("pending_operations") or []
    return [(op["type"], op["resource"]["urn"].rsplit("::", 1)[-1]) for op in ops]


def commands_in_state(stack: auto.Stack) -> list[str]:
    resources = stack.export_stack().deployment.get("resources") or []
    return sorted(r["urn"].rsplit("::", 1)[-1] for r in resources
                  if r["type"].startswith("command:"))


def recover(stack: auto.Stack) -> tuple[list[str], list[str]]:
    """What `labctl up` and `labctl destroy` do before they run (labctl/__main__.py)."""
    locks = locks_of(stack)
    return remove_stale_locks(locks), drop_interrupted_creates(stack, locks)


def assert_converged(stack: auto.Stack, resources: int) -> None:
    """A further `up` changes nothing and has no interrupted operation to warn about."""
    again = stack.up()
    assert again.summary.resource_changes == {"same": resources}, again.stdout
    assert "pending operations" not in again.stdout
    assert pending(stack) == []
