"""The underlay on this machine for real: VMs boot, every readiness check passes, a second
`up` changes nothing, replacing one node's host key replaces only that node, and destroy
leaves nothing in libvirt. Slow (TCG here): `make e2e`."""

from __future__ import annotations

import pytest

from labctl.leftovers import leftovers
from labctl.workspace import open_stack

pytestmark = pytest.mark.e2e

STACK = "e2e"
PREFIX = f"osl-{STACK}-"
# Its own address ranges, so it can run beside the dev lab.
CONFIG = {
    "openstack-lab:profile": "minimal",
    "openstack-lab:install": "none",  # the node layer only; the install has its own e2e
    "openstack-lab:publicCidr": "10.20.2.0/24",
    "openstack-lab:managementCidr": "10.20.11.0/24",
    "openstack-lab:underlayCidr": "10.20.12.0/24",
    "openstack-lab:externalCidr": "10.20.16.0/24",
}


@pytest.fixture(scope="module")
def lab():
    from pulumi import automation as auto

    stack = open_stack(STACK)
    stack.set_all_config({k: auto.ConfigValue(v) for k, v in CONFIG.items()})
    yield stack
    stack.destroy(on_output=print)
    left = leftovers(PREFIX)
    stack.workspace.remove_stack(STACK)
    assert left == {"domains": [], "networks": [], "pools": [], "volumes": []}


def test_up_boots_every_node_and_readiness_passes(lab):
    up = lab.up(on_output=print)
    ready = up.outputs["ready"].value
    assert set(ready) == {"controller", "compute-1"}
    for node, report in ready.items():
        assert "cloud-init: done" in report and f"hostname: {node}" in report


def test_second_up_changes_nothing(lab):
    again = lab.up(on_output=print)
    assert set(again.summary.resource_changes) == {"same"}


def test_replacing_one_host_key_replaces_only_that_node(lab):
    key = next(r["urn"] for r in lab.export_stack().deployment["resources"]
               if r["urn"].endswith("::lab-host-compute-1"))
    preview = lab.preview(replace=[key], diff=True)
    replaced = preview.stdout
    assert "underlay-compute-1-domain" in replaced
    assert "underlay-controller-domain" not in replaced
    assert preview.change_summary.get("replace", 0) >= 3  # key, seed, root, domain, check
