"""`up` starts a local lab's nodes that are shut off with autostart on, and nothing else:
no other lab's domains, no domain stopped on purpose, nothing for other underlays."""

from __future__ import annotations

import stat
from types import SimpleNamespace

import pytest

from labctl.domains import node_domains, start_stopped_nodes

FAKE_VIRSH = """#!/bin/sh
# Answers `list --name --inactive --autostart` from $FAKE_DIR/inactive_autostart and
# records every `start`; any other call fails, as virsh does without libvirt.
case "$*" in
  *"list --name --inactive --autostart"*) cat "$FAKE_DIR/inactive_autostart" ;;
  *" start "*) echo "$4" >> "$FAKE_DIR/started" ;;
  *) exit 1 ;;
esac
"""


@pytest.fixture
def virsh(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "virsh"
    fake.write_text(FAKE_VIRSH)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_DIR", str(tmp_path))
    return tmp_path


def out(value):
    return SimpleNamespace(value=value)


def test_node_domains_come_from_a_local_underlays_outputs():
    outputs = {"underlay": out("local"), "ready": out({"controller": "", "compute-1": ""})}
    assert node_domains("dev", outputs) == ["osl-dev-controller", "osl-dev-compute-1"]
    assert node_domains("dev", {**outputs, "underlay": out("metal")}) == []
    assert node_domains("dev-overlay", {"vip_url": out("http://x/")}) == []
    assert node_domains("new", {}) == []
    assert node_domains("half", {"underlay": out("local")}) == []


def test_only_this_labs_stopped_autostart_nodes_are_started(virsh):
    (virsh / "inactive_autostart").write_text(
        "osl-dev-controller\nosl-dev2-controller\nosl-dev-compute-1\n")
    started = start_stopped_nodes(["osl-dev-controller", "osl-dev-compute-1",
                                   "osl-dev-storage-1"])
    assert started == ["osl-dev-controller", "osl-dev-compute-1"]
    assert (virsh / "started").read_text().split() == started


def test_nothing_is_started_when_all_run_or_libvirt_is_absent(virsh):
    (virsh / "inactive_autostart").write_text("")
    assert start_stopped_nodes(["osl-dev-controller"]) == []
    assert not (virsh / "started").exists()
    (virsh / "inactive_autostart").unlink()  # `virsh list` fails: no libvirt here
    assert start_stopped_nodes(["osl-dev-controller"]) == []
