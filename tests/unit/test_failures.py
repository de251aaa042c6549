"""labctl.failures: the step wrapper's block found in an engine error message."""

from __future__ import annotations

from types import SimpleNamespace

from labctl.failures import StepFailures, failure_block, fan_out

BLOCK = [
    "openstack-lab: step openstack-glance-setup failed on controller with exit status 1",
    "openstack-lab: the last lines of /var/log/openstack-lab/openstack-glance-setup.log:",
    "    no answer from http://controller:9292 within 1200 s (last HTTP status 000)",
    "openstack-lab: re-run by hand on controller: "
    "sudo bash /var/lib/openstack-lab/steps/openstack-glance-setup.sh </dev/null",
]


def _event(message: str, severity: str = "error", urn: str = "urn:pulumi:dev::p::t::s"):
    diag = SimpleNamespace(message=message, severity=severity, urn=urn)
    return SimpleNamespace(diagnostic_event=diag)


def test_the_block_is_cut_from_the_output_around_it():
    message = "\n".join(["Process exited with status 1: running \"...\":", "== step start",
                         *BLOCK, "trailing noise"])
    assert failure_block(message) == BLOCK


def test_no_block_no_failure():
    assert failure_block("error: could not connect to 10.0.2.11:22") is None


def test_the_last_block_wins():
    earlier = BLOCK[0].replace("exit status 1", "exit status 9")
    assert failure_block("\n".join([earlier, *BLOCK]))[0] == BLOCK[0]


def test_only_errors_of_resources_count_and_each_step_once():
    failures = StepFailures()
    failures.on_event(_event("\n".join(BLOCK), severity="info"))
    failures.on_event(_event("\n".join(BLOCK), urn=""))
    assert failures.blocks == {}
    failures.on_event(_event("\n".join(BLOCK)))
    failures.on_event(_event("\n".join(BLOCK)))
    assert list(failures.blocks) == ["urn:pulumi:dev::p::t::s"]
    report = failures.report(None)
    assert report.count("failed on controller") == 1
    assert ("re-run by hand on controller: sudo bash "
            "/var/lib/openstack-lab/steps/openstack-glance-setup.sh </dev/null") in report


def test_an_event_without_diagnostics_is_ignored_and_fan_out_calls_every_handler():
    seen = []
    fan_out(seen.append, lambda e: seen.append("second"))(SimpleNamespace(diagnostic_event=None))
    assert len(seen) == 2
    failures = StepFailures()
    failures.on_event(SimpleNamespace(diagnostic_event=None))
    assert failures.report("cfg") == ""


def test_colour_directives_do_not_hide_the_block():
    message = "<{%fg 1%}>error: <{%reset%}>" + "\n".join(BLOCK) + "<{%reset%}>"
    block = failure_block(message.replace("error: ", "error:\n", 1))
    assert block == BLOCK
