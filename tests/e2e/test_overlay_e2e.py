"""The overlay on the running dev lab for real (`make up` first): every resource is
created, the load balancer's VIP answers round robin from web-1 and web-2, a backend whose
HTTP server is stopped is marked ERROR by the health monitor and gets no more traffic, a
second `up` changes nothing, and destroy leaves no tenant resource and no amphora.

Slow: on TCG hosts Nova's guests (the amphora above all) run under TCG inside TCG nodes.
`make e2e` (or `scripts/test.sh -m e2e tests/e2e/test_overlay_e2e.py`)."""

from __future__ import annotations

import subprocess
import time
import urllib.request

import pytest

from components.paths import ssh_dir
from labctl.workspace import open_stack
from tests.e2e.cloud_api import CloudApi

pytestmark = pytest.mark.e2e

UNDERLAY, OVERLAY = "dev", "dev-overlay"
SSH_CONFIG = ssh_dir(UNDERLAY) / "config"


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


def test_up_creates_everything_and_the_vip_is_round_robin(overlay):
    up = overlay.up(on_output=print)
    assert "round robin" in up.outputs["check"].value
    answers = _answers(up.outputs["vip_url"].value, 6)
    assert set(answers) == {"web-1", "web-2"}
    assert all(a != b for a, b in zip(answers, answers[1:]))


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
