"""A lab's nodes that are shut off although they should run: libvirtd starts autostart
domains only once per boot (its marker lives in /run), so where the daemon and QEMU were
killed without a reboot (a container or build machine that stops background processes,
an OOM kill) the nodes stay off, and `pulumi up`, which trusts its state, would wait on
them step after step. `up` starts them first, like a boot would."""

from __future__ import annotations

import subprocess

from labctl.leftovers import virsh


def node_domains(stack: str, outputs: dict) -> list[str]:
    """The libvirt domains of a local underlay's nodes, from its outputs (none for metal,
    GCP, an overlay or a stack never brought up)."""
    if getattr(outputs.get("underlay"), "value", None) != "local":
        return []
    ready = outputs.get("ready")
    # Named as components.lab_nodes.LabContext.prefix and KvmNode name them.
    return [f"osl-{stack}-{node}" for node in ((ready.value if ready else None) or {})]


def stopped_nodes(domains: list[str]) -> list[str]:
    """Those of `domains` that are shut off with autostart on. A domain with autostart off
    was stopped on purpose and is left alone."""
    if not domains:
        return []
    try:
        stopped = virsh("list", "--name", "--inactive", "--autostart")
    except (OSError, subprocess.CalledProcessError):
        return []  # no libvirt here (a metal or GCP underlay, a test machine): nothing to do
    return [name for name in stopped if name in domains]


def start_nodes(names: list[str]) -> list[str]:
    for name in names:
        virsh("start", name)
    return names


def start_stopped_nodes(domains: list[str]) -> list[str]:
    """Starts those of `domains` that are shut off with autostart on; returns their names."""
    return start_nodes(stopped_nodes(domains))
