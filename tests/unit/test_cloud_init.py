"""Node seeds: valid cloud-config, netplan that parses, and an instance-id that follows the
content (cloud-init re-runs only when it changes) — per node."""

import dataclasses
import ipaddress
import shutil
import subprocess

import pytest
import yaml

from components import network_plan
from components.cloud_init import HostEntry, Seed
from components.topology import layout, ProfileSizes
from tests.fixtures.keys import fake_private_key

CIDRS = {k: ipaddress.ip_network(v) for k, v in {
    "public": "10.0.2.0/24", "management": "192.168.1.0/24",
    "underlay": "192.168.2.0/24", "external": "172.16.0.0/24"}.items()}
NODES = layout("standard", 2, ProfileSizes.for_profile("standard"))
PRIVATE = fake_private_key("AAAA\nBBBB")


def seed(node, operator="ssh-ed25519 AAAAoperator op@lab") -> Seed:
    return Seed(hostname=node.name, domain="lab.internal", operator_public_key=operator,
                host_public_key=f"ssh-ed25519 AAAA{node.name} {node.name}",
                nics=network_plan.nics(node, CIDRS, 1500, 7),
                hosts=tuple(HostEntry(f"192.168.1.{n.host_offset}", n.name) for n in NODES),
                nameservers=("10.0.2.1",))


def test_user_data_is_cloud_config_with_our_user_and_pinned_host_key():
    text = seed(NODES[0]).user_data(PRIVATE)
    assert text.startswith("#cloud-config\n")
    data = yaml.safe_load(text)
    assert [u["name"] for u in data["users"]] == ["debian"]  # no `default`: replaces it
    assert data["ssh_keys"]["ed25519_private"] == PRIVATE
    assert data["ssh_keys"]["ed25519_public"].startswith("ssh-ed25519 AAAAcontroller")
    assert data["ssh_pwauth"] is False and data["manage_etc_hosts"] is False
    hosts = data["write_files"][0]["content"]
    assert "192.168.1.31 storage.lab.internal storage" in hosts


@pytest.mark.skipif(not shutil.which("cloud-init"), reason="cloud-init is installed by make setup")
@pytest.mark.parametrize("node", NODES, ids=lambda n: n.name)
def test_user_data_passes_cloud_init_schema(tmp_path, node):
    path = tmp_path / "user-data"
    path.write_text(seed(node).user_data(PRIVATE))
    done = subprocess.run(["cloud-init", "schema", "-c", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("node", NODES, ids=lambda n: n.name)
def test_network_config_sets_static_addresses_by_mac(node):
    net = yaml.safe_load(seed(node).network_config())
    assert net["version"] == 2
    for nic in network_plan.nics(node, CIDRS, 1500, 7):
        eth = net["ethernets"][nic.network]
        assert eth["match"]["macaddress"] == nic.mac and eth["set-name"] == nic.network
        assert eth["dhcp4"] is False and eth["mtu"] == 1500
        if nic.address:
            assert eth["addresses"] == [str(nic.address)]
        else:
            assert "addresses" not in eth
    assert net["ethernets"]["public"]["routes"] == [{"to": "default", "via": "10.0.2.1"}]


@pytest.mark.skipif(not shutil.which("netplan"), reason="netplan.io is installed by make setup")
@pytest.mark.parametrize("node", NODES, ids=lambda n: n.name)
def test_network_config_is_valid_netplan(tmp_path, node):
    (tmp_path / "etc/netplan").mkdir(parents=True)
    cfg = tmp_path / "etc/netplan/50-cloud-init.yaml"
    # netplan files nest the same v2 document under `network:`
    body = "".join(f"  {line}\n" for line in seed(node).network_config().splitlines())
    cfg.write_text("network:\n" + body)
    cfg.chmod(0o600)
    done = subprocess.run(["netplan", "generate", "--root-dir", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "run/systemd/network").glob("*.network"))


def test_meta_data_names_the_instance_after_the_content():
    meta = yaml.safe_load(seed(NODES[0]).meta_data())
    assert meta["instance-id"] == seed(NODES[0]).instance_id()
    assert meta["local-hostname"] == "controller"


def test_changing_one_nodes_input_changes_only_its_instance_id():
    before = {n.name: seed(n).instance_id() for n in NODES}
    changed = {n.name: (dataclasses.replace(seed(n), host_public_key="ssh-ed25519 AAAAnew")
                        if n.name == "compute-1" else seed(n)).instance_id() for n in NODES}
    assert [n for n in before if before[n] != changed[n]] == ["compute-1"]


def test_instance_id_is_stable_and_ignores_the_private_half():
    s = seed(NODES[0])
    assert s.instance_id() == seed(NODES[0]).instance_id()
    assert s.digest() == dataclasses.replace(s).digest()
    assert "BEGIN" not in s.meta_data()


def test_operator_key_change_reprovisions_every_node():
    a = {n.name: seed(n).instance_id() for n in NODES}
    b = {n.name: seed(n, operator="ssh-ed25519 AAAAother").instance_id() for n in NODES}
    assert all(a[n] != b[n] for n in a)
