"""Lab checkpoints: every node of a local lab saved at one moment — memory (so services
need not boot again) and writable disks — with the Pulumi state of the stack and of its
overlay, and put back in minutes instead of a reinstall.

A checkpoint lives outside git under $OPENSTACK_LAB_HOME/checkpoints/<stack>/<name>/:
`manifest.json`, one `<domain>.mem` per node (libvirt's saved state: memory, devices and the
domain's XML), a copy of each writable disk, and `state-<stack>.json` per stack.

Consistency: all nodes are paused first, so no node runs while another is being saved;
each is then saved (libvirt stops it), its disks copied, and all are restored paused and
resumed together. A restore is refused when the checkpoint was made by another program
version (the digest of what decides the nodes and the install) or when a node was replaced
since (its disks are other files now): the saved state would then not describe the lab.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from components.paths import lab_home

REPO_ROOT = Path(__file__).resolve().parent.parent
# What decides the nodes and what is installed on them (not docs, tests or benches).
PROGRAM_PATHS = ("__main__.py", "components", "templates", "scripts/image", "requirements.txt",
                 "Pulumi.yaml")

Virsh = Callable[..., list[str]]


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be made or used; the message says why."""


def checkpoint_root(stack: str) -> Path:
    return lab_home() / "checkpoints" / stack


def program_digest(root: Path = REPO_ROOT) -> str:
    """The content of the program's tracked files as they are in the work tree."""
    listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z", *PROGRAM_PATHS],
                            capture_output=True, check=True).stdout.decode().split("\0")
    h = hashlib.sha256()
    for name in sorted(n for n in listed if n):
        path = root / name
        if path.is_file():
            h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def commit(root: Path = REPO_ROOT) -> str:
    return subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                          capture_output=True, text=True).stdout.strip()


@dataclass
class Node:
    domain: str
    disks: dict[str, str]  # target (vda) -> the file the domain writes to
    memory: str = ""  # file name of the saved state inside the checkpoint


@dataclass
class Manifest:
    name: str
    stack: str
    created: float
    commit: str
    program: str
    nodes: list[Node]
    stacks: list[str] = field(default_factory=list)  # whose states are saved
    size_bytes: int = 0

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        raw = json.loads((directory / "manifest.json").read_text())
        raw["nodes"] = [Node(**n) for n in raw["nodes"]]
        return cls(**raw)

    def write(self, directory: Path) -> None:
        (directory / "manifest.json").write_text(json.dumps(asdict(self), indent=2) + "\n")


def domain_xml(virsh: Virsh, domain: str) -> ET.Element:
    return ET.fromstring("\n".join(virsh("dumpxml", domain)))


def writable_disks(virsh: Virsh, domain: str) -> dict[str, str]:
    """The domain's writable disks by target, as host paths: files, and pool volumes (the
    lab's nodes have theirs in a libvirt pool, and `domblklist` names those by volume name
    only, so a checkpoint read from it held no disk at all). Not CD-ROMs: the cloud-init
    seed never changes."""
    disks = {}
    for disk in domain_xml(virsh, domain).findall("./devices/disk"):
        source, target = disk.find("source"), disk.find("target")
        if disk.get("device") != "disk" or disk.find("readonly") is not None \
                or source is None or target is None:
            continue
        if disk.get("type") == "file":
            path = source.get("file", "")
        elif disk.get("type") == "volume":
            path = virsh("vol-path", source.get("volume", ""), "--pool", source.get("pool", ""))[0]
        else:
            continue
        if path.startswith("/"):
            disks[target.get("dev", "")] = path
    return disks


def copy_file(source: Path, target: Path) -> None:
    """Sparse copy (reflink where the filesystem can): qcow2 files are mostly holes."""
    subprocess.run(["cp", "--sparse=always", "--reflink=auto", str(source), str(target)],
                   check=True)


@dataclass
class Lab:
    """What a checkpoint works on: the stack, its node domains, how to reach libvirt and
    the Pulumi states (export/import per stack name)."""

    stack: str
    domains: Sequence[str]
    virsh: Virsh
    export_state: Callable[[str], dict]
    import_state: Callable[[str, dict], None]
    stacks: Sequence[str] = ()  # the states to keep: the underlay and its overlay
    copy: Callable[[Path, Path], None] = copy_file
    say: Callable[[str], None] = print


def save(lab: Lab, name: str, root: Path | None = None) -> Manifest:
    directory = (root or checkpoint_root(lab.stack)) / name
    if directory.exists():
        raise CheckpointError(f"checkpoint {name} exists; delete it first")
    running = set(lab.virsh("list", "--name", "--state-running", "--state-paused"))
    missing = [d for d in lab.domains if d not in running]
    if not lab.domains or missing:
        raise CheckpointError(f"every node must be running to save a checkpoint; not: "
                              f"{', '.join(missing) or 'no nodes'}")
    nodes = [Node(d, writable_disks(lab.virsh, d), f"{d}.mem") for d in lab.domains]
    diskless = [n.domain for n in nodes if not n.disks]
    if diskless:  # memory without its disks cannot be restored
        raise CheckpointError(f"no writable disk found for: {', '.join(diskless)}")
    directory.mkdir(parents=True)
    started = time.monotonic()
    try:
        states = {s: lab.export_state(s) for s in lab.stacks}
        lab.say(f"checkpoint: pausing {len(nodes)} nodes")
        for node in nodes:
            lab.virsh("suspend", node.domain)
        for node in nodes:
            lab.say(f"checkpoint: saving {node.domain} (memory, then {len(node.disks)} disks)")
            lab.virsh("save", node.domain, str(directory / node.memory), "--paused")
            for target, source in node.disks.items():
                lab.copy(Path(source), directory / f"{node.domain}-{target}")
        for stack, state in states.items():
            (directory / f"state-{stack}.json").write_text(json.dumps(state))
    finally:
        _resume(lab, nodes, directory)
    manifest = Manifest(name, lab.stack, time.time(), commit(), program_digest(), nodes,
                        list(lab.stacks), _size(directory))
    manifest.write(directory)
    lab.say(f"checkpoint: {name} saved in {time.monotonic() - started:.0f} s "
            f"({manifest.size_bytes / 2**30:.1f} GiB)")
    return manifest


def _resume(lab: Lab, nodes: Sequence[Node], directory: Path) -> None:
    """Every node runs again, whether its save finished or not (a failed save must not
    leave the lab off)."""
    running = set(lab.virsh("list", "--name"))
    for node in nodes:
        if node.domain not in running and (directory / node.memory).exists():
            _restore_or_boot(lab, node, directory)
    for node in nodes:
        try:
            lab.virsh("resume", node.domain)
        except subprocess.CalledProcessError:
            pass  # already running
    _sync_clocks(lab, nodes)


def _restore_or_boot(lab: Lab, node: Node, directory: Path) -> None:
    """The node, paused, from its saved memory; or booted from its disks where QEMU cannot
    load that memory: under TCG it cannot load a vCPU saved while it ran a nested guest
    (QEMU's nested-state check is built for KVM only; "error while loading state for
    instance 0x0 of device 'cpu'" on the lab's compute node), and the node must not stay
    off."""
    try:
        lab.virsh("restore", str(directory / node.memory), "--paused")
    except subprocess.CalledProcessError:
        lab.say(f"checkpoint: {node.domain}'s memory could not be loaded; booting it from "
                f"its disks")
        lab.virsh("start", node.domain, "--paused")


def _sync_clocks(lab: Lab, nodes: Sequence[Node]) -> None:
    """The guests' clocks stood still while they were saved (or for as long as the
    checkpoint was kept): set them from the host through the guest agent, or tokens and
    heartbeats between the nodes see time jump."""
    for node in nodes:
        try:
            lab.virsh("domtime", node.domain, "--sync")
        except subprocess.CalledProcessError:
            lab.say(f"checkpoint: could not set {node.domain}'s clock (guest agent); chrony "
                    "will step it")


def usable(lab: Lab, name: str, root: Path | None = None) -> tuple[Manifest, Path]:
    """The checkpoint, if it can be restored onto this lab; else why not."""
    directory = (root or checkpoint_root(lab.stack)) / name
    if not (directory / "manifest.json").exists():
        raise CheckpointError(f"no checkpoint {name} for stack {lab.stack}")
    manifest = Manifest.load(directory)
    here = program_digest()
    if manifest.program != here:
        raise CheckpointError(f"checkpoint {name} was made by another program version "
                              f"(commit {manifest.commit}, program {manifest.program}; this "
                              f"is {here}): its state would not match what `up` builds")
    if sorted(n.domain for n in manifest.nodes) != sorted(lab.domains):
        raise CheckpointError(f"checkpoint {name} has nodes {[n.domain for n in manifest.nodes]}"
                              f", the lab has {list(lab.domains)}")
    for node in manifest.nodes:
        now = writable_disks(lab.virsh, node.domain)
        if now != node.disks:
            raise CheckpointError(f"{node.domain} was replaced since checkpoint {name}: its "
                                  f"disks are {now}, the checkpoint's {node.disks}")
    return manifest, directory


def restore(lab: Lab, name: str, root: Path | None = None) -> Manifest:
    manifest, directory = usable(lab, name, root)
    started = time.monotonic()
    active = set(lab.virsh("list", "--name"))
    for node in manifest.nodes:
        if node.domain in active:
            lab.virsh("destroy", node.domain)
    for node in manifest.nodes:
        for target, path in node.disks.items():
            lab.copy(directory / f"{node.domain}-{target}", Path(path))
    for node in manifest.nodes:
        lab.say(f"checkpoint: restoring {node.domain}")
        _restore_or_boot(lab, node, directory)
    for node in manifest.nodes:
        lab.virsh("resume", node.domain)
    _sync_clocks(lab, manifest.nodes)
    for stack in manifest.stacks:
        lab.import_state(stack, json.loads((directory / f"state-{stack}.json").read_text()))
    lab.say(f"checkpoint: {name} restored in {time.monotonic() - started:.0f} s")
    return manifest


def listing(stack: str, root: Path | None = None) -> list[Manifest]:
    base = root or checkpoint_root(stack)
    found = [Manifest.load(d) for d in sorted(base.glob("*")) if (d / "manifest.json").exists()]
    return sorted(found, key=lambda m: m.created)


def delete(stack: str, name: str, root: Path | None = None) -> None:
    directory = (root or checkpoint_root(stack)) / name
    if not directory.exists():
        raise CheckpointError(f"no checkpoint {name} for stack {stack}")
    shutil.rmtree(directory)


def _size(directory: Path) -> int:
    """Bytes really used (the copies are sparse)."""
    return sum(p.stat().st_blocks * 512 for p in directory.iterdir() if p.is_file())


AUTO = "auto"


def same_states(lab: Lab, manifest: Manifest, directory: Path) -> bool:
    """Whether the stacks' states are still those the checkpoint saved (nothing was
    created, changed or deleted since)."""
    if sorted(manifest.stacks) != sorted(lab.stacks):
        return False
    for stack in manifest.stacks:
        saved = json.loads((directory / f"state-{stack}.json").read_text())
        if _resources(saved) != _resources(lab.export_state(stack)):
            return False
    return True


def _resources(state: dict) -> list:
    """What identifies the lab in a state: each resource's URN, id, inputs and outputs."""
    deployment = state.get("deployment") or {}
    return sorted((json.dumps([r.get("urn"), r.get("id"), r.get("inputs"), r.get("outputs")],
                              sort_keys=True)
                   for r in deployment.get("resources") or []))


def refresh_auto(lab: Lab, root: Path | None = None) -> str:
    """After a successful `make up`: the automatic checkpoint, saved anew only when the lab
    changed since the last one (a no-op `up` costs one state comparison)."""
    emulated = [d for d in lab.domains if domain_xml(lab.virsh, d).get("type") == "qemu"]
    if emulated:
        # Saving them would be safe, loading the compute node is not: under TCG QEMU
        # cannot load a vCPU saved while it ran a nested guest, so each `up` would end by
        # cold-booting the compute node and every guest on it (seen on the lab).
        raise CheckpointError(f"not kept where nodes run under TCG ({', '.join(emulated)}): "
                              f"their memory cannot always be loaded; save one by hand with "
                              f"`make checkpoint-save NAME=...`")
    directory = (root or checkpoint_root(lab.stack)) / AUTO
    if (directory / "manifest.json").exists():
        try:
            manifest, _ = usable(lab, AUTO, root)
            if same_states(lab, manifest, directory):
                return "unchanged"
        except CheckpointError:
            pass
        delete(lab.stack, AUTO, root)
    save(lab, AUTO, root)
    return "saved"


def restore_auto_if_it_matches(lab: Lab, stopped: Sequence[str],
                               root: Path | None = None) -> bool:
    """Nodes that were killed (no reboot of theirs ran) come back from the automatic
    checkpoint, in minutes, where it describes exactly this lab; else False (boot them)."""
    if not stopped:
        return False
    directory = (root or checkpoint_root(lab.stack)) / AUTO
    if not (directory / "manifest.json").exists():
        return False
    try:
        manifest, _ = usable(lab, AUTO, root)
    except CheckpointError as why:
        lab.say(f"checkpoint: not using {AUTO}: {why}")
        return False
    if not same_states(lab, manifest, directory):
        lab.say(f"checkpoint: not using {AUTO}: the lab changed since it was saved")
        return False
    restore(lab, AUTO, root)
    return True
