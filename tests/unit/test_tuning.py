"""Idle tuning follows the patience set: KVM keeps the upstream defaults, TCG runs the
services' background work less often, every down time stays well above its report
interval, the config files render whichever set the facts carry, and the README's table
says what the code does."""

from __future__ import annotations

import dataclasses

import pytest

from components.openstack import cinder, neutron
from components.patience import KVM, TCG
from components.tuning import LIGHT, STOCK, Tuning
from tests.unit.test_patience import facts, ini, nova_text, octavia_text
from tests.unit.test_renderers import ALL_IN_ONE, SECRETS

# The upstream defaults (nova, cinder, neutron, octavia 2025.1).
UPSTREAM = {"report_interval": 10, "service_down_time": 60, "agent_report_interval": 30,
            "agent_down_time": 75, "ovs_polling_interval": 2, "update_resources_interval": 0,
            "heal_info_cache_interval": 60, "cinder_periodic_interval": 60,
            "octavia_health_check_interval": 3}


def test_kvm_keeps_the_upstream_defaults_and_tcg_is_light():
    assert KVM.tuning is STOCK and TCG.tuning is LIGHT
    assert {k: v for k, v in dataclasses.asdict(STOCK).items() if k != "name"} == UPSTREAM


def test_light_does_everything_less_often():
    for field in dataclasses.fields(Tuning):
        if field.name != "name":
            assert getattr(LIGHT, field.name) > getattr(STOCK, field.name), field.name


@pytest.mark.parametrize("t", [STOCK, LIGHT], ids=lambda t: t.name)
def test_a_live_service_misses_several_reports_before_it_counts_as_down(t):
    assert t.service_down_time >= 5 * t.report_interval
    assert t.agent_down_time >= 2.5 * t.agent_report_interval


def files_by_path(files) -> dict[str, str]:
    return {f.path: f.content for f in files}


@pytest.mark.parametrize("p", [KVM, TCG], ids=lambda p: p.name)
def test_the_config_files_render_the_sets_values(p):
    t = p.tuning
    for role in ("controller", "compute"):
        conf = ini(nova_text(p, role))["DEFAULT"]
        assert (conf["report_interval"], conf["service_down_time"]) == (
            str(t.report_interval), str(t.service_down_time))
    compute = ini(nova_text(p, "compute"))["DEFAULT"]
    assert compute["update_resources_interval"] == str(t.update_resources_interval)
    assert compute["heal_instance_info_cache_interval"] == str(t.heal_info_cache_interval)
    assert ini(octavia_text(p))["health_manager"]["health_check_interval"] == \
        str(t.octavia_health_check_interval)

    agents = files_by_path(neutron.agent_files(facts(p), SECRETS, ALL_IN_ONE))
    server = ini(agents["/etc/neutron/neutron.conf"])
    assert server["agent"]["report_interval"] == str(t.agent_report_interval)
    assert server["DEFAULT"]["agent_down_time"] == str(t.agent_down_time)
    assert ini(agents[neutron.OVS_AGENT])["agent"]["polling_interval"] == \
        str(t.ovs_polling_interval)

    volume = files_by_path(cinder.cinder_files(facts(p), SECRETS, ALL_IN_ONE))
    conf = ini(volume["/etc/cinder/cinder.conf"])["DEFAULT"]
    assert (conf["report_interval"], conf["service_down_time"], conf["periodic_interval"]) \
        == (str(t.report_interval), str(t.service_down_time), str(t.cinder_periodic_interval))


@pytest.mark.parametrize("p", [KVM, TCG], ids=lambda p: p.name)
def test_the_reason_comes_only_with_the_light_set(p):
    assert ("Light idle tuning on TCG nodes" in nova_text(p, "compute")) == p.is_tcg
    assert ("Light idle tuning on TCG nodes" in octavia_text(p)) == p.is_tcg


README_ROWS = {  # the setting column -> the stock and TCG columns
    "`[DEFAULT] report_interval`": ("report_interval", "{} s"),
    "`[DEFAULT] service_down_time`": ("service_down_time", "{} s"),
    "neutron `[agent] report_interval`": ("agent_report_interval", "{} s"),
    "neutron `[DEFAULT] agent_down_time`": ("agent_down_time", "{} s"),
    "`openvswitch_agent.ini [agent] polling_interval`": ("ovs_polling_interval", "{} s"),
    "`[DEFAULT] update_resources_interval`": ("update_resources_interval", "{} s"),
    "`[DEFAULT] heal_instance_info_cache_interval`": ("heal_info_cache_interval", "{} s"),
    "cinder `[DEFAULT] periodic_interval`": ("cinder_periodic_interval", "{} s"),
    "`[health_manager] health_check_interval`": ("octavia_health_check_interval", "{} s"),
}


def test_readme_table_says_what_the_code_does(repo_root):
    rows = {}
    for line in (repo_root / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[1] in README_ROWS:
            rows[cells[1]] = (cells[2], cells[3])
    want = {}
    for setting, (field, unit) in README_ROWS.items():
        stock, light = getattr(STOCK, field), getattr(LIGHT, field)
        stock_text = "0 (every 60 s)" if stock == 0 else unit.format(stock)
        want[setting] = (stock_text, unit.format(light))
    assert rows == want
