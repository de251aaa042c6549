"""scripts/debug/amphora-logs.sh with ssh, sudo and mysql replaced by recorders: the node
gets its part over the stack's SSH config, asks Octavia's database for the amphorae, and
sends each the report, unchanged, with Octavia's key and a known_hosts file of its own."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

DEBUG = Path(__file__).resolve().parents[2] / "scripts" / "debug"

FAKE_SSH = """#!/usr/bin/env bash
# the hop to the node runs its stream here; the hop to an amphora is recorded
if [ "$1" = -F ]; then
  printf '%s\\n' "$*" >> "$RECORD/node-args"
  exec bash -s
fi
n=$(ls "$RECORD" | grep -c '^amphora-args' || true)
printf '%s\\n' "$*" > "$RECORD/amphora-args-$n"
cat > "$RECORD/amphora-stdin-$n"
"""


def executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def lab(tmp_path):
    bin_dir, record, home = tmp_path / "bin", tmp_path / "record", tmp_path / "home"
    for d in (bin_dir, record, home / "ssh" / "dev"):
        d.mkdir(parents=True)
    (home / "ssh" / "dev" / "config").write_text("Host controller\n")
    executable(bin_dir / "ssh", FAKE_SSH)
    executable(bin_dir / "sudo", "#!/bin/sh\nexec \"$@\"\n")
    key = tmp_path / "amphora_ssh"
    key.write_text("KEY\n")

    def run(rows: str) -> subprocess.CompletedProcess:
        executable(bin_dir / "mysql", f"#!/bin/sh\nprintf '{rows}'\n")
        node = (DEBUG / "amphora-logs-node.sh").read_text().replace(
            "/etc/octavia/amphora_ssh", str(key))
        patched = tmp_path / "debug"
        patched.mkdir(exist_ok=True)
        for name in ("amphora-logs.sh", "amphora-report.sh"):
            (patched / name).write_text((DEBUG / name).read_text().replace(
                '"$(dirname "$0")/../lib.sh"', f'"{DEBUG.parent}/lib.sh"'))
        (patched / "amphora-logs-node.sh").write_text(node)
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "RECORD": str(record),
               "OPENSTACK_LAB_HOME": str(home)}
        return subprocess.run(["bash", str(patched / "amphora-logs.sh"), "dev"],
                              capture_output=True, text=True, env=env, timeout=60)

    return run, record


def test_each_amphora_gets_the_report_over_its_own_known_hosts(lab):
    run, record = lab
    done = run("amp-1\\t172.31.255.20\\tALLOCATED\\namp-2\\t172.31.255.21\\tBOOTING\\n")
    assert done.returncode == 0, done.stderr
    assert "=== amphora amp-1 (ALLOCATED) at 172.31.255.20" in done.stdout
    assert (record / "node-args").read_text().split()[-4:] == ["controller", "sudo", "bash",
                                                               "-s"]
    report = (DEBUG / "amphora-report.sh").read_text()
    for n, ip in enumerate(["172.31.255.20", "172.31.255.21"]):
        args = (record / f"amphora-args-{n}").read_text().split()
        assert f"debian@{ip}" in args and "StrictHostKeyChecking=accept-new" in args
        assert "UserKnownHostsFile=/var/lib/openstack-lab/amphora_known_hosts" in args
        assert (record / f"amphora-stdin-{n}").read_text() == report


def test_no_amphora_is_said_so(lab):
    run, record = lab
    done = run("")
    assert done.returncode == 0, done.stderr
    assert "no amphora with a management address" in done.stdout
    assert not list(record.glob("amphora-args-*"))


def test_the_node_part_needs_the_report():
    done = subprocess.run(["bash", str(DEBUG / "amphora-logs-node.sh")], capture_output=True,
                          text=True, env={k: v for k, v in os.environ.items()
                                          if k != "AMPHORA_REPORT"})
    assert done.returncode != 0 and "AMPHORA_REPORT" in done.stderr
