"""The overlay on the running dev lab for real (`make up` first): every resource is
created, the load balancer's VIP answers round robin from web-1 and web-2, the tenant
volume is a disk of web-1 and a guest's fstrim gives its blocks back to the thin pool, a
backend whose HTTP server is stopped is marked ERROR by the health monitor and gets no more
traffic, a second `up` changes nothing, and destroy leaves no tenant resource, no amphora,
and no LV, iSCSI target or session of the volume on the nodes.

Slow: on TCG hosts Nova's guests (the amphora above all) run under TCG inside TCG nodes.
`make e2e` (or `scripts/test.sh -m e2e tests/e2e/test_overlay_e2e.py`)."""

from __future__ import annotations

import shlex
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from components.paths import ssh_dir
from labctl.workspace import open_stack
from tests.e2e.cloud_api import CloudApi

pytestmark = pytest.mark.e2e

UNDERLAY, OVERLAY = "dev", "dev-overlay"
SSH_CONFIG = ssh_dir(UNDERLAY) / "config"
VG = "cinder-volumes"  # components/openstack/cinder.py


def _node(host: str, command: str, check: bool = True) -> str:
    """A command as root on a lab node (its operator SSH config from `make up`)."""
    done = subprocess.run(["ssh", "-F", str(SSH_CONFIG), host, f"sudo sh -c {shlex.quote(command)}"],
                          capture_output=True, text=True, timeout=900)
    if check:
        assert done.returncode == 0, f"{host}: {command}: {done.stderr}"
    return done.stdout


def _storage_and_compute(cloud) -> tuple[str, list[str]]:
    nodes = open_stack(UNDERLAY).outputs()["nodes"].value
    storage = next(n for n, v in nodes.items() if "storage" in v["roles"])
    return storage, [n for n, v in nodes.items() if "compute" in v["roles"]]


def _thin_used_bytes(storage: str, volume_id: str) -> int:
    """What the volume's thin LV has allocated in the pool (its size × data percent)."""
    line = _node(storage, f"lvs --noheadings --units b --nosuffix -o lv_size,data_percent "
                          f"{VG}/volume-{volume_id}").split()
    return int(float(line[0]) * float(line[1]) / 100)


def _guest(outputs, key: Path, server: str, command: str) -> str:
    ip = outputs["servers"].value[server]["floating_ip"]
    done = subprocess.run(["ssh", "-i", str(key), "-o", "StrictHostKeyChecking=no",
                           "-o", "UserKnownHostsFile=/dev/null", f"root@{ip}", command],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{server}: {command}: {done.stdout}{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def tenant_key(tmp_path_factory, overlay):
    key = tmp_path_factory.mktemp("tenant") / "id"
    key.touch(mode=0o600)
    key.write_text(overlay.outputs()["ssh_private_key"].value)
    return key


def _answers(url: str, count: int) -> list[str]:
    answers = []
    for _ in range(count):
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                answers.append(r.read().decode().strip())
        except OSError as err:
            answers.append(f"({err})")
    return answers


@pytest.fixture(scope="module")
def cloud():
    if not SSH_CONFIG.exists():
        pytest.skip(f"the {UNDERLAY} lab is not up ({SSH_CONFIG} missing): run `make up` first")
    return CloudApi(open_stack(UNDERLAY).outputs()["openstack"].value)


@pytest.fixture(scope="module")
def overlay(cloud):
    stack = open_stack(OVERLAY)
    yield stack
    stack.destroy(on_output=print)
    servers = cloud.server_names()
    assert not [s for s in servers if s.startswith(("web-", "amphora-"))], servers
    assert "demo" not in cloud.project_names()
    assert cloud.load_balancers() == []
    storage, computes = _storage_and_compute(cloud)
    lvs = _node(storage, f"lvs --noheadings -o lv_name {VG}").split()
    assert not [lv for lv in lvs if lv.startswith("volume-")], lvs
    # LIO's iSCSI targets, one directory per IQN (cinder-rtstool names them volume-<id>).
    targets = _node(storage, "ls /sys/kernel/config/target/iscsi 2>/dev/null || true")
    assert "volume-" not in targets, targets
    for compute in computes:
        # iscsiadm exits 21 when there is no session at all.
        sessions = _node(compute, "iscsiadm -m session 2>&1 || true")
        assert "volume-" not in sessions, (compute, sessions)


def test_up_creates_everything_and_the_vip_is_round_robin(overlay):
    up = overlay.up(on_output=print)
    assert "round robin" in up.outputs["check"].value
    answers = _answers(up.outputs["vip_url"].value, 6)
    assert set(answers) == {"web-1", "web-2"}
    assert all(a != b for a, b in zip(answers, answers[1:]))


def test_the_volume_is_a_disk_of_web_1_and_fstrim_gives_space_back(overlay, cloud, tenant_key):
    outputs = overlay.outputs()
    volume = outputs["volume"].value
    assert volume["size_gib"] == 1 and volume["server"] == "web-1"
    assert volume["seen_by_guest"].strip() == f"vdb {1024 ** 3}"
    storage, _ = _storage_and_compute(cloud)
    before = _thin_used_bytes(storage, volume["id"])
    _guest(outputs, tenant_key, "web-1",
           "set -e; mke2fs -q /dev/vdb; mkdir -p /mnt/vol; mount /dev/vdb /mnt/vol; "
           "dd if=/dev/urandom of=/mnt/vol/fill bs=1048576 count=100 2>/dev/null; sync")
    written = _thin_used_bytes(storage, volume["id"])
    print(f"thin LV allocated: {before} B fresh, {written} B after 100 MiB written")
    assert written - before >= 100 * 1024 ** 2
    trimmed = _guest(outputs, tenant_key, "web-1",
                     "set -e; rm /mnt/vol/fill; sync; fstrim -v /mnt/vol; umount /mnt/vol")
    after = _thin_used_bytes(storage, volume["id"])
    print(f"fstrim: {trimmed.strip()}; thin LV allocated {after} B after it")
    assert written - after >= 90 * 1024 ** 2, (before, written, after)


def test_a_stopped_backend_is_marked_error_and_gets_no_traffic(overlay, cloud, tmp_path):
    outputs = overlay.outputs()
    key = tmp_path / "id"
    key.touch(mode=0o600)
    key.write_text(outputs["ssh_private_key"].value)
    web2 = outputs["servers"].value["web-2"]["floating_ip"]
    subprocess.run(["ssh", "-i", str(key), "-o", "StrictHostKeyChecking=no",
                    "-o", "UserKnownHostsFile=/dev/null", f"root@{web2}",
                    'kill "$(cat /run/web-http.pid)"'], check=True, timeout=300)
    # The monitor needs ~30 s (delay 10, 2 retries); one API call on a TCG controller can
    # take minutes.
    deadline = time.monotonic() + 1800
    status = ""
    while time.monotonic() < deadline:
        status = cloud.member_status("web-lb-pool", "web-2")
        if status == "ERROR":
            break
        time.sleep(10)
    assert status == "ERROR"
    assert set(_answers(outputs["vip_url"].value, 6)) == {"web-1"}


def test_second_up_changes_nothing(overlay):
    # web-2's HTTP server is down now: the check re-runs only if its triggers change.
    again = overlay.up(on_output=print)
    assert set(again.summary.resource_changes) == {"same"}
