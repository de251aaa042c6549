"""`labctl checkpoint save|restore|list|delete` and the automatic checkpoint of `make up`:
the Lab a checkpoint works on, made from a stack of this project."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from pulumi import automation as auto

from labctl import checkpoint
from labctl.domains import node_domains
from labctl.leftovers import virsh
from labctl.workspace import REPO_ROOT, open_stack


def overlay_of(stack: str) -> str | None:
    """The overlay stack `make up` brings up after this underlay (scripts/lib.sh)."""
    name = f"{stack}-overlay"
    return name if (REPO_ROOT / f"Pulumi.{name}.yaml").exists() else None


def _export(stack: str) -> dict:
    deployment = open_stack(stack).export_stack()
    return {"version": deployment.version, "deployment": deployment.deployment}


def _import(stack: str, state: dict) -> None:
    open_stack(stack).import_stack(auto.Deployment(version=state["version"],
                                                   deployment=state["deployment"]))


def _has_resources(stack: str) -> bool:
    return bool((_export(stack).get("deployment") or {}).get("resources"))


def lab_of(stack: str) -> checkpoint.Lab:
    outputs = open_stack(stack).outputs()
    underlay = getattr(outputs.get("underlay"), "value", None)
    if getattr(outputs.get("layer"), "value", None) != "underlay" or underlay != "local":
        raise checkpoint.CheckpointError(
            f"stack {stack} is not a local lab (underlay {underlay or 'not up'}); checkpoints "
            "need the nodes' libvirt on this machine")
    overlay = overlay_of(stack)
    stacks = [stack] + ([overlay] if overlay and _has_resources(overlay) else [])
    return checkpoint.Lab(stack=stack, domains=node_domains(stack, outputs), virsh=virsh,
                          export_state=_export, import_state=_import, stacks=stacks,
                          say=lambda line: print(line, file=sys.stderr))


def run(action: str, stack: str, name: str | None) -> int:
    try:
        if action == "list":
            for m in checkpoint.listing(stack):
                print(f"{m.name:<16} {time.strftime('%Y-%m-%d %H:%M', time.localtime(m.created))}"
                      f"  {m.size_bytes / 2**30:6.1f} GiB  commit {m.commit}  "
                      f"stacks {', '.join(m.stacks)}")
        elif action == "delete":
            checkpoint.delete(stack, name)
        elif action == "save":
            checkpoint.save(lab_of(stack), name)
        elif action == "restore":
            checkpoint.restore(lab_of(stack), name)
        elif action == "auto":
            return auto_after_up(stack)
    except checkpoint.CheckpointError as why:
        print(f"checkpoint: {why}", file=sys.stderr)
        return 1
    return 0


def auto_after_up(stack: str) -> int:
    """`make up`'s last step: refresh the automatic checkpoint of a local lab (off with
    OPENSTACK_LAB_AUTO_CHECKPOINT=0); other underlays have none, and say so."""
    if os.environ.get("OPENSTACK_LAB_AUTO_CHECKPOINT", "1") == "0":
        return 0
    try:
        print(f"checkpoint {checkpoint.AUTO}: {checkpoint.refresh_auto(lab_of(stack))}",
              file=sys.stderr)
    except checkpoint.CheckpointError as why:
        # The lab is up; only its safety net is missing, and that is said.
        print(f"checkpoint {checkpoint.AUTO}: none ({why})", file=sys.stderr)
    except subprocess.CalledProcessError as why:
        # libvirt refused a step of the save: the nodes run again (checkpoint._resume), and
        # an `up` that converged does not fail for its safety net.
        print(f"checkpoint {checkpoint.AUTO}: none (libvirt: {why.cmd[3:]} failed: "
              f"{(why.stderr or '').strip() or f'exit {why.returncode}'})", file=sys.stderr)
    return 0


def restore_auto(stack: str, stopped: list[str]) -> bool:
    try:
        return checkpoint.restore_auto_if_it_matches(lab_of(stack), stopped)
    except checkpoint.CheckpointError as why:
        print(f"checkpoint {checkpoint.AUTO}: not used ({why})", file=sys.stderr)
        return False
