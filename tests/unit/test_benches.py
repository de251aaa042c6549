"""The benches' own logic on made-up inputs: what they conclude from a console log or a
timing log must follow the evidence."""

import gzip
import importlib.util
import io
import json
import threading
import time
from pathlib import Path

import pytest

from labctl.timings import TimingLog
from tests.fixtures.http import serve

BENCH = Path(__file__).resolve().parents[2] / "bench"


def bench(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TCG = bench("tcg_cx16")


@pytest.mark.parametrize("log,qemu_exit,verdict", [
    ("stress: ok\nbench: before cas16: ok 400000\nbench: after cas16: ok 400000\nbench: done",
     None, "ok"),
    ("bench: before cas16: ok 400000\nstress: ok\nbench: after cas16: wrong 399990 (want 400000)"
     "\nbench: done", None, "counter ['ok', 'wrong']"),
    ("bench: before cas16: died\nstress: ok\nbench: after cas16: died\nbench: done", None,
     "counter missing"),
    ("stress: start\nBUG: unable to handle page fault", None, "fault"),
    ("stress: start", 1, "qemu exited 1"),
    ("stress: start", None, "timeout"),
])
def test_tcg_cx16_verdict(log, qemu_exit, verdict):
    assert TCG.verdict_of(log, qemu_exit) == verdict


def test_tcg_cx16_modes_differ_only_where_they_should():
    assert TCG.MODES["baseline"] == ("qemu64,+cx16", ())
    assert TCG.MODES["fix"] == ("qemu64,+cx16", ("clearcpuid=cx16",))
    assert TCG.MODES["no-cx16"][0] == "qemu64,-cx16"


class Event:
    """The shape of an automation EngineEvent, as much as TimingLog reads."""

    def __init__(self, kind: str, urn: str, typ: str, op: str = "create"):
        from pulumi import automation as auto
        meta = type("M", (), {"urn": urn, "type": typ, "op": auto.OpType(op)})()
        self.resource_pre_event = type("P", (), {"metadata": meta})() if kind == "start" else None
        self.res_outputs_event = type("O", (), {"metadata": meta})() if kind == "done" else None
        self.res_op_failed_event = type("F", (), {"metadata": meta})() if kind == "failed" else None


def urn(typ: str, name: str) -> str:
    return f"urn:pulumi:dev::openstack-lab::x${typ}::{name}"


def test_cold_up_phases_from_a_timing_log():
    clock = iter([100, 150, 160, 170, 200, 400, 410, 900, 905, 1000, 1001, 1500, 2000, 2100]).__next__
    stream = io.StringIO()
    under, over = TimingLog(stream, "dev", clock), TimingLog(stream, "dev-overlay", clock)
    img = ("command:local:Command", "underlay-image-resolve")
    amphora = ("command:local:Command", "openstack-octavia-amphora-build")
    ready = ("command:remote:Command", "underlay-controller-ready-check")
    keystone = ("command:remote:Command", "openstack-keystone-setup")
    smoke = ("command:remote:Command", "openstack-smoke-check")
    same = ("command:remote:Command", "openstack-nova-setup")
    lb = ("openstack:loadbalancer/loadBalancer:LoadBalancer", "web-lb")
    vip = ("command:local:Command", "web-lb-check-run")
    for log, kind, (typ, name), *op in [
            (under, "start", img), (under, "done", img), (under, "start", ready),
            (under, "start", amphora), (under, "done", amphora),
            (under, "done", ready), (under, "start", keystone), (under, "done", keystone),
            (under, "start", smoke), (under, "done", smoke), (under, "start", same, "same"),
            (over, "start", lb), (over, "done", lb), (over, "start", vip),
            (over, "done", vip)]:
        log.on_event(Event(kind, urn(typ, name), typ, *op))
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert not any(r["name"] == "openstack-nova-setup" for r in records)  # unchanged: no line
    result = bench("cold_up").phases(records, 100, "dev")
    assert result["images_s"] == {"underlay-image-resolve": 50,
                                  "openstack-octavia-amphora-build": 30}
    assert result["nodes_ready_s"] == {"controller": 300}
    assert result["install_steps"]["openstack-keystone-setup"] == {
        "wall_s": 490, "ended_s": 800, "result": "done"}
    assert result["smoke_passed_s"] == 900
    assert result["overlay"] == {"started_s": 901, "lb_active_s": 1400,
                                 "vip_check_passed_s": 2000, "overlay_up_s": 2000}
    assert result["failed"] == []


def test_cold_up_takes_the_first_vip_200_from_the_watch_beside_it():
    cold_up = bench("cold_up")
    assert cold_up.first_vip_200({"first_vip_200_t": 5100.25}, 1000) == 4100.2
    assert cold_up.first_vip_200({"first_vip_200_t": None}, 1000) is None


def test_node_cpu_reads_units_and_reports_what_each_used_in_between():
    cpu = bench("node_cpu")
    before = cpu.parse("cg 2000000 init.scope\ncg 5000000 system.slice/nova-api.service\n"
                       "total 100.0 400.0\n")
    after = cpu.parse("cg 2500000 init.scope\ncg 65000000 system.slice/nova-api.service\n"
                      "cg 1000000 system.slice/new.service\ncg junk line\ntotal 170.5 700.0\n")
    assert before["units"] == {"init.scope": 2.0, "nova-api.service": 5.0}
    idle = cpu.delta(before, after)
    assert idle["units"] == {"init.scope": 0.5, "nova-api.service": 60.0, "new.service": 1.0}
    assert (idle["busy_s"], idle["uptime_s"]) == (70.5, 300.0)
    assert list(cpu.top(idle, 2)["units_cpu_s"]) == ["nova-api.service", "new.service"]


def test_node_cpu_probe_reads_this_machines_cgroups():
    import subprocess
    done = subprocess.run(["sh", str(BENCH / "node_cpu.sh")], capture_output=True, text=True)
    reading = bench("node_cpu").parse(done.stdout)
    assert done.returncode == 0, done.stderr
    assert reading["uptime_s"] > 0 and reading["busy_s"] >= 0


@pytest.mark.parametrize("mode,calls", [
    ("sequential", ["restart a.service", "restart b.service"]),
    ("together", ["restart a.service b.service"]),
])
def test_restart_together_probe_restarts_as_its_mode_says(tmp_path, mode, calls):
    import os
    import subprocess
    shims, log = tmp_path / "bin", tmp_path / "systemctl.log"
    shims.mkdir()
    # is-active answers once a unit was restarted: the probe must wait for every one.
    (shims / "systemctl").write_text(
        f'#!/bin/sh\nif [ "$1" = is-active ]; then grep -q "$3" {log}; exit; fi\n'
        f'echo "$*" >> {log}\n')
    (shims / "systemctl").chmod(0o755)
    done = subprocess.run(
        ["bash", str(BENCH / "restart_together.sh"), mode, "", "a.service", "b.service"],
        capture_output=True, text=True, timeout=30,
        env={**os.environ, "PATH": f"{shims}:{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == calls
    assert float(done.stdout.split("seconds", 1)[1]) >= 0


def test_bench_record_appends_one_json_line(tmp_path):
    import sys
    sys.path.insert(0, str(BENCH.parent))
    from bench.record import append, commit
    recorded = tmp_path / "recorded.jsonl"
    recorded.write_text('{"bench": "older"}\n')
    append({"bench": "demo", "commit": "abc"}, recorded)
    assert [json.loads(line)["bench"] for line in recorded.read_text().splitlines()] == [
        "older", "demo"]
    assert len(commit()) == 12


VIP = bench("vip_watch")


def overlay_state(path: Path, address: str | None, *, gz: bool = False) -> Path:
    fip = {"urn": "urn:pulumi:dev-overlay::openstack-lab::openstack:networking/floatingIp:"
                  "FloatingIp::web-lb-vip", "type": VIP.FLOATING_IP,
           "outputs": {"address": address} if address else {}}
    other = {**fip, "urn": fip["urn"].replace("web-lb-vip", "web-1-fip"),
             "outputs": {"address": "10.0.2.99"}}
    raw = json.dumps({"version": 3, "checkpoint": {"latest": {"resources": [other, fip]}}})
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path.write_bytes(gzip.compress(raw.encode()))
    else:
        path.write_text(raw)
    return path


def test_the_vip_is_the_lb_floating_ip_not_a_servers(tmp_path):
    assert VIP.vip_address(overlay_state(tmp_path / "s.json", "10.0.2.50")) == "10.0.2.50"
    assert VIP.vip_address(overlay_state(tmp_path / "s.json.gz", "10.0.2.51", gz=True)) == "10.0.2.51"
    assert VIP.vip_address(overlay_state(tmp_path / "t.json", None)) is None
    (tmp_path / "half.json").write_text('{"checkpoint": {"lat')  # caught mid-rewrite
    assert VIP.vip_address(tmp_path / "half.json") is None


def test_the_watch_waits_for_the_address_then_for_a_200(tmp_path):
    server = serve(lambda: "web-1")
    try:
        state = tmp_path / "state/.pulumi/stacks/openstack-lab/dev-overlay.json"
        overlay_state(state, None)
        overlay_state(tmp_path / "state/.pulumi/stacks/openstack-lab/dev.json", "10.9.9.9")
        late = threading.Timer(0.3, overlay_state,
                               (state, f"127.0.0.1:{server.server_address[1]}"))
        late.start()
        started = time.time()
        seen = VIP.watch(tmp_path, "dev-overlay", time.time() + 10, pause=0.05)
        late.join()
        assert seen["vip"] == f"127.0.0.1:{server.server_address[1]}"
        assert started + 0.3 <= seen["vip_known_t"] + 0.1
        assert seen["vip_known_t"] <= seen["first_vip_200_t"]
    finally:
        server.shutdown()
        server.server_close()


def test_a_vip_that_never_answers_is_reported_as_such(tmp_path):
    overlay_state(tmp_path / "state/dev-overlay.json", "127.0.0.1:9")  # discard port: refused
    seen = VIP.watch(tmp_path, "dev-overlay", time.time() + 0.5, pause=0.05)
    assert seen["vip"] == "127.0.0.1:9" and seen["first_vip_200_t"] is None
