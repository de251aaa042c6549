"""A lab's nodes that are shut off although they should run: libvirtd starts autostart
domains only once per boot (its marker lives in /run), so where the daemon and QEMU were
killed without a reboot (a container or build machine that stops background processes,
an OOM kill) the nodes stay off, and `pulumi up`, which trusts its state, would wait on
them step after step. `up` starts them first, like a boot would."""

from __future__ import annotations

import shutil
import subprocess

from labctl.leftovers import URI


def _names(*args: str) -> list[str]:
    done = subprocess.run(["virsh", "-c", URI, "list", "--name", *args],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        return []  # no libvirt here (a metal or GCP underlay, a test machine): nothing to do
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def node_domains(stack: str, outputs: dict) -> list[str]:
    """The libvirt domains of a local underlay's nodes, from its outputs (none for metal,
    GCP, an overlay or a stack never brought up)."""
    if getattr(outputs.get("underlay"), "value", None) != "local":
        return []
    ready = outputs.get("ready")
    # Named as components.lab_nodes.LabContext.prefix and KvmNode name them.
    return [f"osl-{stack}-{node}" for node in ((ready.value if ready else None) or {})]


def start_stopped_nodes(domains: list[str]) -> list[str]:
    """Starts those of `domains` that are shut off with autostart on; returns their names.
    A domain with autostart off was stopped on purpose and is left alone."""
    if not domains or shutil.which("virsh") is None:
        return []
    started = []
    for name in _names("--inactive", "--autostart"):
        if name in domains:
            subprocess.run(["virsh", "-c", URI, "start", name], capture_output=True,
                           text=True, timeout=300, check=True)
            started.append(name)
    return started
