"""Checkpoints on the running dev lab (`make up` first): save, break it on purpose (stop
services, leave a mark on the disk, delete a network), restore, and the lab is as saved:
the mark is gone, the services run, the network is back, the smoke check passes on the
controller, and `up` has nothing to do.
Timings are printed (`-s`) for the note: save, restore, restore → SMOKE PASSED."""

from __future__ import annotations

import subprocess
import time

import pytest

from components.paths import ssh_dir
from labctl import checkpoint, lab_checkpoints
from labctl.workspace import open_stack
from tests.e2e.cloud_api import CloudApi

pytestmark = pytest.mark.e2e

STACK, NAME = "dev", "e2e-test"
SSH = ["ssh", "-F", str(ssh_dir(STACK) / "config")]
SMOKE = "/var/lib/openstack-lab/steps/openstack-smoke-check.sh"
# A network of no stack's (a tenant's own): deleted after the save, back after the restore.
SCRATCH = "e2e-checkpoint-scratch"


def on(node: str, command: str, timeout: int = 1800) -> subprocess.CompletedProcess:
    return subprocess.run([*SSH, node, command], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def lab():
    if not (ssh_dir(STACK) / "config").exists():
        pytest.skip("the dev lab is not up: run `make up` first")
    lab = lab_checkpoints.lab_of(STACK)
    if (checkpoint.checkpoint_root(STACK) / NAME).exists():
        checkpoint.delete(STACK, NAME)
    yield lab
    if (checkpoint.checkpoint_root(STACK) / NAME).exists():
        checkpoint.delete(STACK, NAME)


@pytest.fixture(scope="module")
def scratch_network():
    cloud = CloudApi(open_stack(STACK).outputs()["openstack"].value)
    network = cloud.networks().get(SCRATCH) or cloud.create_network(SCRATCH)
    yield cloud, network
    left = cloud.networks().get(SCRATCH)
    if left:
        cloud.delete_network(left)


def test_save_break_restore_smoke_and_nothing_to_do(lab, scratch_network):
    cloud, network = scratch_network
    t = time.monotonic()
    manifest = checkpoint.save(lab, NAME)
    print(f"\nsave: {time.monotonic() - t:.0f} s, {manifest.size_bytes / 2**30:.1f} GiB")

    broken = on("controller", "sudo touch /var/tmp/broken-by-e2e && "
                              "sudo systemctl stop neutron-api nova-api")
    assert broken.returncode == 0, broken.stderr
    cloud.delete_network(network)
    assert SCRATCH not in cloud.networks()
    t = time.monotonic()
    checkpoint.restore(lab, NAME)
    restored = time.monotonic() - t
    state = on("controller", "test ! -e /var/tmp/broken-by-e2e && "
                             "systemctl is-active neutron-api nova-api")
    assert state.returncode == 0, state.stdout + state.stderr
    smoke = on("controller", f"sudo bash {SMOKE} < /dev/null")
    to_smoke = time.monotonic() - t
    print(f"restore: {restored:.0f} s; restore to SMOKE PASSED: {to_smoke:.0f} s")
    assert "SMOKE PASSED" in smoke.stdout, smoke.stdout[-2000:] + smoke.stderr[-2000:]
    assert cloud.networks().get(SCRATCH) == network

    for stack in lab.stacks:
        changes = open_stack(stack).preview().change_summary
        assert set(changes) == {"same"}, (stack, changes)


def test_restore_refuses_a_checkpoint_of_another_program(lab, monkeypatch):
    if not (checkpoint.checkpoint_root(STACK) / NAME).exists():
        checkpoint.save(lab, NAME)
    monkeypatch.setattr(checkpoint, "program_digest", lambda root=None: "another")
    with pytest.raises(checkpoint.CheckpointError, match="another program version"):
        checkpoint.restore(lab, NAME)
