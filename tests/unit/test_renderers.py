"""Every step's renderer on its own: a pure function (facts, secrets, node, **inputs) ->
files, called here with fixed facts, fake secrets and hand-made nodes, no Pulumi, and
compared with its golden file

    tests/golden/renderers/<service>/<case>.txt

(each file's PATH MODE OWNER GROUP line, then its content). The install's goldens
(test_install_golden.py) show the same files as the program wires them, overrides merged
in; these show one renderer's output per node kind, so a template change reads as the
diff of one small file. Regenerate with

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_renderers.py \\
        -q -p no:cacheprovider
"""

from __future__ import annotations

import configparser
import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from components.openstack import (base, cinder, glance, horizon, keystone, mariadb,
                                  memcached, neutron, nova, octavia, placement, rabbitmq,
                                  registry, smoke)
from components.openstack import tls_endpoint as tls
from components.openstack.service import CloudFacts, Renderer
from components.openstack.spec import ROLES
from components.openstack.step import ConfigFile, InstallNode
from tests.conftest import REPO_ROOT

GOLDEN = REPO_ROOT / "tests/golden/renderers"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

FACTS = CloudFacts.plan(controller_ip="192.168.1.11", public_host="10.0.2.11",
                        external_cidr="172.16.0.0/24", mtu=1500, tenant_mtu=1450)


def fake_secret(name: str, length: int) -> str:
    """Readable, of the generated length, and of the characters Octavia's passphrase
    allows."""
    return (f"{name}-" + "x" * length)[:length]


SECRETS = {n: fake_secret(n, length)
           for n, length in registry.secret_lengths(registry.SERVICES).items()}


def node(name: str, roles: tuple[str, ...], last: int) -> InstallNode:
    return InstallNode(name=name, roles=roles, target=None, instance="disk", ready=None,
                       addresses={"management": f"192.168.1.{last}",
                                  "underlay": f"192.168.2.{last}",
                                  "public": f"10.0.2.{last}"})


ALL_IN_ONE = node("controller", ROLES, 11)  # the minimal profile's controller
CONTROLLER = node("controller", ("controller",), 11)
NETWORK = node("network", ("network",), 12)
COMPUTE = node("compute-1", ("compute",), 13)
STORAGE = node("storage", ("storage",), 14)

MGMT = octavia.MgmtFacts(project_id="proj-1", network_id="net-1", cidr=octavia.LB_MGMT_CIDR,
                         mtu=1450, amp_secgroup_id="sg-1",
                         hm_ports={"network": octavia.HmPort("port-n", "fa:16:3e:00:00:02",
                                                             "172.31.255.20")})
PKI = octavia.Pki(server_ca_cert="SERVER-CA-CERT\n", server_ca_key="SERVER-CA-KEY\n",
                  client_ca_cert="CLIENT-CA-CERT\n", client_cert="CLIENT-CERT\n",
                  client_key="CLIENT-KEY\n")


@dataclass(frozen=True)
class Case:
    service: str
    name: str  # the golden file's name
    render: Renderer
    node: InstallNode
    inputs: Mapping[str, object] = field(default_factory=dict)

    @property
    def golden(self) -> str:
        return f"{self.service}/{self.name}.txt"

    def files(self) -> list[ConfigFile]:
        return self.render(FACTS, SECRETS, self.node, **self.inputs)


CASES = [
    Case("base", "cache_files", base.cache_files, CONTROLLER),
    Case("base", "packages_files-controller", base.packages_files, CONTROLLER,
         {"proxy": False, "services": registry.SERVICES}),
    Case("base", "packages_files-compute", base.packages_files, COMPUTE,
         {"proxy": True, "services": registry.SERVICES}),
    Case("base", "time_files-server", base.time_files, CONTROLLER,
         {"server": True, "management_cidr": "192.168.1.0/24"}),
    Case("base", "time_files-client", base.time_files, COMPUTE,
         {"server": False, "management_cidr": "192.168.1.0/24"}),
    Case("mariadb", "setup_files", mariadb.setup_files, CONTROLLER),
    Case("rabbitmq", "setup_files", rabbitmq.setup_files, CONTROLLER),
    Case("memcached", "setup_files", memcached.setup_files, CONTROLLER),
    Case("keystone", "setup_files", keystone.setup_files, CONTROLLER),
    Case("tls", "nginx_files", tls.nginx_files, NETWORK,
         {"ca_cert": "CA-CERT\n", "cert": "SERVER-CERT\n", "key": "SERVER-KEY\n",
          "api_ports": registry.proxied_ports(registry.SERVICES)}),
    Case("glance", "setup_files", glance.setup_files, CONTROLLER),
    Case("placement", "setup_files", placement.setup_files, CONTROLLER),
    Case("nova", "setup_files", nova.setup_files, CONTROLLER),
    Case("nova", "compute_files", nova.compute_files, COMPUTE),
    Case("neutron", "server_files", neutron.server_files, CONTROLLER),
    Case("neutron", "agent_files-network", neutron.agent_files, NETWORK),
    Case("neutron", "agent_files-compute", neutron.agent_files, COMPUTE),
    Case("neutron", "agent_files-all-in-one", neutron.agent_files, ALL_IN_ONE),
    Case("cinder", "cinder_files-controller", cinder.cinder_files, CONTROLLER),
    Case("cinder", "cinder_files-storage", cinder.cinder_files, STORAGE),
    Case("cinder", "volume_files", cinder.volume_files, STORAGE),
    Case("cinder", "initiator_files", cinder.initiator_files, COMPUTE),
    Case("octavia", "resource_files", octavia.resource_files, CONTROLLER,
         {"public_key": "ssh-ed25519 AAAA octavia-amphora", "network_nodes": ["network"]}),
    Case("octavia", "api_files", octavia.api_files, CONTROLLER, {"mgmt": MGMT}),
    Case("octavia", "worker_files", octavia.worker_files, NETWORK,
         {"mgmt": MGMT, "pki": PKI, "private_key": "AMPHORA-SSH-KEY\n"}),
    Case("octavia", "image_files", octavia.image_files, CONTROLLER,
         {"path": "/var/lib/openstack-lab/images/amphora.qcow2"}),
    Case("horizon", "setup_files", horizon.setup_files, CONTROLLER),
    Case("smoke", "check_files", smoke.check_files, CONTROLLER,
         {"expected": {"compute": [("nova-compute", "compute-1")],
                       "volume": [("cinder-volume", "controller")]},
          "amphora": {"image_tag": "amphora", "flavor": "amphora"}}),
]
BY_NAME = {c.golden: c for c in CASES}


def files_of(case: str) -> dict[str, ConfigFile]:
    return {f.path: f for f in BY_NAME[case].files()}


def text(files: list[ConfigFile]) -> str:
    """Each file's header line and content (a content without its last newline gets one,
    so the next header still starts a line)."""
    return "".join(f"=== {f.path} {f.mode} {f.owner} {f.group}\n"
                   + (f.content if f.content.endswith("\n") else f"{f.content}\n")
                   for f in sorted(files, key=lambda f: f.path))


@pytest.mark.parametrize("case", CASES, ids=[c.golden for c in CASES])
def test_renderer_matches_its_golden(case: Case):
    path = GOLDEN / case.golden
    want = text(case.files())
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(want)
    have = path.read_text() if path.is_file() else ""
    diff = "\n".join(list(difflib.unified_diff(have.splitlines(), want.splitlines(),
                                               f"golden/{case.golden}", "rendered",
                                               lineterm="", n=2))[:60])
    assert want == have, f"{case.golden} differs (review, then UPDATE_GOLDEN=1):\n{diff}"


def test_every_golden_file_has_its_case():
    on_disk = {str(p.relative_to(GOLDEN)) for p in GOLDEN.rglob("*.txt")}
    assert on_disk == set(BY_NAME), "stale or missing renderer goldens (UPDATE_GOLDEN=1)"


def test_every_module_renderer_has_a_case():
    """A renderer added to a service module gets a golden too."""
    modules = [base, mariadb, rabbitmq, memcached, keystone, tls, glance, placement, nova,
               neutron, cinder, octavia, horizon, smoke]
    tested = {c.render for c in CASES}
    for module in modules:
        for name, value in vars(module).items():
            if name.endswith("_files") and not name.startswith("_") and callable(value) \
                    and value.__module__ == module.__name__:
                assert value in tested, f"{module.__name__}.{name} has no Case"


# --- what single files must say (no whole program needed) -----------------------------------


def ini(content: str) -> configparser.ConfigParser:
    cfg = configparser.ConfigParser(strict=False, interpolation=None,
                                    default_section="configparser-no-default")
    cfg.read_string(content)
    return cfg


def test_mariadb_listens_on_the_management_network():
    cnf = files_of("mariadb/setup_files.txt")[mariadb.CONFIG].content
    assert ini(cnf)["mysqld"]["bind-address"] == FACTS.controller_ip


def test_glance_api_conf():
    cfg = ini(files_of("glance/setup_files.txt")[glance.CONFIG].content)
    assert cfg["paste_deploy"]["flavor"] == "keystone"
    backend = cfg["glance_store"]["default_backend"]
    assert f"{backend}:" in cfg["DEFAULT"]["enabled_backends"] and backend in cfg
    url = urlsplit(cfg["database"]["connection"])
    assert (url.username, url.password) == ("glance", SECRETS["db-glance"])


def test_nova_conf_per_role():
    controller = ini(files_of("nova/setup_files.txt")[nova.CONFIG].content)
    compute = ini(files_of("nova/compute_files.txt")[nova.CONFIG].content)
    assert controller["DEFAULT"]["my_ip"] == CONTROLLER.addresses["management"]
    assert compute["DEFAULT"]["my_ip"] == COMPUTE.addresses["management"]
    assert urlsplit(controller["api_database"]["connection"]).path == "/nova_api"
    assert "database" not in compute.sections()
    assert compute["DEFAULT"]["compute_driver"] == "libvirt.LibvirtDriver"
    assert compute["DEFAULT"]["resume_guests_state_on_host_boot"] == "true"
    for cfg in (controller, compute):
        assert cfg["neutron"]["service_metadata_proxy"] == "true"
        assert cfg["neutron"]["metadata_proxy_shared_secret"] == SECRETS["metadata-proxy"]
        assert cfg["service_user"]["send_service_user_token"] == "true"
        assert cfg["placement"]["username"] == "placement"
        assert cfg["api"]["auth_strategy"] == "keystone"
        # An amphora's VIP hot-plug is a synchronous nova-api -> nova-compute call that
        # outlasts the 60 s default under nested TCG.
        assert int(cfg["DEFAULT"]["rpc_response_timeout"]) >= 300


def test_neutron_database_only_on_the_controller_and_agents_by_role():
    for case, database in (("neutron/server_files.txt", True),
                           ("neutron/agent_files-network.txt", False),
                           ("neutron/agent_files-compute.txt", False),
                           ("neutron/agent_files-all-in-one.txt", True)):
        files = files_of(case)
        conf = files["/etc/neutron/neutron.conf"].content
        # neutron-api and neutron-rpc-server stay down without this exact line.
        assert re.search(r"^core_plugin = ml2$", conf, re.M), case
        assert ("database" in ini(conf).sections()) == database, case
        n = BY_NAME[case].node
        assert ("/etc/neutron/dhcp_agent.ini" in files) == n.has("network"), case
        if n.has("network"):
            dhcp = ini(files["/etc/neutron/dhcp_agent.ini"].content)
            assert dhcp["DEFAULT"]["enable_isolated_metadata"] == "true"
            assert dhcp["DEFAULT"]["interface_driver"] == "openvswitch"
        assert (neutron.ML2 in files) == n.has("controller"), case
        if neutron.ML2 in files:
            ml2 = ini(files[neutron.ML2].content)
            assert ml2["ml2"]["mechanism_drivers"].startswith("openvswitch")
        if neutron.OVS_AGENT in files:
            ovs = ini(files[neutron.OVS_AGENT].content)
            assert ovs["ovs"]["local_ip"] == n.addresses["underlay"]
            assert ("bridge_mappings" in ovs["ovs"]) == n.has("network"), case


def test_cinder_lvm_backend_only_on_storage():
    for case in ("cinder/cinder_files-controller.txt", "cinder/cinder_files-storage.txt"):
        files = files_of(case)
        n = BY_NAME[case].node
        cfg = ini(files["/etc/cinder/cinder.conf"].content)
        assert cfg["DEFAULT"]["my_ip"] == n.addresses["management"]
        assert ("lvm" in cfg.sections()) == n.has("storage"), case
        assert ("/etc/lvm/lvmlocal.conf" in files) == n.has("storage"), case
        if n.has("storage"):
            assert cfg["DEFAULT"]["enabled_backends"] == "lvm"
            assert cfg["lvm"]["target_ip_address"] == n.addresses["management"]
            # Thin LVs exported by LIO with discard: a guest's fstrim frees pool blocks.
            assert cfg["lvm"]["target_helper"] == "lioadm"
            assert cfg["lvm"]["lvm_type"] == "thin"
            assert cfg["lvm"]["report_discard_supported"] == "true"
            assert cfg["lvm"]["volume_group"] == cinder.VOLUME_GROUP
    assert files_of("cinder/initiator_files.txt")["/etc/iscsi/initiatorname.iscsi"].content \
        == f"InitiatorName={cinder.initiator_name(COMPUTE.name)}\n"


def test_the_volume_step_loads_lio_at_boot():
    # rtslib needs target_core_mod's configfs before its first export.
    files = files_of("cinder/volume_files.txt")
    assert files["/etc/modules-load.d/openstack-lab-lio.conf"].content.split() == [
        "target_core_mod", "target_core_iblock", "iscsi_target_mod"]
    assert "/etc/cinder/cinder.conf" in files


def test_horizon_settings_keep_cookies_to_tls():
    settings: dict = {}
    content = files_of("horizon/setup_files.txt")[horizon.SETTINGS].content
    exec(compile(content, horizon.SETTINGS, "exec"), settings)
    # Browsers reach Horizon only through the TLS endpoint (tests/e2e/test_horizon_e2e.py
    # reads the flags back from a real browser).
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    # Horizon's Angular code reads the CSRF cookie to send it back as a header.
    assert settings.get("CSRF_COOKIE_HTTPONLY", False) is False
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings["SECRET_KEY"] == SECRETS["horizon-secret-key"]


def test_octavia_api_binds_the_management_address_and_the_worker_its_port():
    api = files_of("octavia/api_files.txt")
    assert "bind_ip = 127.0.0.1" in api[octavia.CONFIG].content
    assert f"{FACTS.controller_ip}:{octavia.PORT}" in api["/etc/default/octavia-api"].content
    worker = files_of("octavia/worker_files.txt")
    assert "bind_ip = 172.31.255.20" in worker[octavia.CONFIG].content
    assert worker[octavia.CERTS.client].content == PKI.client_cert + PKI.client_key
    assert worker[octavia.AMPHORA_PRIVATE_KEY].mode == "0600"
