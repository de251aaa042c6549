"""Lab checkpoints against a simulated libvirt: all nodes saved at one moment and brought
back with their disks and states; refused when the program or the nodes changed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from labctl import checkpoint
from labctl.checkpoint import CheckpointError, Lab


DOMAIN_XML = """<domain type='{accel}'><name>{name}</name><devices>
  <disk type='volume' device='disk'>
    <source pool='osl-dev' volume='{volume}' index='2'/>
    <backingStore type='file'><source file='/pool/base.qcow2'/></backingStore>
    <target dev='vda' bus='virtio'/>
  </disk>
  <disk type='file' device='cdrom'>
    <source file='/pool/seed.iso'/><target dev='sda' bus='sata'/><readonly/>
  </disk>
</devices></domain>"""


class FakeLibvirt:
    """Domains with a state and their root disks as pool volumes, as the lab's nodes have
    them; `save` keeps what the disks held in the saved file, as libvirt keeps the
    guest's memory, so a restore can be checked against it."""

    def __init__(self, tmp: Path, names: list[str]):
        self.state, self.disks, self.calls = {}, {}, []
        for name in names:
            disk = tmp / f"{name}-root.qcow2"
            disk.write_text(f"{name} installed")
            self.state[name], self.disks[name] = "running", {"vda": str(disk)}
        self.fail_save: str | None = None
        self.unloadable: set[str] = set()  # memory QEMU cannot load (TCG, nested guest)
        self.pool = tmp
        self.accel = "kvm"  # libvirt's domain type: kvm, or qemu for TCG

    def __call__(self, *args: str) -> list[str]:
        self.calls.append(args)
        cmd, rest = args[0], args[1:]
        if cmd == "list":
            # `list --name` and `--state-running --state-paused` both mean the active ones.
            return [d for d, s in self.state.items() if s in ("running", "paused")]
        if cmd == "dumpxml":
            disks = self.disks[rest[0]]
            return DOMAIN_XML.format(name=rest[0], volume=Path(disks["vda"]).name,
                                     accel=self.accel).splitlines() \
                if disks else [f"<domain><name>{rest[0]}</name><devices/></domain>"]
        if cmd == "vol-path":
            assert rest[1:] == ("--pool", "osl-dev"), rest
            return [str(self.pool / rest[0])]
        if cmd == "suspend":
            self.state[rest[0]] = "paused"
        elif cmd == "save":
            if rest[0] == self.fail_save:
                raise subprocess.CalledProcessError(1, args)
            Path(rest[1]).write_text(json.dumps({"domain": rest[0]}))
            self.state[rest[0]] = "shut off"
        elif cmd == "restore":
            domain = json.loads(Path(rest[0]).read_text())["domain"]
            if domain in self.unloadable:
                raise subprocess.CalledProcessError(1, args)
            self.state[domain] = "paused"
        elif cmd == "start":
            self.state[rest[0]] = "paused" if "--paused" in rest else "running"
            self.calls.append(("booted", rest[0]))
        elif cmd == "resume":
            if self.state[rest[0]] != "paused":
                raise subprocess.CalledProcessError(1, args)
            self.state[rest[0]] = "running"
        elif cmd == "destroy":
            self.state[rest[0]] = "shut off"
        return []


DOMAINS = ["osl-dev-controller", "osl-dev-compute-1"]


@pytest.fixture
def lab(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint, "program_digest", lambda root=None: "prog-1")
    monkeypatch.setattr(checkpoint, "commit", lambda root=None: "abc123")
    libvirt = FakeLibvirt(tmp_path, DOMAINS)
    states = {"dev": {"version": 3, "deployment": {"resources": [{"urn": "a", "id": "1"}]}},
              "dev-overlay": {"version": 3, "deployment": {"resources": [{"urn": "b"}]}}}
    imported = {}
    lab = Lab(stack="dev", domains=DOMAINS, virsh=libvirt,
              export_state=lambda s: json.loads(json.dumps(states[s])),
              import_state=lambda s, st: imported.__setitem__(s, st),
              stacks=["dev", "dev-overlay"], say=lambda line: None)
    lab.libvirt, lab.states, lab.imported, lab.root = libvirt, states, imported, tmp_path / "cp"
    return lab


def test_save_pauses_every_node_before_saving_any_and_leaves_them_running(lab):
    manifest = checkpoint.save(lab, "good", lab.root)
    calls = [c[:2] for c in lab.libvirt.calls if c[0] in ("suspend", "save")]
    assert calls == [("suspend", d) for d in DOMAINS] + [("save", d) for d in DOMAINS]
    assert set(lab.libvirt.state.values()) == {"running"}
    assert manifest.stacks == ["dev", "dev-overlay"] and manifest.commit == "abc123"
    assert [n.disks for n in manifest.nodes] == [lab.libvirt.disks[d] for d in DOMAINS]
    directory = lab.root / "good"
    assert (directory / "osl-dev-controller-vda").read_text() == "osl-dev-controller installed"
    assert json.loads((directory / "state-dev.json").read_text()) == lab.states["dev"]
    assert [m.name for m in checkpoint.listing("dev", lab.root)] == ["good"]
    # The seed CD is not copied: it never changes.
    assert not list(directory.glob("*sda*"))


def test_restore_brings_back_disks_nodes_and_states(lab):
    checkpoint.save(lab, "good", lab.root)
    broken = Path(lab.libvirt.disks["osl-dev-controller"]["vda"])
    broken.write_text("a student broke neutron")
    lab.states["dev"]["deployment"]["resources"].append({"urn": "new"})
    checkpoint.restore(lab, "good", lab.root)
    assert broken.read_text() == "osl-dev-controller installed"
    assert set(lab.libvirt.state.values()) == {"running"}
    assert lab.imported["dev"]["deployment"]["resources"] == [{"urn": "a", "id": "1"}]
    assert ("domtime", "osl-dev-controller", "--sync") in lab.libvirt.calls


def test_restore_refuses_another_program_version(lab, monkeypatch):
    checkpoint.save(lab, "good", lab.root)
    monkeypatch.setattr(checkpoint, "program_digest", lambda root=None: "prog-2")
    with pytest.raises(CheckpointError, match="another program version.*abc123"):
        checkpoint.restore(lab, "good", lab.root)
    assert not [c for c in lab.libvirt.calls if c[0] == "destroy"]


def test_restore_refuses_a_node_replaced_since(lab, tmp_path):
    checkpoint.save(lab, "good", lab.root)
    lab.libvirt.disks["osl-dev-compute-1"] = {"vda": str(tmp_path / "osl-dev-compute-1-root-new")}
    with pytest.raises(CheckpointError, match="osl-dev-compute-1 was replaced since"):
        checkpoint.restore(lab, "good", lab.root)


def test_save_refuses_when_a_node_is_off_and_a_failed_save_leaves_none_paused(lab):
    lab.libvirt.state["osl-dev-compute-1"] = "shut off"
    with pytest.raises(CheckpointError, match="not: osl-dev-compute-1"):
        checkpoint.save(lab, "x", lab.root)
    lab.libvirt.state["osl-dev-compute-1"] = "running"
    lab.libvirt.fail_save = "osl-dev-compute-1"
    with pytest.raises(subprocess.CalledProcessError):
        checkpoint.save(lab, "y", lab.root)
    assert set(lab.libvirt.state.values()) == {"running"}


def test_automatic_checkpoint_is_saved_only_when_the_lab_changed(lab):
    assert checkpoint.refresh_auto(lab, lab.root) == "saved"
    assert checkpoint.refresh_auto(lab, lab.root) == "unchanged"
    lab.states["dev-overlay"]["deployment"]["resources"] = []
    assert checkpoint.refresh_auto(lab, lab.root) == "saved"


def test_killed_nodes_come_back_from_the_automatic_checkpoint_only_if_it_matches(lab):
    assert not checkpoint.restore_auto_if_it_matches(lab, ["osl-dev-controller"], lab.root)
    checkpoint.refresh_auto(lab, lab.root)
    for d in DOMAINS:
        lab.libvirt.state[d] = "shut off"
    assert checkpoint.restore_auto_if_it_matches(lab, DOMAINS, lab.root)
    assert set(lab.libvirt.state.values()) == {"running"}
    for d in DOMAINS:
        lab.libvirt.state[d] = "shut off"
    lab.states["dev"]["deployment"]["resources"].append({"urn": "later"})
    assert not checkpoint.restore_auto_if_it_matches(lab, DOMAINS, lab.root)


def test_program_digest_follows_the_program_not_the_docs(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "a.py").write_text("x = 1\n")
    (tmp_path / "README.md").write_text("docs\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "."], check=True)
    before = checkpoint.program_digest(tmp_path)
    (tmp_path / "README.md").write_text("more docs\n")
    assert checkpoint.program_digest(tmp_path) == before
    (tmp_path / "components" / "a.py").write_text("x = 2\n")
    assert checkpoint.program_digest(tmp_path) != before


def test_a_node_whose_memory_cannot_be_loaded_boots_from_its_disks(lab):
    """Seen on the lab: the automatic checkpoint after `make up` saved the TCG compute node
    while it ran a nested guest, QEMU could not load it, and the lab was left off."""
    lab.libvirt.unloadable.add("osl-dev-compute-1")
    checkpoint.save(lab, "good", lab.root)
    assert set(lab.libvirt.state.values()) == {"running"}
    assert ("booted", "osl-dev-compute-1") in lab.libvirt.calls
    Path(lab.libvirt.disks["osl-dev-compute-1"]["vda"]).write_text("broken")
    checkpoint.restore(lab, "good", lab.root)
    assert set(lab.libvirt.state.values()) == {"running"}
    assert Path(lab.libvirt.disks["osl-dev-compute-1"]["vda"]).read_text() == \
        "osl-dev-compute-1 installed"
    assert ("booted", "osl-dev-controller") not in lab.libvirt.calls


def test_save_refuses_a_node_without_a_disk_it_can_copy(lab):
    lab.libvirt.disks["osl-dev-compute-1"] = {}
    with pytest.raises(CheckpointError, match="no writable disk found for: osl-dev-compute-1"):
        checkpoint.save(lab, "x", lab.root)
    assert set(lab.libvirt.state.values()) == {"running"}
    assert not (lab.root / "x").exists()


def test_no_automatic_checkpoint_where_nodes_run_under_tcg(lab):
    lab.libvirt.accel = "qemu"
    with pytest.raises(CheckpointError, match="under TCG"):
        checkpoint.refresh_auto(lab, lab.root)
    assert not [c for c in lab.libvirt.calls if c[0] in ("suspend", "save")]
    assert set(lab.libvirt.state.values()) == {"running"}
