"""functions.sh's converge_all run for real with bash against a recording systemctl: the
units of one step restart in one call after at most one daemon-reload, only the units whose
files changed (or that are not running) restart, a unit that never comes up fails the step
with its journal, and converge (one unit) keeps the stamps converge_all reads, so a lab
converged by one stays converged under the other."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from components.openstack.service import CloudFacts
from components.patience import KVM
from components.render import render

CLOUD = CloudFacts.plan("192.168.1.11", "10.0.2.11", "172.16.0.0/24", 1500, 1450)

# Records every call; `is-active` answers from the set of started units (a file per unit),
# `restart` starts its units unless one is listed in $LAB/broken.
SYSTEMCTL = """#!/bin/bash
echo "$*" >> "$LAB/calls"
case "$1" in
  is-active) unit=${@: -1}; [ -e "$LAB/active/$unit" ] && ! grep -qx "$unit" "$LAB/broken" ;;
  restart) shift; for u in "$@"; do touch "$LAB/active/$u"; done ;;
  *) exit 0 ;;
esac
"""


class Node:
    def __init__(self, root: Path, cloud: CloudFacts = CLOUD) -> None:
        self.root = root
        for sub in ("bin", "active", "etc"):
            (root / sub).mkdir()
        (root / "broken").touch()
        (root / "bin" / "systemctl").write_text(SYSTEMCTL)
        (root / "bin" / "journalctl").write_text('#!/bin/bash\necho "journal of $2"\n')
        (root / "bin" / "sleep").write_text("#!/bin/bash\n")  # retry's pauses, instant here
        for tool in ("systemctl", "journalctl", "sleep"):
            (root / "bin" / tool).chmod(0o755)
        self.functions = render("lib/functions.sh.j2", secret_dir=str(root / "secrets"),
                                cloud=cloud)

    def file(self, name: str, text: str) -> str:
        path = self.root / "etc" / name
        path.write_text(text)
        return str(path)

    def run(self, calls: str) -> subprocess.CompletedProcess:
        (self.root / "calls").write_text("")
        env = {**os.environ, "PATH": f"{self.root / 'bin'}:{os.environ['PATH']}",
               "LAB": str(self.root), "APPLIED_DIR": str(self.root / "applied"),
               "UNIT_DIR": str(self.root / "units")}
        return subprocess.run(["bash", "-c", f"set -euo pipefail\n{self.functions}\n{calls}\n"],
                              env=env, text=True, capture_output=True, timeout=60)

    def calls(self, verb: str) -> list[str]:
        return [c for c in (self.root / "calls").read_text().splitlines()
                if c.split()[0] == verb]


@pytest.fixture
def node(tmp_path):
    return Node(tmp_path)


def test_first_run_reloads_once_and_restarts_all_units_in_one_call(node):
    a, b = node.file("a.conf", "a=1"), node.file("b.conf", "b=1")
    done = node.run(f'converge_all "svc-a {a}" "svc-b {a} {b}" "svc-c {b}"')
    assert done.returncode == 0, done.stderr
    assert node.calls("daemon-reload") == ["daemon-reload"]
    assert node.calls("restart") == ["restart svc-a svc-b svc-c"]
    assert "restarting svc-a svc-b svc-c" in done.stdout
    for unit in ("svc-a", "svc-b", "svc-c"):
        dropin = node.root / "units" / f"{unit}.service.d" / "openstack-lab.conf"
        assert dropin.read_text() == f"[Service]\nTimeoutStartSec={CLOUD.patience.unit_start}\n"


def test_a_second_run_with_the_same_files_restarts_and_reloads_nothing(node):
    a = node.file("a.conf", "a=1")
    spec = f'converge_all "svc-a {a}" "svc-b {a}"'
    assert node.run(spec).returncode == 0
    done = node.run(spec)
    assert done.returncode == 0, done.stderr
    assert node.calls("restart") == [] and node.calls("daemon-reload") == []


def test_only_the_units_whose_files_changed_restart(node):
    a, b = node.file("a.conf", "a=1"), node.file("b.conf", "b=1")
    spec = f'converge_all "svc-a {a}" "svc-b {b}" "svc-c {a} {b}"'
    assert node.run(spec).returncode == 0
    node.file("b.conf", "b=2")
    done = node.run(spec)
    assert done.returncode == 0, done.stderr
    assert node.calls("restart") == ["restart svc-b svc-c"]
    assert node.calls("daemon-reload") == []


def test_a_stopped_unit_restarts_even_with_its_files_unchanged(node):
    a = node.file("a.conf", "a=1")
    spec = f'converge_all "svc-a {a}" "svc-b {a}"'
    assert node.run(spec).returncode == 0
    (node.root / "active" / "svc-a").unlink()
    assert node.run(spec).returncode == 0
    assert node.calls("restart") == ["restart svc-a"]


def test_a_unit_that_does_not_come_up_fails_with_its_journal_and_keeps_no_stamp(node):
    a = node.file("a.conf", "a=1")
    (node.root / "broken").write_text("svc-b\n")
    done = node.run(f'converge_all "svc-a {a}" "svc-b {a}"')
    assert done.returncode != 0
    assert "journal of svc-b" in done.stdout + done.stderr
    assert (node.root / "applied" / "svc-a").exists()
    assert not (node.root / "applied" / "svc-b").exists()  # the next run restarts it


def test_converge_and_converge_all_share_stamps(node):
    a, b = node.file("a.conf", "a=1"), node.file("b.conf", "b=1")
    assert node.run(f"converge svc-a {a} {b}\nconverge svc-b {b}").returncode == 0
    assert node.calls("restart") == ["restart svc-a", "restart svc-b"]
    done = node.run(f'converge_all "svc-a {a} {b}" "svc-b {b}"')
    assert done.returncode == 0, done.stderr
    assert node.calls("restart") == []


def test_a_missing_optional_file_counts_as_absent_and_mode_changes_count(node):
    a = node.file("a.conf", "a=1")
    spec = f'converge_all "svc-a {a} {node.root}/etc/default-svc-a"'
    assert node.run(spec).returncode == 0
    Path(a).chmod(0o600)
    assert node.run(spec).returncode == 0
    assert node.calls("restart") == ["restart svc-a"]


def test_kvm_nodes_get_the_kvm_start_timeout(tmp_path):
    node = Node(tmp_path, CloudFacts.plan("192.168.1.11", "10.0.2.11", "172.16.0.0/24",
                                          1500, 1450, patience=KVM))
    assert node.run(f'converge_all "svc-a {node.file("a.conf", "a")}"').returncode == 0
    dropin = tmp_path / "units" / "svc-a.service.d" / "openstack-lab.conf"
    assert dropin.read_text() == f"[Service]\nTimeoutStartSec={KVM.unit_start}\n"
    assert KVM.unit_start != CLOUD.patience.unit_start
