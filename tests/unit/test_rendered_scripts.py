"""Every script the program renders for a node or host passes shellcheck."""

import ipaddress
import subprocess

import pytest

from components import network_plan
from components.readiness import ready_script
from components.render import render
from components.topology import ProfileSizes, layout

CIDRS = {k: ipaddress.ip_network(v) for k, v in {
    "public": "10.0.2.0/24", "management": "192.168.1.0/24",
    "underlay": "192.168.2.0/24", "external": "172.16.0.0/24"}.items()}
NODES = layout("standard", 2, ProfileSizes.for_profile("standard"))


def shellcheck(tmp_path, text: str) -> None:
    path = tmp_path / "script.sh"
    path.write_text(text)
    done = subprocess.run(["shellcheck", "-s", "bash", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("node", NODES, ids=lambda n: n.name)
def test_ready_script(tmp_path, node):
    nics = network_plan.nics(node, CIDRS, 1500, 1)
    text = ready_script(node.name, nics)
    assert "set -euo pipefail" in text and "sleep" not in text
    for nic in nics:
        assert nic.network in text
    shellcheck(tmp_path, text)


def test_metal_prepare_script(tmp_path):
    text = render("metal/prepare.sh.j2", user="lab")
    assert "set -euo pipefail" in text and "accel-facts" in text
    shellcheck(tmp_path, text)
