"""The guardrails of policy/, one violating and one compliant case (at least) per policy.

These call the pack's policies the way pulumi_policy's servicer does (inputs behind its
unknown-checking proxy, `validate(args, report_violation)`), without an engine. They are
the only tests for GCP and OpenStack resources: their provider plugins cannot be had
offline, so a real `pulumi preview` cannot register them (tests/engine/test_policy_engine.py
covers the command and libvirt resources with the real engine).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Secret
from pulumi_policy import policy as policy_module
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from components import config
from policy import guardrails as g
from tests.fixtures.keys import fake_private_key

FIREWALL = "gcp:compute/firewall:Firewall"
RULE = "openstack:networking/secGroupRule:SecGroupRule"
INSTANCE = "gcp:compute/instance:Instance"
COMMAND = "command:remote:Command"
SEED = "libvirt:index/cloudInitDisk:CloudInitDisk"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPinnedHostKeyForTests"


def violations(resource_type: str, props: dict) -> list[tuple[str, str]]:
    """(policy name, message) of every violation the pack reports for one resource."""
    found: list[tuple[str, str]] = []
    args = ResourceValidationArgs(resource_type, unknown_checking_proxy(props),
                                  f"urn:pulumi:t::p::{resource_type}::r", "r", None, None)
    for policy in g.POLICIES:
        policy.validate(args, lambda message, urn=None, name=policy.name:
                        found.append((name, message)))
    return found


def names(resource_type: str, props: dict) -> set[str]:
    return {name for name, _ in violations(resource_type, props)}


def test_every_policy_is_mandatory():
    assert len(g.POLICIES) == 4
    assert {p.enforcement_level for p in g.POLICIES} == {EnforcementLevel.MANDATORY}


def test_machine_families_match_the_settings_check():
    assert g.NESTED_VIRT_FAMILIES == config.NESTED_VIRT_FAMILIES


# --- no-admin-ports-from-anywhere: GCP firewalls -------------------------------------

def firewall(**kw) -> dict:
    return {"direction": "INGRESS", "sourceRanges": ["0.0.0.0/0"],
            "allows": [{"protocol": "tcp", "ports": ["22"]}], **kw}


OPEN_FIREWALLS = {
    "ssh-from-world": firewall(),
    "api-port-in-a-range": firewall(allows=[{"protocol": "tcp", "ports": ["8000-9000"]}]),
    "every-protocol-every-port": firewall(allows=[{"protocol": "all"}]),
    "tcp-without-ports": firewall(allows=[{"protocol": "tcp"}]),
    "ipv6-world": firewall(sourceRanges=["::/0"]),
    "no-source-defaults-to-world": {"allows": [{"protocol": "tcp", "ports": ["443"]}]},
    "world-among-others": firewall(sourceRanges=["198.51.100.0/24", "0.0.0.0/0"]),
}
CLOSED_FIREWALLS = {
    "operator-cidr-only": firewall(sourceRanges=["198.51.100.0/24"],
                                   allows=[{"protocol": "tcp", "ports": ["22", "443"]}]),
    "web-port-from-world": firewall(allows=[{"protocol": "tcp", "ports": ["80"]}]),
    "icmp-from-world": firewall(allows=[{"protocol": "icmp"}]),
    "udp-vxlan-from-world": firewall(allows=[{"protocol": "udp", "ports": ["4789"]}]),
    "egress": firewall(direction="EGRESS", destinationRanges=["0.0.0.0/0"]),
    "disabled": firewall(disabled=True),
    "by-source-tag": {"sourceTags": ["lab"], "allows": [{"protocol": "all"}]},
    "lab-internal-range": firewall(sourceRanges=["192.168.1.0/24"],
                                   allows=[{"protocol": "all"}]),
    "ranges-not-known-yet": firewall(sourceRanges=UNKNOWN_STRING_VALUE),
    "allows-not-known-yet": firewall(allows=UNKNOWN_STRING_VALUE),
    "ports-not-known-yet": firewall(allows=[{"protocol": "tcp", "ports": UNKNOWN_STRING_VALUE}]),
}


@pytest.mark.parametrize("props", OPEN_FIREWALLS.values(), ids=OPEN_FIREWALLS.keys())
def test_firewall_open_to_the_world_is_refused(props):
    assert names(FIREWALL, props) == {"no-admin-ports-from-anywhere"}


@pytest.mark.parametrize("props", CLOSED_FIREWALLS.values(), ids=CLOSED_FIREWALLS.keys())
def test_firewall_limited_to_known_sources_passes(props):
    assert violations(FIREWALL, props) == []


def test_violation_names_the_ports_and_the_way_out():
    [(_, message)] = violations(FIREWALL, firewall(
        allows=[{"protocol": "tcp", "ports": ["22", "9292"]}]))
    assert "22 (SSH)" in message and "9292 (Glance)" in message and "operatorCidr" in message


# --- no-admin-ports-from-anywhere: OpenStack security group rules --------------------

def rule(**kw) -> dict:
    return {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
            "portRangeMin": 22.0, "portRangeMax": 22.0, "remoteIpPrefix": "0.0.0.0/0", **kw}


OPEN_RULES = {
    "ssh-from-world": rule(),
    "keystone-from-world": rule(portRangeMin=5000.0, portRangeMax=5000.0),
    "all-ports": rule(portRangeMin=None, portRangeMax=None),
    "any-protocol": rule(protocol=None),
    "no-remote-at-all": {k: v for k, v in rule().items() if k != "remoteIpPrefix"},
    "ipv6-world": rule(ethertype="IPv6", remoteIpPrefix="::/0"),
}
CLOSED_RULES = {
    "http-from-world": rule(portRangeMin=80.0, portRangeMax=80.0),
    "icmp-from-world": rule(protocol="icmp", portRangeMin=None, portRangeMax=None),
    "ssh-from-the-external-network": rule(remoteIpPrefix="172.16.0.0/24"),
    "ssh-from-a-group": {k: v for k, v in rule(remoteGroupId="sg-1").items()
                         if k != "remoteIpPrefix"},
    "egress": rule(direction="egress"),
    "port-not-known-yet": rule(portRangeMin=UNKNOWN_STRING_VALUE),
}


@pytest.mark.parametrize("props", OPEN_RULES.values(), ids=OPEN_RULES.keys())
def test_security_group_rule_open_to_the_world_is_refused(props):
    assert names(RULE, props) == {"no-admin-ports-from-anywhere"}


@pytest.mark.parametrize("props", CLOSED_RULES.values(), ids=CLOSED_RULES.keys())
def test_security_group_rule_for_known_sources_or_web_passes(props):
    assert violations(RULE, props) == []


# --- gcp-nested-virtualization -------------------------------------------------------

def instance(**kw) -> dict:
    return {"machineType": "n2-standard-8", "minCpuPlatform": "Intel Cascade Lake",
            "advancedMachineFeatures": {"enableNestedVirtualization": True},
            "metadata": {"user-data": Secret("#cloud-config\n")}, **kw}


@pytest.mark.parametrize("props,problem", [
    (instance(advancedMachineFeatures=None), "enableNestedVirtualization"),
    (instance(advancedMachineFeatures={"enableNestedVirtualization": False}),
     "enableNestedVirtualization"),
    (instance(machineType="e2-standard-8"), "'e2-standard-8' cannot nest KVM"),
    (instance(machineType="n2d-standard-8"), "cannot nest KVM"),  # AMD: no nesting
    (instance(machineType="zones/us-central1-a/machineTypes/c3-standard-8"), "cannot nest"),
], ids=["features-missing", "nesting-off", "e2", "n2d", "c3-url"])
def test_instance_without_nested_virtualization_is_refused(props, problem):
    found = violations(INSTANCE, props)
    assert [name for name, _ in found] == ["gcp-nested-virtualization"]
    assert problem in found[0][1]


@pytest.mark.parametrize("machine_type", [
    "n1-standard-8", "n2-standard-8", "n2-highmem-4",
    "projects/p/zones/us-central1-a/machineTypes/n1-standard-4"])
def test_instance_with_nested_virtualization_passes(machine_type):
    assert violations(INSTANCE, instance(machineType=machine_type)) == []


# --- ssh-host-key-pinned -------------------------------------------------------------

def connection(**kw) -> dict:
    return {"host": "192.168.1.11", "user": "debian", "port": 22.0, "hostKey": KEY,
            "privateKey": Secret(fake_private_key()), **kw}


def command(conn: dict) -> dict:
    return {"create": "true", "connection": conn}


@pytest.mark.parametrize("props,path", [
    (command(connection(hostKey=None)), "connection.hostKey"),
    (command(connection(hostKey="")), "connection.hostKey"),
    (command(connection(proxy={"host": "203.0.113.10", "user": "debian"})),
     "connection.proxy.hostKey"),
    (command(connection(proxy={"host": "a", "hostKey": KEY,
                               "proxy": {"host": "b", "user": "debian"}})),
     "connection.proxy.proxy.hostKey"),
    # The pulumi_command SDK always sends the connection as one secret.
    (command(Secret(connection(hostKey=None))), "connection.hostKey"),
], ids=["absent", "empty", "proxy-unpinned", "second-hop-unpinned", "inside-secret"])
def test_remote_command_without_pinned_host_key_is_refused(props, path):
    found = violations(COMMAND, props)
    assert [name for name, _ in found] == ["ssh-host-key-pinned"]
    assert found[0][1].startswith(f"{path} is not set")


@pytest.mark.parametrize("resource_type", g.REMOTE_TYPES)
def test_remote_resources_with_pinned_keys_pass(resource_type):
    props = command(connection(proxy={"host": "203.0.113.10", "hostKey": KEY}))
    assert violations(resource_type, props) == []


def test_host_key_not_known_during_preview_counts_as_pinned():
    # The lab's host keys come from a key resource created in the same update.
    assert violations(COMMAND, command(connection(hostKey=UNKNOWN_STRING_VALUE))) == []


# --- secrets-stay-secret -------------------------------------------------------------

@pytest.mark.parametrize("resource_type,props,path", [
    (COMMAND, command(connection(privateKey=fake_private_key())),
     "connection.privateKey"),
    (COMMAND, command(connection(password="hunter2")), "connection.password"),
    (COMMAND, command(connection(proxy={"host": "j", "hostKey": KEY, "privateKey": "k"})),
     "connection.proxy.privateKey"),
    (COMMAND, command(connection(privateKey=UNKNOWN_STRING_VALUE)), "connection.privateKey"),
    ("command:remote:CopyToRemote", command(connection(privateKey="k")),
     "connection.privateKey"),
    (SEED, {"name": "seed.iso", "userData": "#cloud-config\n"}, "userData"),
    (INSTANCE, instance(metadata={"user-data": "#cloud-config\n"}), "metadata['user-data']"),
], ids=["private-key", "password", "proxy-key", "unknown-but-plain", "copy-to-remote",
        "cloud-init-seed", "gcp-user-data"])
def test_plain_secret_input_is_refused(resource_type, props, path):
    found = violations(resource_type, props)
    assert [name for name, _ in found] == ["secrets-stay-secret"]
    assert found[0][1].startswith(f"{path} is a plain input")


@pytest.mark.parametrize("resource_type,props", [
    (COMMAND, command(connection())),
    (COMMAND, command(Secret(connection(privateKey="sealed as a whole")))),
    (COMMAND, command(connection(privateKey=Secret(UNKNOWN_STRING_VALUE)))),
    (SEED, {"name": "seed.iso", "userData": Secret("#cloud-config\n")}),
    (INSTANCE, instance()),
    (INSTANCE, instance(metadata=Secret({"user-data": "#cloud-config\n"}))),
], ids=["secret-key", "secret-connection", "secret-unknown", "secret-seed", "secret-user-data",
        "secret-metadata"])
def test_secret_inputs_pass(resource_type, props):
    assert violations(resource_type, props) == []


# --- the wiring: secrets survive pulumi_policy's deserialization ---------------------

SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def analyze(resource_type: str, wire_props: dict) -> list[str]:
    """Run the pack's servicer on one AnalyzeRequest, as the engine's gRPC call would."""
    servicer = policy_module._PolicyAnalyzerServicer(
        "t", "0.0.1", g.POLICIES, EnforcementLevel.MANDATORY,
        None, None, None, None, None, None, None)
    properties = struct_pb2.Struct()
    json_format.ParseDict(wire_props, properties)
    response = servicer.Analyze(proto.AnalyzeRequest(
        type=resource_type, properties=properties, urn="urn:pulumi:t::p::x::r", name="r"),
        None)
    return [d.policyName for d in response.diagnostics]


def test_secret_markers_reach_the_policies(monkeypatch):
    monkeypatch.setattr(policy_module, "deserialize_properties",
                        policy_module.deserialize_properties)  # undone after the test
    plain = {"userData": "#cloud-config\n"}
    secret = {"userData": {**SECRET_SIG, "value": "#cloud-config\n"}}
    # Without the pack's fix pulumi_policy drops the marker: the secret looks plain.
    assert analyze(SEED, secret) == ["secrets-stay-secret"]
    g.install_secret_keeping()
    g.install_secret_keeping()  # idempotent: the pack may be imported twice
    assert analyze(SEED, secret) == []
    assert analyze(SEED, plain) == ["secrets-stay-secret"]
    nested = {"connection": {**SECRET_SIG, "value": {"host": "h", "hostKey": KEY,
                                                     "privateKey": "k"}}}
    assert analyze(COMMAND, nested) == []


def test_pack_launcher_is_strict_and_clean():
    launcher = Path(g.__file__).with_name("run-pack")
    text = launcher.read_text()
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
    assert os.access(launcher, os.X_OK)  # the CLI runs it as a binary analyzer plugin
    done = subprocess.run(["shellcheck", str(launcher)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
