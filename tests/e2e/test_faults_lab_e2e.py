"""Faults on the running dev lab (`make up` first), the lab tier of
tests/engine/test_faults.py: a real install step is run again (`up` with that step
replaced, as `pulumi up --replace` does) and faulted mid-way; `scripts/lab.sh up dev`, what
a user runs next, must converge with no hand action: it completes, and a preview after it
changes nothing. Each fault's convergence time is printed (`-s`) for the note.

Slow: one run of the smoke check (~4 min on TCG), a node reboot and two lab `up`s per
fault. `scripts/test.sh -m e2e tests/e2e/test_faults_lab_e2e.py`."""

from __future__ import annotations

import re
import subprocess
import time

import pytest
from pulumi import automation as auto

from components.paths import ssh_dir
from labctl.workspace import REPO_ROOT, open_stack
from tests.e2e.cloud_api import CloudApi
from tests.engine.test_faults import Background, kill_engine

pytestmark = pytest.mark.e2e

STACK = "dev"
SSH = ["ssh", "-F", str(ssh_dir(STACK) / "config")]
LOG_DIR = "/var/log/openstack-lab"  # components/openstack/step.py
HEADER = re.compile(r"^== (\S+) (\S+) on (\S+)$", re.M)


def on(node: str, command: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*SSH, "-o", "ConnectTimeout=10", node, command],
                          capture_output=True, text=True, timeout=timeout)


def runs_of(node: str, step: str) -> list[str]:
    """The start times of the step's runs on the node, from its log's headers."""
    log = on(node, f"sudo cat {LOG_DIR}/{step}.log").stdout
    return [m.group(1) for m in HEADER.finditer(log) if m.group(2) == step]


def finished(node: str, step: str) -> bool:
    log = on(node, f"sudo cat {LOG_DIR}/{step}.log").stdout
    return log.rstrip().endswith(f"{step} done")


def wait(until, what: str, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if until():
            return time.monotonic() - start
        time.sleep(5)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def urn_of(stack: auto.Stack, name: str) -> str:
    return next(r["urn"] for r in stack.export_stack().deployment["resources"]
                if r["urn"].endswith(f"::{name}"))


def lab_up() -> subprocess.CompletedProcess:
    """What a user runs after a fault: labctl drops stale locks and interrupted creates."""
    return subprocess.run([str(REPO_ROOT / "scripts/lab.sh"), "up", STACK],
                          capture_output=True, text=True, timeout=7200)


def assert_converged(stack: auto.Stack) -> None:
    changes = stack.preview().change_summary
    assert set(changes) == {"same"}, changes
    ops = stack.export_stack().deployment.get("pending_operations") or []
    assert ops == [], ops


@pytest.fixture(scope="module")
def lab():
    if not (ssh_dir(STACK) / "config").exists():
        pytest.skip("the dev lab is not up: run `make up` first")
    stack = open_stack(STACK)
    assert_converged(stack)  # a fault test needs a converged lab to start from
    return stack


def start_rerun(stack: auto.Stack, node: str, step: str) -> Background:
    """`up` with the step replaced, on a thread; returns once the step runs on the node."""
    before = runs_of(node, step)
    urn = urn_of(stack, step)
    run = Background(lambda: stack.up(replace=[urn], on_output=print))
    wait(lambda: runs_of(node, step) != before, f"{step} never started again on {node}",
         timeout=1800)
    return run


def test_up_killed_during_the_smoke_check_converges(lab):
    step, node = "openstack-smoke-check", "controller"
    run = start_rerun(lab, node, step)
    time.sleep(20)  # well inside the step (~4 min on TCG)
    assert not finished(node, step)
    kill_engine()
    assert isinstance(run.failure(timeout=120), auto.CommandError)

    since = time.monotonic()
    up = lab_up()
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    assert_converged(lab)
    print(f"\nup killed mid-step ({step}): converged in {time.monotonic() - since:.0f} s")
    # The interrupted run went on on the node without its engine, and finished.
    wait(lambda: finished(node, step), f"{step}'s run on {node} never finished", 1800)
    assert "SMOKE PASSED" in on(node, f"sudo cat {LOG_DIR}/{step}.log").stdout


def test_node_rebooted_during_a_step_converges(lab):
    step, node = "openstack-nova-compute-compute-1", "compute-1"
    run = start_rerun(lab, node, step)
    on(node, "sudo systemctl reboot")  # the session may die before it answers
    rebooted = time.monotonic()
    run.thread.join(3600)
    assert not run.thread.is_alive()

    wait(lambda: on(node, "true").returncode == 0, f"{node} never came back", 1800)
    up = lab_up()
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    assert_converged(lab)
    cloud = CloudApi(lab.outputs()["openstack"].value)

    def compute_up() -> bool:
        services = cloud.get("compute", "/os-services?binary=nova-compute")["services"]
        return any(s["host"] == node and s["state"] == "up" for s in services)
    wait(compute_up, f"nova-compute on {node} never reported up", 1800)
    print(f"\nnode rebooted mid-step ({step}): converged, nova-compute up, "
          f"{time.monotonic() - rebooted:.0f} s after the reboot")
