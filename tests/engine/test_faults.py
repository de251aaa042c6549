"""Faults a lab run must survive, under the real engine and our command provider against a
throwaway sshd on loopback (the "node"): each test injects a fault into a run and proves
that the stack converges with no hand action beyond what `labctl up` does by itself (stale
locks, interrupted creates): the next run completes, and a further one changes nothing.

Steps are the real thing: templates/lib/step.sh.j2 around a test body, inside the real
step wrapper (templates/lib/wrapper.sh.j2), with sudo shimmed (the test user is the node's
root). How long each convergence took is printed, and tabled at the end of the module."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto

from components.openstack.service import CloudFacts
from components.render import _environment, render
from tests.engine.apt_locks import (  # noqa: F401 (apt_root: a fixture)
    LOCKS, MET, apt_root, hold_locks, package_step_apt_lines)
from tests.engine.stack_state import (
    assert_converged, commands_in_state, held_locks, pending, recover)
from tests.engine.test_command_provider import (  # noqa: F401 (fixtures)
    SSHD, Sshd, _use_plugin, connection, plugin_home, sshd, throwaway)

pytestmark = pytest.mark.engine

# test -> seconds from the end of the fault (the engine killed, sshd back) to the end of
# the run that converged; for a held apt lock, the one `up` that met it.
CONVERGENCE: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def _convergence_table(request) -> Iterator[None]:
    yield
    if not CONVERGENCE:
        return
    width = max(len(name) for name in CONVERGENCE)
    table = ["", "fault injected -> converged (s)"]
    table += [f"  {name:<{width}}  {took:6.1f}" for name, took in CONVERGENCE.items()]
    # Past pytest's capture: the numbers are wanted from a passing run too.
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n".join(table))


def record(name: str, since: float) -> float:
    took = time.monotonic() - since
    CONVERGENCE[name] = took
    print(f"{name}: converged in {took:.1f} s")
    return took


# --- the node: a step as the lab runs it -------------------------------------------------

# The shared functions render the install's patience from the cloud's facts (TCG's here).
CLOUD = CloudFacts.plan("192.168.1.11", "10.0.2.11", "172.16.0.0/24", 1500, 1450)

@dataclass(frozen=True)
class Node:
    root: Path

    @property
    def marks(self) -> Path:
        return self.root / "marks"

    def step(self, name: str, body: str) -> str:
        """`body` as a lab step: step.sh.j2 (log, functions) inside the real wrapper."""
        script = _environment().from_string(
            '{% extends "lib/step.sh.j2" %}{% block body %}{{ body }}{% endblock %}'
        ).render(step=name, node="controller", body=body, log_dir=str(self.root / "logs"),
                 secret_dir=str(self.root / "secrets"), cloud=CLOUD)
        wrapped = render("lib/wrapper.sh.j2", step=name, node="controller", body=script,
                         step_dir=str(self.root / "steps"), run_dir=str(self.root / "run"),
                         log_dir=str(self.root / "logs"))
        return f"export PATH={self.root / 'bin'}:$PATH\n{wrapped}"


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    here = Node(tmp_path / "node")
    (here.root / "bin").mkdir(parents=True)
    here.marks.mkdir()
    sudo = here.root / "bin" / "sudo"
    sudo.write_text('#!/bin/sh\n[ "$1" = -n ] && shift\nexec "$@"\n')
    sudo.chmod(0o755)
    yield here
    # A run the wrapper failed to stop must not outlive a failed test.
    for pid in lines(here.marks / "started"):
        try:
            os.killpg(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass


def slow_body(marks: Path) -> str:
    """A step whose first run is long enough to be cut off mid-way and whose re-runs are
    quick. Each run records its pid, which is its process group (the wrapper's setsid),
    when it starts and when it ends, in files: a run cut off from its session keeps going
    as long as it writes nothing to the dead session."""
    return (f'echo "$$" >> {marks}/started\n'
            f'if [ "$(wc -l < {marks}/started)" -eq 1 ]; then sleep 120; else sleep 1; fi\n'
            f'echo "$$" >> {marks}/finished\n')


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def group_alive(pgid: str) -> bool:
    try:
        os.killpg(int(pgid), 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(ready: Callable[[], bool], what: str, timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.1)


# --- faults ----------------------------------------------------------------------------

class Background:
    """An engine operation on a thread, so that the test can fault it mid-way."""

    def __init__(self, operation: Callable[[], object]) -> None:
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(operation,), daemon=True)
        self.thread.start()

    def _run(self, operation: Callable[[], object]) -> None:
        try:
            operation()
        except BaseException as e:  # noqa: BLE001 (handed to the test)
            self.error = e

    def failure(self, timeout: float = 60) -> BaseException:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"the operation still runs after {timeout} s"
        assert self.error is not None, "the operation survived its fault"
        return self.error


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def _descendants(root: int, parents: dict[int, int]) -> list[int]:
    children = [pid for pid, ppid in parents.items() if ppid == root]
    return [d for c in children for d in (c, *_descendants(c, parents))]


def _exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def _kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def kill_engine() -> None:
    """SIGKILL the `pulumi` CLI this test's Automation API started, and all it started
    (the provider plugins): what kill -9 of `make up`, or the OOM killer, does to the
    engine. The automation API runs the CLI in the caller's own process group, so the
    tree is walked instead of killing a group."""
    parents = _parents()
    clis = [p for p in _descendants(os.getpid(), parents) if Path(_exe(p)).name == "pulumi"]
    assert len(clis) == 1, f"expected one pulumi CLI, found {clis}"
    _kill([clis[0], *_descendants(clis[0], parents)])


def drop_connection(server: Sshd) -> None:
    """What a node's network or sshd going away does to a step in progress: the listener
    and every session's sshd die (killing the listener alone would leave open sessions
    up), while the programs the sessions started, the step, go on."""
    assert server.proc is not None
    sessions = [p for p in _descendants(server.proc.pid, _parents()) if _exe(p) == str(SSHD)]
    assert sessions, "no SSH session to drop"
    server.stop()
    _kill(sessions)


def slow_step_program(node: Node, server: Sshd) -> Callable[[], None]:
    def program() -> None:
        from pulumi_command import remote

        step = remote.Command("demo-step", connection=connection(server),
                              create=node.step("demo-step", slow_body(node.marks)))
        pulumi.export("stderr", step.stderr)
    return program


def assert_rerun_stopped_the_first(node: Node, first: str, up: auto.UpResult) -> None:
    started = lines(node.marks / "started")
    assert len(started) == 2 and started[0] == first, started
    second = started[1]
    assert lines(node.marks / "finished") == [second], "the re-run did not complete alone"
    assert (f"stopping an earlier run of demo-step (process group {first})"
            in up.outputs["stderr"].value)
    assert not group_alive(first), "the first run still goes on beside the re-run"


# --- the tests -------------------------------------------------------------------------

def test_up_killed_mid_step_then_up_converges(node, sshd, throwaway):
    """kill -9 of the engine while a step runs leaves the stack's lock and a pending
    create; the first run goes on on the node. `labctl up` removes the stale lock and
    drops the interrupted create's record; its `up` runs the step again, the wrapper
    having stopped the first run."""
    stack = throwaway(slow_step_program(node, sshd))
    run = Background(stack.up)
    wait_for(lambda: lines(node.marks / "started"), "the step never started")
    (first,) = lines(node.marks / "started")
    kill_engine()
    assert isinstance(run.failure(), auto.CommandError)
    assert held_locks(stack), "a killed engine leaves its lock"
    assert pending(stack) == [("creating", "demo-step")]
    assert group_alive(first), "the first run must outlive its engine for this test"

    since = time.monotonic()
    removed, dropped = recover(stack)
    up = stack.up()
    record("up killed mid-step", since)
    assert len(removed) == 1
    assert [urn.rsplit("::", 1)[-1] for urn in dropped] == ["demo-step"]
    assert up.summary.resource_changes == {"create": 1, "same": 1}, up.stdout
    assert "pending operations" not in up.stdout
    assert_rerun_stopped_the_first(node, first, up)
    assert_converged(stack, resources=2)


def test_ssh_connection_dropped_mid_step_then_up_converges(node, sshd, throwaway):
    """The node's sshd goes away while a step runs: that `up` fails (the engine itself
    records the failure: no lock, nothing pending), the step's run goes on on the node.
    Once sshd is back the next `up` runs the step again, the wrapper having stopped the
    run the lost session left behind."""
    stack = throwaway(slow_step_program(node, sshd))
    run = Background(stack.up)
    wait_for(lambda: lines(node.marks / "started"), "the step never started")
    (first,) = lines(node.marks / "started")
    drop_connection(sshd)
    failure = run.failure()
    assert isinstance(failure, auto.CommandError)
    assert "demo-step" in str(failure)
    assert group_alive(first), "the step's run must outlive its session for this test"
    assert held_locks(stack) == [] and pending(stack) == []

    sshd.start()  # same port, same host key
    since = time.monotonic()
    assert recover(stack) == ([], [])
    up = stack.up()
    record("ssh connection dropped mid-step", since)
    assert up.summary.resource_changes == {"create": 1, "same": 1}, up.stdout
    assert_rerun_stopped_the_first(node, first, up)
    assert_converged(stack, resources=2)


# --- apt's locks held by another process -------------------------------------------------

@pytest.mark.parametrize("held", sorted(LOCKS))
def test_package_step_meets_a_held_apt_lock_and_goes_through(held, node, sshd, throwaway,
                                                             apt_root):
    """Another process holds apt's lock until 8 s after the package step starts: the one `up`
    goes through, the step's apt commands having waited it out, with no hand action."""
    from pulumi_command import remote

    started, installed, released = (node.marks / n for n in ("started", "installed", "released"))
    update, install = package_step_apt_lines()
    body = (f"export APT_CONFIG={apt_root.config}\nmissing=(demo)\ntouch {started}\n"
            f"{update}\n{install}\ndate +%s.%N > {installed}\n")

    def program() -> None:
        step = remote.Command("packages", connection=connection(sshd),
                              create=node.step("packages", body))
        pulumi.export("stdout", step.stdout)

    stack = throwaway(program)
    holder = hold_locks([apt_root.root / p for p in LOCKS[held]], 8, started, released)
    try:
        if held == "dpkg":
            # Without the lab's DPkg::Lock::Timeout, apt gives up at once.
            bare = subprocess.run(["apt-get", "-q", "-y", "install", "demo"], env=apt_root.env(),
                                  capture_output=True, text=True, timeout=60)
            assert bare.returncode == 100 and "Could not get lock" in bare.stderr, bare
        since = time.monotonic()
        up = stack.up()
        record(f"apt {held} lock held 8 s", since)
    finally:
        holder.wait(timeout=60)
        holder.stdout.close()
    assert up.summary.resource_changes == {"create": 2}, up.stdout
    assert MET[held].format(root=apt_root.root) in up.outputs["stdout"].value
    assert float(installed.read_text()) >= float(released.read_text()), \
        "the step went on while the lock was held"


# --- destroy -----------------------------------------------------------------------------

PARTS = 4


def parts_program(marks: Path, server: Sshd) -> Callable[[], None]:
    """PARTS remote Commands in a chain (so destroy deletes them one at a time, last
    first), each with a marker its delete removes after 2 s."""
    def program() -> None:
        from pulumi_command import remote

        previous = None
        for i in range(1, PARTS + 1):
            previous = remote.Command(
                f"part-{i}", connection=connection(server), create=f"touch {marks}/part-{i}",
                delete=f'echo "$$" > {marks}/deleting-{i}; sleep 2; rm -f {marks}/part-{i}',
                opts=pulumi.ResourceOptions(depends_on=[previous] if previous else None))
    return program


def markers(marks: Path) -> list[str]:
    return sorted(p.name for p in marks.glob("part-*"))


def test_destroy_killed_half_way_then_destroy_leaves_nothing(node, sshd, throwaway):
    """kill -9 of the engine while destroy runs the third delete from the end: two parts
    are left, and the stack still holds them and a pending delete. The next destroy
    (after what `labctl destroy` does first) deletes all that is left and the stack is
    empty."""
    marks = node.marks
    stack = throwaway(parts_program(marks, sshd))
    stack.up()
    assert markers(marks) == [f"part-{i}" for i in range(1, PARTS + 1)]

    run = Background(stack.destroy)
    wait_for(lambda: (marks / f"deleting-{PARTS - 1}").exists(), "destroy never got half-way")
    kill_engine()
    assert isinstance(run.failure(), auto.CommandError)
    assert {"part-1", "part-2"} <= set(markers(marks)), "the destroy was not cut off half-way"
    assert f"part-{PARTS}" not in markers(marks)
    assert commands_in_state(stack) == [f"part-{i}" for i in range(1, PARTS)]
    assert pending(stack) == [("deleting", f"part-{PARTS - 1}")]
    assert held_locks(stack)

    since = time.monotonic()
    removed, dropped = recover(stack)
    down = stack.destroy()
    record("destroy killed half-way", since)
    assert len(removed) == 1 and dropped == []
    assert markers(marks) == [], "the second destroy left markers behind"
    assert commands_in_state(stack) == [] and pending(stack) == []
    assert stack.export_stack().deployment.get("resources") in (None, []), "the stack is not empty"
    assert down.summary.resource_changes.get("delete", 0) >= PARTS - 1, down.stdout
    assert held_locks(stack) == []
