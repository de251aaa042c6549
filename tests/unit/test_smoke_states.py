"""The smoke check's service reader, run on the JSON shapes the 2025.1 client prints."""

import json
import subprocess
import sys

import pytest

from components.render import render

COMPUTE = [{"ID": "a1", "Binary": "nova-scheduler", "Host": "controller", "Zone": "internal",
            "Status": "enabled", "State": "up", "Updated At": "2026-11-21T10:09:40.000000"},
           {"ID": "a2", "Binary": "nova-compute", "Host": "compute-1", "Zone": "nova",
            "Status": "enabled", "State": "down", "Updated At": "2026-11-21T09:01:02.000000"}]
VOLUME = [{"Binary": "cinder-volume", "Host": "controller@lvm", "Zone": "nova",
           "Status": "enabled", "State": "up", "Updated At": "2026-11-21T10:09:44.000000"}]


def agent(binary: str, host: str, alive: bool, state: bool) -> dict:
    # The client's own field order: Binary comes last, after Alive and State.
    return {"ID": "x", "Agent Type": "Open vSwitch agent", "Host": host,
            "Availability Zone": None, "Alive": alive, "State": state, "Binary": binary}


def states(tmp_path, rows: list[dict]) -> list[str]:
    helper = tmp_path / "osl-service-states"
    helper.write_text(render("smoke/osl-service-states.py.j2"))
    done = subprocess.run([sys.executable, str(helper)], input=json.dumps(rows),
                          capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_compute_and_volume_services(tmp_path):
    assert states(tmp_path, COMPUTE) == ["nova-scheduler controller up", "nova-compute compute-1 down"]
    assert states(tmp_path, VOLUME) == ["cinder-volume controller@lvm up"]


@pytest.mark.parametrize("alive,state,expected", [(True, True, "up"), (False, True, "down"),
                                                  (True, False, "down")])
def test_network_agents_need_alive_and_admin_up(tmp_path, alive, state, expected):
    row = agent("neutron-l3-agent", "controller", alive, state)
    assert states(tmp_path, [row]) == [f"neutron-l3-agent controller {expected}"]


def test_an_empty_list_prints_nothing(tmp_path):
    assert states(tmp_path, []) == []
