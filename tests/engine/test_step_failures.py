"""A failed install step under the real engine and command provider (a throwaway sshd on
loopback): labctl's StepFailures finds the step wrapper's block in the engine's events and
tells node, step, log tail and the re-run command once, as `make up` prints it at its end."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi import automation as auto

from components.render import render
from labctl.failures import StepFailures
from tests.engine.test_command_provider import (  # noqa: F401 (fixtures)
    _use_plugin, connection, plugin_home, sshd, throwaway)

pytestmark = pytest.mark.engine


def _step(tmp_path: Path, name: str, body: str) -> str:
    """The real wrapper around `body`, with sudo shimmed (the test user is the node's root)."""
    shim = tmp_path / "bin"
    shim.mkdir(exist_ok=True)
    (shim / "sudo").write_text('#!/bin/sh\n[ "$1" = -n ] && shift\nexec "$@"\n')
    (shim / "sudo").chmod(0o755)
    wrapped = render("lib/wrapper.sh.j2", step=name, node="controller", body=body,
                     step_dir=str(tmp_path / "steps"), run_dir=str(tmp_path / "run"),
                     log_dir=str(tmp_path / "logs"))
    return f"export PATH={shim}:$PATH\n{wrapped}"


def test_a_failed_step_is_told_once_with_node_log_tail_and_rerun(tmp_path, sshd, throwaway):
    from pulumi_command import remote

    logs = tmp_path / "logs"
    failing = (f"mkdir -p {logs}\n"
               f"for i in 1 2 3; do echo glance-api not answering $i | tee -a {logs}/demo-setup.log; done\n"
               "exit 4")

    def program() -> None:
        remote.Command("ok", connection=connection(sshd), create=_step(tmp_path, "demo-ok",
                                                                      "echo fine"))
        remote.Command("demo-setup", connection=connection(sshd),
                       create=_step(tmp_path, "demo-setup", failing))

    failures = StepFailures()
    stack = throwaway(program)
    with pytest.raises(auto.CommandError):
        stack.up(on_event=failures.on_event)
    assert len(failures.blocks) == 1, failures.blocks
    (urn,) = failures.blocks
    assert urn.endswith("::demo-setup")
    report = failures.report("/home/u/.openstack-lab/ssh/dev/config").splitlines()
    assert report[0] == "== 1 install step(s) failed =="
    assert report[1] == "step demo-setup failed on controller with exit status 4"
    assert report[2] == f"the last lines of {logs}/demo-setup.log:"
    assert report[3:6] == [f"    glance-api not answering {i}" for i in (1, 2, 3)]
    assert report[6] == ("re-run it by hand: ssh -F /home/u/.openstack-lab/ssh/dev/config "
                         f"controller 'sudo bash {tmp_path}/steps/demo-setup.sh </dev/null'")
    assert len(report) == 7


def test_a_run_without_failures_reports_nothing(tmp_path, sshd, throwaway):
    from pulumi_command import remote

    def program() -> None:
        remote.Command("ok", connection=connection(sshd),
                       create=_step(tmp_path, "demo-ok", "echo fine"))

    failures = StepFailures()
    throwaway(program).up(on_event=failures.on_event)
    assert failures.blocks == {} and failures.report("cfg") == ""
