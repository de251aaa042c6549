"""The amphora image copy of each underlay under mocks: where the controller sits behind a
jump host (metal: the metal host; gcp: the network node) the copy goes through it, with
its host key pinned at its port and its key on stdin after the node's; the local lab's
copy connects directly (its command line is pinned in tests/golden/local-commands)."""

from __future__ import annotations

import pulumi
import pytest

from components.openstack.amphora_image import COPY_SCRIPT, REMOTE_IMAGE_DIR
from tests.fixtures.keys import BEGIN, HOST_KEY, fake_private_key, real_private_key
from tests.graph.test_underlay import GCP, METAL
from tests.harness import run_main, stack_outputs
from tests.harness import is_secret, unwrap

IMAGE = "/root/.openstack-lab/images/debian-13-amphora-0123456789ab.qcow2"
COPY = "openstack-octavia-amphora-copy"


def words(create: str) -> list[str]:
    """The copy's arguments: each one single-quoted word (components/openstack/amphora_image.py)."""
    script, _, rest = create.partition(" ")
    assert script == COPY_SCRIPT
    assert rest.startswith("'") and rest.endswith("'")
    return rest[1:-1].split("' '")


def copy_of(mock_lab, config: dict[str, str]):
    monitor = mock_lab({**config, "accel": "tcg"})
    run_main()
    return monitor


def check_node_part(copy) -> list[str]:
    """The image, the controller and its pinned key, as on the local lab; the rest."""
    args = words(copy.inputs["create"])
    assert args[:4] == [IMAGE, "debian@10.0.2.11",
                        f"{REMOTE_IMAGE_DIR}/debian-13-amphora-0123456789ab.qcow2",
                        "10.0.2.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5lab-host-controller"]
    assert is_secret(copy.inputs["stdin"]) and BEGIN not in copy.inputs["create"]
    assert {"stdout", "stderr"} <= set(copy.secret_outputs)
    return args[4:]


@pulumi.runtime.test
def test_metal_copies_through_the_metal_host(mock_lab):
    monitor = copy_of(mock_lab, {**METAL, "metalPort": "2222"})

    def check(_):
        copy = monitor.named(COPY)
        # The metal host as the settings give it: its user, its port, its pinned key.
        assert check_node_part(copy) == ["lab@[192.0.2.10]:2222",
                                         f"[192.0.2.10]:2222 {HOST_KEY}"]
        # The operator's key (the node's) first, the metal host's after it.
        assert unwrap(copy.inputs["stdin"]) == fake_private_key("lab-operator") + \
            real_private_key()

    return stack_outputs().apply(check)


@pulumi.runtime.test
def test_gcp_copies_through_the_network_node(mock_lab):
    monitor = copy_of(mock_lab, GCP)

    def check(_):
        copy = monitor.named(COPY)
        # The network node's public address (the mock's NAT IP) and its own host key.
        assert check_node_part(copy) == [
            "debian@203.0.113.10", "203.0.113.10 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5lab-host-network"]
        # The jump host is a lab node: the operator's key twice.
        assert unwrap(copy.inputs["stdin"]) == 2 * fake_private_key("lab-operator")

    return stack_outputs().apply(check)


@pytest.mark.parametrize("config", [{}, {"profile": "standard"}])
@pulumi.runtime.test
def test_the_local_lab_copies_directly(mock_lab, config):
    monitor = copy_of(mock_lab, config)

    def check(_):
        copy = monitor.named(COPY)
        assert check_node_part(copy) == []
        assert unwrap(copy.inputs["stdin"]) == fake_private_key("lab-operator")

    return stack_outputs().apply(check)
