"""Octavia's renderers and pure helpers: octavia.conf carries every key the amphora
provider needs, the facts line of the resources step parses, every rendered script passes
shellcheck. (The amphora image: tests/unit/test_amphora_image.py.)"""

from __future__ import annotations

import configparser
import json
import subprocess

import pytest

from components.openstack import octavia as o
from components.openstack.service import CloudFacts
from components.openstack.step import step_script
from components.render import render

CLOUD = CloudFacts.plan("192.168.1.11", "10.0.2.11", "172.16.0.0/24", 1500, 1450)
SECRETS = {"db-octavia": "D" * 32, "user-octavia": "U" * 32, "rabbit": "R" * 32,
           "octavia-heartbeat-key": "H" * 32, "octavia-ca-passphrase": "Pass-word_=" + "p" * 21}
FACTS_JSON = {"project_id": "proj-1", "network_id": "net-1", "cidr": "172.31.255.0/24",
              "mtu": 1450, "amp_secgroup_id": "sg-1",
              "hm_ports": {"network": {"id": "port-n", "mac": "fa:16:3e:00:00:02",
                                       "ip": "172.31.255.20"},
                           "controller": {"id": "port-c", "mac": "fa:16:3e:00:00:01",
                                          "ip": "172.31.255.10"}}}
STDOUT = ("== 2026-01-01 openstack-octavia-resources on controller\ncreated network lb-mgmt-net\n"
          f"octavia-facts {json.dumps(FACTS_JSON)}\n== done\n")
FACTS = o.parse_facts(STDOUT)
BASE = {"node": "controller", "log_dir": "/var/log/openstack-lab",
        "secret_dir": "/etc/openstack-lab/secrets", "cloud": CLOUD}
HM = {"device": o.HM_DEVICE, "bridge": o.HM_BRIDGE, "unit": o.HM_UNIT,
      "script": o.HM_SCRIPT, "env_file": o.HM_ENV}


def conf(node: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read_string(o.octavia_conf(CLOUD, node, FACTS, SECRETS))
    return parser


def shellcheck(tmp_path, text: str) -> None:
    path = tmp_path / "script.sh"
    path.write_text(text)
    done = subprocess.run(["shellcheck", "-s", "bash", str(path)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout


def test_facts_line_parses_from_the_step_log():
    assert FACTS.network_id == "net-1" and FACTS.mtu == 1450 and FACTS.prefixlen == 24
    assert FACTS.hm_ports["controller"] == o.HmPort("port-c", "fa:16:3e:00:00:01",
                                                    "172.31.255.10")
    # A re-run's log holds the latest line last.
    newer = dict(FACTS_JSON, network_id="net-2")
    assert o.parse_facts(STDOUT + f"octavia-facts {json.dumps(newer)}\n").network_id == "net-2"


@pytest.mark.parametrize("stdout", [None, "", "no facts here\n"])
def test_missing_facts_are_an_error(stdout):
    with pytest.raises(ValueError, match="octavia-facts"):
        o.parse_facts(stdout)


def test_certificates_use_the_32_character_passphrase_on_every_host():
    for node in ("controller", "network"):
        certs = conf(node)["certificates"]
        assert certs["cert_generator"] == "local_cert_generator"
        assert certs["ca_private_key_passphrase"] == SECRETS["octavia-ca-passphrase"]
        assert certs["server_certs_key_passphrase"] == SECRETS["octavia-ca-passphrase"]
        assert o.PASSPHRASE.match(certs["server_certs_key_passphrase"])
        assert len(certs["server_certs_key_passphrase"]) == 32
        assert certs["ca_certificate"] == o.CERTS.server_ca
        assert certs["ca_private_key"] == o.CERTS.server_ca_key


@pytest.mark.parametrize("bad", ["P" * 31, "P" * 33, "P" * 31 + "!"])
def test_a_passphrase_octavia_would_reject_fails_early(bad):
    with pytest.raises(ValueError, match="32 characters"):
        o.octavia_conf(CLOUD, "controller", FACTS, {**SECRETS, "octavia-ca-passphrase": bad})


def test_health_manager_binds_to_its_own_port_and_knows_every_other():
    for node, ip in (("controller", "172.31.255.10"), ("network", "172.31.255.20")):
        hm = conf(node)["health_manager"]
        assert hm["bind_ip"] == ip
        assert hm["bind_port"] == "5555"
        assert hm["heartbeat_key"] == SECRETS["octavia-heartbeat-key"]
        assert hm["controller_ip_port_list"] == "172.31.255.10:5555, 172.31.255.20:5555"


def test_a_node_without_health_manager_port_still_gets_the_list():
    hm = conf("api-only")["health_manager"]
    assert hm["bind_ip"] == "127.0.0.1"
    assert hm["controller_ip_port_list"].count(":5555") == 2


def test_controller_worker_boots_amphorae_from_the_created_resources():
    worker = conf("network")["controller_worker"]
    assert worker["amp_image_tag"] == o.AMPHORA.image_tag == "amphora"
    assert worker["amp_image_owner_id"] == "proj-1"
    assert worker["amp_flavor_id"] == o.AMPHORA.flavor
    assert worker["amp_boot_network_list"] == "net-1"
    assert worker["amp_secgroup_list"] == "sg-1"
    assert worker["amp_ssh_key_name"] == o.AMPHORA.keypair
    assert worker["client_ca"] == o.CERTS.client_ca
    assert worker["loadbalancer_topology"] == "SINGLE"
    haproxy = conf("network")["haproxy_amphora"]
    assert haproxy["client_cert"] == o.CERTS.client
    assert haproxy["server_ca"] == o.CERTS.server_ca


def test_services_reach_each_other_internally_with_the_octavia_user():
    c = conf("network")
    assert c["database"]["connection"] == f"mysql+pymysql://octavia:{'D' * 32}@controller/octavia"
    assert c["DEFAULT"]["transport_url"].startswith("rabbit://")
    for section in ("keystone_authtoken", "service_auth"):
        assert c[section]["username"] == "octavia"
        assert c[section]["password"] == SECRETS["user-octavia"]
        assert c[section]["project_name"] == "service"
    for section in ("nova", "glance", "cinder"):
        assert c[section]["endpoint_type"] == "internalURL"
    assert c["neutron"]["valid_interfaces"] == "internal"
    assert c["task_flow"]["jobboard_enabled"] == "false"


def test_amphora_flavor_is_big_enough():
    assert o.AMPHORA.ram >= 1024 and o.AMPHORA.disk >= 2 and o.AMPHORA.vcpus >= 1


def test_hm_port_environment():
    env = dict(line.split("=", 1) for line in
               o.hm_env(FACTS.hm_ports["network"], FACTS).splitlines())
    assert env == {"PORT_ID": "port-n", "MAC": "fa:16:3e:00:00:02", "IP": "172.31.255.20",
                   "PREFIX": "24", "MTU": "1450"}


STEPS = {
    "resources": ("octavia/resources.sh.j2", {"helper": o.MGMT_HELPER}),
    "api": ("octavia/api.sh.j2", {"port": o.PORT, "config": o.CONFIG}),
    "worker-controller": ("octavia/worker.sh.j2", {
        "units": o.NODE_UNITS, "config": o.CONFIG, "certs": o.CERTS.all(),
        "device": o.HM_DEVICE, "hm_unit": o.HM_UNIT, "hm_script": o.HM_SCRIPT,
        "hm_env": o.HM_ENV, "hm_port": o.HM_PORT}),
    "image": ("octavia/image.sh.j2", {"tag": "amphora", "image_env": o.IMAGE_ENV}),
    "verify": ("octavia/verify.sh.j2", {"hosts": ["controller", "network"],
                                        "amphora": {"image_tag": "amphora",
                                                    "flavor": "amphora"}}),
}


@pytest.mark.parametrize("step", sorted(STEPS))
def test_step_scripts_pass_shellcheck_and_hold_no_secret(tmp_path, step):
    template, context = STEPS[step]
    text = step_script(f"openstack-octavia-{step}", template, **BASE, **context)
    assert "set -euo pipefail" in text
    assert not [v for v in SECRETS.values() if v in text]
    shellcheck(tmp_path, text)


def test_worker_waits_for_a_wired_port_before_the_services():
    text = render("octavia/worker.sh.j2", step="w", **BASE, **STEPS["worker-controller"][1])
    wired = text.index("retry 60 5 hm_port_wired")
    assert text.index(f"converge {o.HM_UNIT}") < wired
    for unit in o.NODE_UNITS:
        assert wired < text.index(f"converge {unit} {o.CONFIG}")


def test_hm_port_script_plugs_o_hm0_with_the_ports_identity(tmp_path):
    text = render("octavia/osl-octavia-hm-port.sh.j2", **HM)
    for needed in ("--may-exist add-port br-int o-hm0", "type=internal",
                   "external-ids:iface-id=$PORT_ID", "external-ids:attached-mac=$MAC",
                   "external-ids:iface-status=active", f". {o.HM_ENV}"):
        assert needed in text, needed
    shellcheck(tmp_path, text)


def test_hm_port_unit_survives_agent_restarts_and_reboots():
    unit = render("octavia/octavia-hm-port.service.j2", **HM)
    lines = unit.splitlines()

    def values(key: str) -> set[str]:
        return {v for line in lines if line.startswith(f"{key}=")
                for v in line.split("=", 1)[1].split()}

    assert "neutron-openvswitch-agent.service" in values("PartOf")
    assert "ovs-vswitchd.service" in values("PartOf")
    assert {"octavia-health-manager.service", "octavia-worker.service"} <= values("Before")
    assert {"multi-user.target", "neutron-openvswitch-agent.service",
            "octavia-health-manager.service"} <= values("WantedBy")
    assert values("ExecStart") == {o.HM_SCRIPT}
    assert values("Type") == {"oneshot"} and values("RemainAfterExit") == {"yes"}


def test_management_helper_is_valid_python_with_the_plan():
    text = render("octavia/osl-octavia-mgmt.py.j2", clouds=o.OCTAVIA_CLOUDS,
                  cidr=o.LB_MGMT_CIDR, agent_port=o.AGENT_PORT, hm_port=o.HM_PORT,
                  amphora=o.AMPHORA, public_key_file=o.AMPHORA_PUBLIC_KEY,
                  network_nodes=["controller", "network"])
    compile(text, "osl-octavia-mgmt", "exec")
    for needed in ('NETWORK_NODES = ["controller", "network"]', '("tcp", 9443)',
                   '("udp", 5555)', '"Octavia:health-mgr"', f'CIDR = "{o.LB_MGMT_CIDR}"',
                   'print("octavia-facts "'):
        assert needed in text, needed


def test_octavia_clouds_file_is_the_service_user():
    text = render("octavia/clouds.yaml.j2", cloud=CLOUD, password="secret-pw")
    assert "username: octavia" in text and "project_name: service" in text
