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
    return {"bin": shim, "steps": tmp_path / "steps", "run": tmp_path / "run"}


def _wrapper(node: dict[str, Path], body: str) -> str:
    return render("lib/wrapper.sh.j2", step="demo", body=body, step_dir=str(node["steps"]),
                  run_dir=str(node["run"]))


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
