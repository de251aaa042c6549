"""Only interrupted creates of the lab's Commands are dropped; every other pending
operation stays for the engine (and a person) to see."""

from labctl.pending import split_interrupted_creates


def op(kind: str, type_: str, name: str) -> dict:
    return {"type": kind, "resource": {"type": type_, "urn": f"urn:pulumi:dev::p::{type_}::{name}"}}


def test_drops_interrupted_command_creates_only():
    step = op("creating", "command:remote:Command", "keystone-setup")
    local = op("creating", "command:local:Command", "ssh-files")
    domain = op("creating", "libvirt:index/domain:Domain", "controller")
    deleting = op("deleting", "command:remote:Command", "glance-setup")
    updating = op("updating", "command:remote:Command", "nova-setup")
    keep, drop = split_interrupted_creates(
        {"pending_operations": [step, domain, deleting, local, updating]})
    assert drop == [step, local]
    assert keep == [domain, deleting, updating]


def test_a_state_without_pending_operations():
    assert split_interrupted_creates({}) == ([], [])
    assert split_interrupted_creates({"pending_operations": None}) == ([], [])
