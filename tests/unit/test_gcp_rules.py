"""GCP's rules on what the GCP underlay creates, refused before any resource: names built
from the stack, the minimum CPU platform for nested virtualization. (The rules on the
settings' own keys, one NIC per vCPU and an MTU of at most 1460, are in
tests/unit/test_strict_settings.py.)"""

from __future__ import annotations

import pytest

from components import gcp_rules
from components.config import NESTED_VIRT_FAMILIES, ConfigError, Settings
from components.gcp_rules import GcpNames, check_gcp_names, min_cpu_platform

GCP = {"underlay": "gcp", "profile": "standard", "gcpProject": "lab-project",
       "operatorCidr": "203.0.113.0/24"}
# The longest name: "osl-" + stack + "-management-internal" (a firewall) <= 63.
LONGEST_STACK = 63 - len("osl-") - len("-management-internal")


def settings(**extra: str) -> Settings:
    return Settings.from_mapping({**GCP, **extra})


def test_names_cover_every_vpc_firewall_node_and_disk():
    names = GcpNames("osl-dev").all(settings().nodes)
    assert "osl-dev-management-internal" in names and "osl-dev-storage-lvm" in names
    assert {"osl-dev-controller", "osl-dev-network", "osl-dev-public"} <= set(names)


@pytest.mark.parametrize("stack", ["dev", "lab-2", "a" * LONGEST_STACK, "e2e"])
def test_stack_names_that_make_valid_gcp_names_pass(stack):
    check_gcp_names(stack, settings())
    check_gcp_names(stack, settings(computeCount="64"))


@pytest.mark.parametrize("stack,problem", [
    ("a" * (LONGEST_STACK + 1), f"at most {LONGEST_STACK} lowercase"),  # > 63 characters
    ("Dev", "lowercase RFC 1035"),
    ("my_lab", "lowercase RFC 1035"),
    ("lab.1", "lowercase RFC 1035"),
])
def test_stack_names_gcp_would_refuse_are_refused_naming_the_underlay(stack, problem):
    with pytest.raises(ConfigError, match=problem) as err:
        check_gcp_names(stack, settings())
    assert err.value.key == "underlay"
    assert repr(stack) in str(err.value)


@pytest.mark.parametrize("machine_type,platform", [
    ("n1-standard-8", "Intel Haswell"), ("n2-standard-8", "Intel Cascade Lake")])
def test_min_cpu_platform_is_haswell_or_newer(machine_type, platform):
    assert min_cpu_platform(machine_type) == platform
    older = gcp_rules.INTEL_PLATFORMS[:gcp_rules.INTEL_PLATFORMS.index("Intel Haswell")]
    assert platform in gcp_rules.INTEL_PLATFORMS and platform not in older


def test_every_nested_virt_family_has_a_platform():
    assert set(gcp_rules.MIN_CPU_PLATFORM) == set(NESTED_VIRT_FAMILIES)


def test_a_platform_older_than_haswell_is_refused(monkeypatch):
    monkeypatch.setitem(gcp_rules.MIN_CPU_PLATFORM, "n1", "Intel Ivy Bridge")
    with pytest.raises(ConfigError, match="Intel Haswell or newer") as err:
        min_cpu_platform("n1-standard-8")
    assert err.value.key == "gcpMachineType"


def test_a_family_without_a_platform_is_refused():
    with pytest.raises(ConfigError, match="nested virtualization needs") as err:
        min_cpu_platform("e2-standard-8")
    assert err.value.key == "gcpMachineType"
