"""One Patience per lab, from the host's acceleration: KVM waits about as long as the
upstream defaults, TCG keeps the long waits this lab needed, and the templates render
whichever the facts carry."""

from __future__ import annotations

import configparser
import dataclasses
import subprocess

import pytest

from components import config, patience
from components.accel import HostFacts, choose
from components.openstack import cinder, octavia, registry, tls_endpoint
from components.openstack.service import CloudFacts
from components.openstack.step import LOG_DIR, SECRET_DIR, step_script
from components.patience import KVM, TCG, for_accel, for_setting
from components.render import render
from tests.unit.test_renderers import ALL_IN_ONE, SECRETS

API_PORTS = registry.proxied_ports(registry.SERVICES)

REAL_KVM = HostFacts(has_kvm_device=True, pvm=False)
PVM = HostFacts(has_kvm_device=True, pvm=True)
NO_KVM = HostFacts(has_kvm_device=False, pvm=False)


def facts(p: patience.Patience) -> CloudFacts:
    return CloudFacts.plan("192.168.1.11", "10.0.2.11", "172.16.0.0/24", 1500, 1450, p)


def test_tcg_is_what_the_templates_had():
    waits = {k: v for k, v in dataclasses.asdict(TCG).items() if k != "tuning"}
    assert waits == {
        "name": "tcg", "unit_start": 3600, "api_answer": 3600, "rpc_response": 600,
        "vif_plugging": 1800, "proxy": 1800, "amphora_connect_retries": 1080,
        "amphora_active_retries": 60, "amphora_active_wait": 10,
        "amphora_request_read": 1800, "amphora_agent_request": 1200,
        "amphora_unit_start": 900}


def test_kvm_is_stock_like_and_shorter_wherever_tcg_waits_longer():
    # Upstream defaults: nova, octavia; systemd's 90 s and nginx's 60 s get some room.
    assert (KVM.rpc_response, KVM.vif_plugging) == (60, 300)
    assert (KVM.amphora_connect_retries, KVM.amphora_active_retries,
            KVM.amphora_active_wait) == (120, 30, 10)
    assert 90 <= KVM.unit_start <= 300 and KVM.api_answer == 180 and KVM.proxy == 600
    assert (KVM.amphora_request_read, KVM.amphora_agent_request) == (60, 180)
    assert KVM.amphora_unit_start == 90 and KVM.amphora_unit_drop_in is None
    for field in dataclasses.fields(patience.Patience):
        if field.name in ("name", "amphora_active_wait", "tuning"):  # tuning: test_tuning.py
            continue
        assert getattr(KVM, field.name) < getattr(TCG, field.name), field.name
    assert not KVM.is_tcg and TCG.is_tcg


def test_under_tcg_each_amphora_wait_outlasts_the_one_it_waits_on():
    # the worker's read waits on the agent's request, which waits on systemctl start
    # (KVM keeps octavia's own defaults, a 60 s read under a 180 s agent limit)
    assert TCG.amphora_unit_start < TCG.amphora_agent_request < TCG.amphora_request_read
    assert TCG.amphora_unit_drop_in == 900


def test_cloud_facts_default_to_tcg():
    assert CloudFacts.plan("192.168.1.11", "10.0.2.11", "172.16.0.0/24", 1500,
                           1450).patience == TCG


@pytest.mark.parametrize("setting,host,expected", [
    ("auto", REAL_KVM, KVM), ("auto", PVM, TCG), ("auto", NO_KVM, TCG),
    ("tcg", REAL_KVM, TCG), ("kvm", PVM, KVM)])
def test_follows_the_accel_decision(setting, host, expected):
    assert for_accel(choose(setting, host)) == expected


@pytest.mark.parametrize("setting,expected", [("auto", TCG), ("tcg", TCG), ("kvm", KVM)])
def test_an_unprobed_host_waits_as_for_tcg_unless_told(setting, expected):
    # metal: the host is probed by its preparation, after the templates are rendered.
    assert for_setting(setting) == expected


# --- rendering ------------------------------------------------------------------------------

def script(p: patience.Patience) -> str:
    return step_script("openstack-glance-setup", "glance/setup.sh.j2", node="controller",
                       log_dir=LOG_DIR, secret_dir=SECRET_DIR, cloud=facts(p),
                       port=9292, config="/etc/glance/glance-api.conf")


def nova_text(p: patience.Patience, role: str) -> str:
    return render("nova/nova.conf.j2", cloud=facts(p), role=role, my_ip="192.168.1.11",
                  transport_url="rabbit://x", database="mysql://x", api_database="mysql://y",
                  cell0_database="mysql://z", password="p", placement_password="p",
                  neutron_password="p", metadata_secret="m", novnc_port=6080)


def cinder_text(p: patience.Patience) -> str:
    files = {f.path: f.content for f in cinder.cinder_files(facts(p), SECRETS, ALL_IN_ONE)}
    return files["/etc/cinder/cinder.conf"]


def octavia_text(p: patience.Patience) -> str:
    mgmt = octavia.MgmtFacts(project_id="proj", network_id="net", cidr="172.31.255.0/24",
                             mtu=1450, amp_secgroup_id="sg",
                             hm_ports={"controller": octavia.HmPort(
                                 "port", "fa:16:3e:00:00:01", "172.31.255.10")})
    secrets = {"db-octavia": "D" * 32, "user-octavia": "U" * 32, "rabbit": "R" * 32,
               "octavia-heartbeat-key": "H" * 32, "octavia-ca-passphrase": "P" * 32}
    return octavia.octavia_conf(facts(p), "controller", mgmt, secrets)


def site_text(p: patience.Patience) -> str:
    return tls_endpoint.nginx_site(facts(p), "controller", "10.0.2.11", API_PORTS)


def ini(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=True)
    parser.read_string(text)
    return parser


@pytest.mark.parametrize("p", [KVM, TCG], ids=lambda p: p.name)
def test_every_value_renders_from_the_facts(p):
    text = script(p)
    assert f"TimeoutStartSec={p.unit_start}\\n'" in text
    assert f"budget=${{2:-{p.api_answer}}}" in text
    for role in ("controller", "compute"):
        assert ini(nova_text(p, role))["DEFAULT"]["rpc_response_timeout"] == str(p.rpc_response)
    assert ini(nova_text(p, "compute"))["DEFAULT"]["vif_plugging_timeout"] == \
        str(p.vif_plugging)
    assert ini(cinder_text(p))["DEFAULT"]["rpc_response_timeout"] == str(p.rpc_response)
    conf = ini(octavia_text(p))
    assert conf["haproxy_amphora"]["connection_max_retries"] == str(p.amphora_connect_retries)
    assert conf["controller_worker"]["amp_active_retries"] == str(p.amphora_active_retries)
    assert conf["controller_worker"]["amp_active_wait_sec"] == str(p.amphora_active_wait)
    assert conf["haproxy_amphora"]["rest_request_read_timeout"] == str(p.amphora_request_read)
    assert conf["amphora_agent"]["agent_request_read_timeout"] == \
        str(p.amphora_agent_request)
    sites = len(tls_endpoint.proxy_sites(facts(p), API_PORTS))
    assert site_text(p).count(f"proxy_read_timeout {p.proxy}s;") == sites
    assert site_text(p).count(f"proxy_send_timeout {p.proxy}s;") == sites


def test_kvm_renders_stock_values():
    assert "TimeoutStartSec=300\\n'" in script(KVM)
    assert ini(nova_text(KVM, "controller"))["DEFAULT"]["rpc_response_timeout"] == "60"
    assert ini(nova_text(KVM, "compute"))["DEFAULT"]["vif_plugging_timeout"] == "300"


# Each comment that explains a long TCG value, by a phrase of it.
TCG_REASONS = {
    "script": ("an hour only bounds", "glance-api answered after more"),
    "nova": ("nested TCG guest outlasts", "On a TCG lab the OVS"),
    "octavia": ("keeps trying for 90 minutes", "can outlast the 60 s read"),
    "site": ("A starved TCG controller",),
}


@pytest.mark.parametrize("p", [KVM, TCG], ids=lambda p: p.name)
def test_the_reasons_for_long_waits_come_only_with_them(p):
    rendered = {"script": script(p), "nova": nova_text(p, "compute"),
                "octavia": octavia_text(p), "site": site_text(p)}
    for name, phrases in TCG_REASONS.items():
        for phrase in phrases:
            assert (phrase in rendered[name]) == p.is_tcg, (name, phrase)


def test_kvm_step_script_passes_shellcheck(tmp_path):
    path = tmp_path / "step.sh"
    body = script(KVM).split("<<'OPENSTACK_LAB_STEP'\n", 1)[1].split(
        "\nOPENSTACK_LAB_STEP\n", 1)[0]
    path.write_text(body)
    done = subprocess.run(["shellcheck", "-s", "bash", str(path)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout


# --- the README's table ---------------------------------------------------------------------

def a(p: patience.Patience) -> str:
    return f"{p.amphora_active_retries} × {p.amphora_active_wait} s"


README_ROWS = {  # the setting column -> what the KVM and TCG columns must say
    "systemd `TimeoutStartSec`": tuple(f"{p.unit_start} s" for p in (KVM, TCG)),
    "`wait_http` in the step scripts": tuple(f"{p.api_answer} s" for p in (KVM, TCG)),
    "nova and cinder `rpc_response_timeout`": tuple(f"{p.rpc_response} s" for p in (KVM, TCG)),
    "nova (compute) `vif_plugging_timeout`": tuple(f"{p.vif_plugging} s" for p in (KVM, TCG)),
    "nginx `proxy_read_timeout`, `proxy_send_timeout`": tuple(
        f"{p.proxy} s" for p in (KVM, TCG)),
    "octavia `connection_max_retries` (every 5 s)": tuple(
        str(p.amphora_connect_retries) for p in (KVM, TCG)),
    "octavia `amp_active_retries` × `amp_active_wait_sec`": (a(KVM), a(TCG)),
    "octavia `rest_request_read_timeout`": tuple(
        f"{p.amphora_request_read} s" for p in (KVM, TCG)),
    "octavia `agent_request_read_timeout`": tuple(
        f"{p.amphora_agent_request} s" for p in (KVM, TCG)),
    "systemd `DefaultTimeoutStartSec` in the amphora image": tuple(
        f"{p.amphora_unit_start} s" for p in (KVM, TCG)),
    "`lbTimeoutMinutes`": (f"{config.KEYS_BY_NAME['lbTimeoutMinutes'].default} min",) * 2,
}


def test_readme_table_says_what_the_code_does(repo_root):
    rows = {}
    for line in (repo_root / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[1] in README_ROWS:
            assert cells[1] not in rows, f"two rows for {cells[1]}"
            rows[cells[1]] = (cells[3], cells[4])
    assert rows == README_ROWS
