"""The metal underlay for real, with this machine as its own metal host: an sshd on
loopback that the test starts (its own port, a generated host key the stack pins, a
generated client key authorized for root) stands for the host's. The host is prepared by
remote commands (a preview of the new stack touches nothing), libvirt is driven over
qemu+ssh with the pinned known_hosts, the nodes are reached through the host as jump host
and become ready; a second `up` changes nothing and runs no command, and destroy leaves no
domain, volume, pool or network of the stack.

Slow (TCG here: an image build and two booting nodes), on its own stack and address
ranges, so it runs beside the dev lab:

    scripts/test.sh -m e2e tests/e2e/test_metal_e2e.py

It prints one line `metal_e2e {json}` with the timings and appends the JSON to
bench/results/metal_e2e.jsonl (scratch, not tracked)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from components.paths import lab_home, ssh_dir
from labctl.leftovers import leftovers
from labctl.workspace import REPO_ROOT, open_stack
from tests.engine.test_command_provider import Sshd, free_port, log_lines

pytestmark = pytest.mark.e2e

STACK = "e2e-metal"
PREFIX = f"osl-{STACK}-"
LIBVIRT_SOCKET = "/var/run/libvirt/libvirt-sock"  # what the provider's qemu+ssh dials
NODES = ("controller", "compute-1")
# What the test sshd logs (LogLevel DEBUG1) when it runs a command, forwards to the
# libvirt socket (the provider's qemu+ssh), or forwards to a node (jump host).
COMMAND = "Starting session: command for root from 127.0.0.1"
TO_LIBVIRT = f"server_request_direct_streamlocal: originator  port 0, target {LIBVIRT_SOCKET}"
TO_NODE = "server_request_direct_tcpip: "
# Its own address ranges (dev: the defaults, the local e2e 10.20.x, the bench 10.30.x) and
# small nodes: `install: none` only boots them, beside a dev lab on a 24 GiB machine.
CONFIG = {
    "openstack-lab:underlay": "metal",
    "openstack-lab:profile": "minimal",
    "openstack-lab:install": "none",
    "openstack-lab:publicCidr": "10.21.2.0/24",
    "openstack-lab:managementCidr": "10.21.11.0/24",
    "openstack-lab:underlayCidr": "10.21.12.0/24",
    "openstack-lab:externalCidr": "10.21.16.0/24",
    "openstack-lab:controllerVcpus": "1",
    "openstack-lab:controllerMemoryMib": "2048",
    "openstack-lab:computeVcpus": "1",
    "openstack-lab:computeMemoryMib": "1024",
    "openstack-lab:metalHost": "127.0.0.1",
    "openstack-lab:metalUser": "root",
}
RESULTS = REPO_ROOT / "bench" / "results" / "metal_e2e.jsonl"


def sshd_home() -> Path:
    """The test sshd's keys and port, kept until a run has destroyed its stack: a run that
    died half way leaves state whose provider and commands name this port and keys, and
    the next run destroys it through the same sshd first."""
    return lab_home() / f"{STACK}-sshd"


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def saved_port(home: Path) -> int:
    saved = home / "port"
    if saved.exists() and port_free(int(saved.read_text())):
        return int(saved.read_text())
    port = free_port()
    saved.write_text(f"{port}\n")
    return port


def prerequisites() -> None:
    if os.geteuid() != 0:
        pytest.skip("the metal e2e logs in to this machine as root (metalUser: root) and "
                    "drives its system libvirt: run it as root")
    if not Path(LIBVIRT_SOCKET).is_socket():
        pytest.skip(f"no libvirt daemon here ({LIBVIRT_SOCKET}): `make setup` starts it")
    for tool in ("pulumi", "virsh"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not on PATH (run through scripts/test.sh after `make setup`)")


@dataclass
class Lab:
    stack: object
    sshd: Sshd
    timings: dict = field(default_factory=dict)
    ready_s: dict = field(default_factory=dict)
    up_ok: bool = False

    def resource(self, suffix: str) -> dict:
        resources = self.stack.export_stack().deployment["resources"]
        return next(r for r in resources if r["urn"].endswith(suffix))


def has_resources(stack) -> bool:
    return bool(stack.export_stack().deployment.get("resources"))


@pytest.fixture(scope="module")
def lab():
    from pulumi import automation as auto

    prerequisites()
    home = sshd_home()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    sshd = Sshd(home, port=saved_port(home))
    sshd.log.unlink(missing_ok=True)
    sshd.start()
    stack = open_stack(STACK)
    try:
        if has_resources(stack):
            print(f"{STACK}: destroying what an earlier run left (same sshd, same keys)")
            stack.destroy(on_output=print)
        stack.set_all_config({k: auto.ConfigValue(v) for k, v in CONFIG.items()})
        stack.set_all_config({
            "openstack-lab:metalPort": auto.ConfigValue(str(sshd.port)),
            "openstack-lab:metalHostKey": auto.ConfigValue(sshd.host_key),
            "openstack-lab:metalPrivateKey": auto.ConfigValue(sshd.private_key, secret=True),
        })
        running = Lab(stack, sshd)
        yield running
    finally:
        clean = False
        try:
            if has_resources(stack):
                stack.destroy(on_output=print)
            clean = not any(leftovers(PREFIX).values())
            stack.workspace.remove_stack(STACK)
        finally:
            sshd.stop()
        if clean:  # else the next run destroys the rest through the same sshd
            shutil.rmtree(home)


def test_preview_of_the_new_stack_touches_nothing(lab):
    before = len(log_lines(lab.sshd.log))
    preview = lab.stack.preview(on_output=print)
    assert set(preview.change_summary) == {"create"}
    seen = log_lines(lab.sshd.log)[before:]
    assert not [line for line in seen if COMMAND in line], "a preview ran a command"
    assert not [line for line in seen if TO_LIBVIRT in line or TO_NODE in line]
    assert not (ssh_dir(STACK) / "metal-host").exists()
    assert not any(leftovers(PREFIX).values())


def test_up_prepares_the_host_and_reaches_ready_nodes_through_it(lab):
    from pulumi import automation as auto

    start = time.monotonic()

    def on_event(event: auto.EngineEvent) -> None:
        done = event.res_outputs_event
        if done and done.metadata.urn.endswith("-ready-check"):
            node = done.metadata.urn.rsplit("::", 1)[1].removeprefix("underlay-")
            lab.ready_s[node.removesuffix("-ready-check")] = round(time.monotonic() - start, 1)

    up = lab.stack.up(on_output=print, on_event=on_event)
    lab.timings["up_s"] = round(time.monotonic() - start, 1)
    ready = up.outputs["ready"].value
    assert set(ready) == set(NODES)
    for node, report in ready.items():
        assert "cloud-init: done" in report and f"hostname: {node}" in report
    lab.up_ok = True

    # The host was prepared by a remote command, which reported what it can run.
    prepare = lab.resource("::underlay-prepare")
    assert "accel-facts kvm_device=" in prepare["outputs"]["stdout"]
    log = log_lines(lab.sshd.log)
    assert any(COMMAND in line for line in log)

    # libvirt over qemu+ssh, the host key pinned in the provider's known_hosts.
    key_dir = ssh_dir(STACK) / "metal-host"
    assert (key_dir / "known_hosts").read_text() == (
        f"[127.0.0.1]:{lab.sshd.port} {lab.sshd.host_key}\n")
    provider = lab.resource("::underlay-libvirt")
    assert provider["inputs"]["uri"] == (
        f"qemu+ssh://root@127.0.0.1:{lab.sshd.port}/system?sshauth=privkey"
        f"&keyfile={key_dir}/id&knownhosts={key_dir}/known_hosts")
    assert any(TO_LIBVIRT in line for line in log)
    assert sorted(leftovers(PREFIX)["domains"]) == sorted(PREFIX + n for n in NODES)

    # Every node was reached through the host: its sshd forwarded to the node's port 22.
    for node in up.outputs["nodes"].value:
        target = f"target {node['addresses']['public']} port 22"
        assert any(TO_NODE in line and target in line for line in log), (
            f"{node['name']} was not reached through the host ({target})")
    assert up.outputs["ssh"].value["jump_host"] == "127.0.0.1"


def test_second_up_changes_nothing_and_runs_no_command(lab):
    if not lab.up_ok:
        pytest.skip("the first up failed")
    before = len(log_lines(lab.sshd.log))
    start = time.monotonic()
    again = lab.stack.up(on_output=print)
    lab.timings["noop_s"] = round(time.monotonic() - start, 1)
    assert set(again.summary.resource_changes) == {"same"}
    new = log_lines(lab.sshd.log)[before:]
    assert not [line for line in new if COMMAND in line], "a command ran on the host"
    assert not [line for line in new if TO_NODE in line], "a node was contacted"


def test_destroy_leaves_nothing_of_the_stack_on_the_host(lab, capsys):
    start = time.monotonic()
    lab.stack.destroy(on_output=print)
    lab.timings["destroy_s"] = round(time.monotonic() - start, 1)
    assert leftovers(PREFIX) == {"domains": [], "networks": [], "pools": [], "volumes": []}
    assert not (ssh_dir(STACK) / "metal-host").exists(), "the provider's key files stayed"
    if {"up_s", "noop_s"} <= set(lab.timings):
        record(lab, capsys)


def record(lab: Lab, capsys) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_ROOT,
                            capture_output=True, text=True, check=True).stdout.strip()
    line = json.dumps({"bench": "metal_e2e", "commit": commit, **lab.timings,
                       "ready_s": lab.ready_s})
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as out:
        out.write(line + "\n")
    with capsys.disabled():
        print(f"\nmetal_e2e {line}")
