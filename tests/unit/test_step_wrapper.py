"""The step wrapper run for real with bash (sudo shimmed): a run that outlived its
`pulumi up` is stopped before the step runs again, and the new script never overwrites
the file a running bash reads."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from components.render import render


@pytest.fixture
def node(tmp_path: Path) -> dict[str, Path]:
    """A fake node: `sudo -n CMD` runs CMD (the test already is the right user)."""
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "sudo").write_text('#!/bin/sh\n[ "$1" = -n ] && shift\nexec "$@"\n')
    (shim / "sudo").chmod(0o755)
    return {"bin": shim, "steps": tmp_path / "steps", "run": tmp_path / "run",
            "logs": tmp_path / "logs"}


def _wrapper(node: dict[str, Path], body: str) -> str:
    return render("lib/wrapper.sh.j2", step="demo", node="controller", body=body,
                  step_dir=str(node["steps"]), run_dir=str(node["run"]),
                  log_dir=str(node["logs"]))


def _run(node, body, **kw) -> subprocess.Popen:
    env = {**os.environ, "PATH": f"{node['bin']}:{os.environ['PATH']}"}
    return subprocess.Popen(["bash", "-c", _wrapper(node, body)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def _wait_for(path: Path) -> str:
    for _ in range(100):
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.1)
    raise AssertionError(f"{path} never written")


def test_an_earlier_run_is_stopped_before_the_step_runs_again(node):
    # The first run is cut off from its caller (a killed `pulumi up`) and keeps going.
    first = _run(node, "sleep 300 & wait", start_new_session=True)
    pgid = int(_wait_for(node["run"] / "demo.pgid"))
    assert pgid != first.pid  # its own process group, not the caller's
    second = _run(node, 'echo "second run"')
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert out.strip() == "second run"
    assert f"stopping an earlier run of demo (process group {pgid})" in err
    first.wait(timeout=30)
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)  # the whole group is gone, children included
    first.stdout.close()
    first.stderr.close()


def test_no_earlier_run_no_message_and_the_status_comes_through(node):
    done = _run(node, "echo ok; exit 3")
    out, err = done.communicate(timeout=60)
    assert (done.returncode, out.strip()) == (3, "ok")
    assert "stopping" not in err
    assert (node["steps"] / "demo.sh").read_text().strip().endswith("exit 3")


def test_a_failed_step_ends_with_one_block_naming_node_log_tail_and_rerun(node):
    logs = node["logs"]
    body = (f"mkdir -p {logs}; for i in $(seq 1 40); do echo line-$i >> {logs}/demo.log; done\n"
            "exit 7")
    done = _run(node, body)
    out, err = done.communicate(timeout=60)
    assert done.returncode == 7
    lines = err.splitlines()
    assert lines[0] == "openstack-lab: step demo failed on controller with exit status 7"
    assert lines[1] == f"openstack-lab: the last lines of {logs}/demo.log:"
    assert lines[2:17] == [f"    line-{i}" for i in range(26, 41)]  # the last 15
    assert lines[17] == ("openstack-lab: re-run by hand on controller: "
                         f"sudo bash {node['steps']}/demo.sh </dev/null")
    assert len(lines) == 18


def test_a_step_that_passes_prints_no_failure_block(node):
    done = _run(node, "echo fine")
    out, err = done.communicate(timeout=60)
    assert done.returncode == 0
    assert "failed on" not in err and out.strip() == "fine"
