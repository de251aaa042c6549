"""The smoke check's API program (osl-smoke) against a stand-in for openstacksdk that
answers with the shapes of the 2025.1 SDK's resources: it passes only when every service
of each kind reports up and every expected one is there, waits (bounded) for late
reports, and names what failed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from components.render import render

# A fake `openstack` module: its answers come from $FAKE_CLOUD (JSON), one list per call
# in turn (the last one repeated), so a test can make a service report up late.
FAKE_SDK = textwrap.dedent('''
    import json, os, types

    class SDKException(Exception):
        pass

    exceptions = types.SimpleNamespace(SDKException=SDKException)
    _state = json.load(open(os.environ["FAKE_CLOUD"]))
    _calls = {}

    def _next(name):
        answers = _state[name]
        n = _calls.get(name, 0)
        _calls[name] = n + 1
        return [types.SimpleNamespace(**r) for r in answers[min(n, len(answers) - 1)]]

    class _Conn:
        def __init__(self):
            self.compute = types.SimpleNamespace(
                services=lambda: _next("compute"),
                find_flavor=lambda name: object() if name in _state["flavors"] else None)
            self.block_storage = types.SimpleNamespace(services=lambda: _next("volume"))
            self.network = types.SimpleNamespace(agents=lambda: _next("network"))
            self.image = types.SimpleNamespace(
                images=lambda tag, status: [i for i in _state["images"]
                                            if tag in i["tags"] and i["status"] == status])
            self.load_balancer = types.SimpleNamespace(
                providers=lambda: [types.SimpleNamespace(name=n) for n in _state["providers"]])

        def authorize(self):
            if not _state.get("token", True):
                raise SDKException("401 Unauthorized")

    def connect(cloud):
        assert cloud == "admin" and os.environ["OS_CLIENT_CONFIG_FILE"]
        return _Conn()
''')

EXPECTED = {"compute": [["nova-compute", "compute-1"], ["nova-scheduler", "controller"]],
            "volume": [["cinder-volume", "controller"]],
            "network": [["neutron-openvswitch-agent", "compute-1"]]}
AMPHORA = {"image_tag": "amphora", "flavor": "amphora"}


def service(binary, host, state="up"):
    return {"binary": binary, "host": host, "state": state}


def agent(binary, host, alive=True, admin_up=True):
    return {"binary": binary, "host": host, "is_alive": alive, "is_admin_state_up": admin_up}


def healthy() -> dict:
    return {"compute": [[service("nova-compute", "compute-1"),
                         service("nova-scheduler", "controller")]],
            "volume": [[service("cinder-volume", "controller@lvm")]],
            "network": [[agent("neutron-openvswitch-agent", "compute-1")]],
            "images": [{"tags": ["amphora"], "status": "active"}],
            "flavors": ["amphora"], "providers": ["amphora", "octavia"]}


def smoke(tmp_path, cloud: dict, amphora=AMPHORA, attempts=3) -> subprocess.CompletedProcess:
    (tmp_path / "openstack.py").write_text(FAKE_SDK)
    (tmp_path / "cloud.json").write_text(json.dumps(cloud))
    helper = tmp_path / "osl-smoke"
    helper.write_text(render("smoke/osl-smoke.py.j2", expected_services=EXPECTED,
                             amphora=amphora, attempts=attempts, interval=0))
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "FAKE_CLOUD": str(tmp_path / "cloud.json")}
    return subprocess.run([sys.executable, str(helper)], capture_output=True, text=True,
                          env=env, timeout=60)


def test_a_healthy_cloud_passes_every_check(tmp_path):
    done = smoke(tmp_path, healthy())
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "ok: token issue", "ok: compute services up: 2", "ok: network services up: 1",
        "ok: volume services up: 1", "ok: amphora image, flavor and provider"]


def test_a_late_report_is_waited_for(tmp_path):
    cloud = healthy()
    cloud["network"] = [[agent("neutron-openvswitch-agent", "compute-1", alive=False)],
                        [agent("neutron-openvswitch-agent", "compute-1")]]
    done = smoke(tmp_path, cloud)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("change, message", [
    (lambda c: c.update(token=False), "token issue"),
    (lambda c: c["compute"][0].pop(0), "compute services: no nova-compute on compute-1"),
    (lambda c: c["compute"][0][1].update(state="down"),
     "compute services: nova-scheduler on controller down"),
    (lambda c: c["volume"].__setitem__(0, []), "volume services: none listed"),
    (lambda c: c["network"][0][0].update(is_admin_state_up=False),
     "network services: neutron-openvswitch-agent on compute-1 down"),
    (lambda c: c.update(images=[{"tags": ["amphora"], "status": "queued"}]),
     "no active amphora image tagged amphora"),
    (lambda c: c.update(flavors=[]), "no amphora flavor amphora"),
    (lambda c: c.update(providers=["octavia"]), "octavia: no amphora provider"),
])
def test_each_failure_is_named(tmp_path, change, message):
    cloud = healthy()
    change(cloud)
    done = smoke(tmp_path, cloud)
    assert done.returncode == 1
    assert f"SMOKE FAILED: {message}" in done.stderr, done.stderr


def test_a_host_prefix_is_no_match(tmp_path):
    # cinder-volume reports as host@backend; "controller2" is another host
    cloud = healthy()
    cloud["volume"] = [[service("cinder-volume", "controller2@lvm")]]
    done = smoke(tmp_path, cloud)
    assert "SMOKE FAILED: volume services: no cinder-volume on controller" in done.stderr


def test_without_octavia_the_amphora_is_not_checked(tmp_path):
    cloud = healthy()
    cloud.update(images=[], flavors=[], providers=[])
    done = smoke(tmp_path, cloud, amphora=None)
    assert done.returncode == 0, done.stderr
    assert "amphora" not in done.stdout
