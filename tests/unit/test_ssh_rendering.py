"""What reaches the operator's SSH files and the metal host's command lines is one line
and one word per value: the renderers refuse control characters (the settings refuse them
first), and the metal commands single-quote every argument."""

from __future__ import annotations

import shlex

import pytest

from components.config import Metal
from components.render import render
from components.ssh_access import JumpHost, NodeEntry, known_hosts, ssh_config
from components.underlay_libvirt import metal_known_hosts_line, metal_uri, ssh_files_commands
from tests.fixtures.keys import HOST_KEY

JUMP = JumpHost("lab-jump", "203.0.113.10", 22, "debian", HOST_KEY)
NODES = [NodeEntry("controller", "10.0.2.11")]
NEWLINE = "\n  ProxyCommand sh -c id"


def metal(**kw) -> Metal:
    return Metal(**{"host": "lab.example.org", "user": "lab", "port": 22,
                    "host_key": HOST_KEY, "private_key": "(not used)", **kw})


def test_ssh_config_renders_plain_values():
    text = ssh_config("dev", "debian", NODES, JUMP, "/home/op/.openstack-lab/ssh/dev")
    assert "Host lab-jump\n  HostName 203.0.113.10\n" in text
    assert "Host controller\n  HostName 10.0.2.11\n" in text
    assert "ProxyJump lab-jump" in text


@pytest.mark.parametrize("args,field", [
    (("dev", "debian", [NodeEntry("controller", "10.0.2.11" + NEWLINE)], None, "/d"),
     "ssh_config: host of node controller"),
    (("dev", "debian", [NodeEntry("controller\n", "10.0.2.11")], None, "/d"),
     "ssh_config: node name"),
    (("dev", "debian", NODES, JumpHost("lab-jump", "203.0.113.10" + NEWLINE, 22, "debian",
                                       HOST_KEY), "/d"), "ssh_config: jump host host"),
    (("dev", "debian", NODES, JumpHost("lab-jump", "203.0.113.10", 22, "debian\t", HOST_KEY),
      "/d"), "ssh_config: jump host user"),
    (("dev", "debian" + NEWLINE, NODES, None, "/d"), "ssh_config: user"),
    (("dev\n", "debian", NODES, None, "/d"), "ssh_config: stack"),
    (("dev", "debian", NODES, None, "/d\x00"), "ssh_config: directory"),
])
def test_ssh_config_refuses_control_characters(args, field):
    with pytest.raises(ValueError, match=f"^{field}: control character"):
        ssh_config(*args)


def test_known_hosts_pins_one_key_a_line():
    text = known_hosts({"controller": HOST_KEY}, JumpHost("j", "192.0.2.10", 2222, "u",
                                                          HOST_KEY))
    assert text == f"[192.0.2.10]:2222 {HOST_KEY}\ncontroller {HOST_KEY}\n"


@pytest.mark.parametrize("keys,jump,field", [
    ({"controller": HOST_KEY + "\nevil " + HOST_KEY}, None, "known_hosts: host key of node"),
    ({"controller\n": HOST_KEY}, None, "known_hosts: node name"),
    ({"controller": HOST_KEY}, JumpHost("j", "192.0.2.10\n", 22, "u", HOST_KEY),
     "known_hosts: jump host host"),
    ({"controller": HOST_KEY}, JumpHost("j", "192.0.2.10", 22, "u", HOST_KEY + "\r"),
     "known_hosts: jump host host_key"),
])
def test_known_hosts_refuses_control_characters(keys, jump, field):
    with pytest.raises(ValueError, match=f"^{field}"):
        known_hosts(keys, jump)


def test_metal_ssh_files_commands_keep_each_argument_one_word():
    key_dir = "/home/o p/$(touch owned)/`id`/metal-host"
    line = metal_known_hosts_line(metal(port=2222))
    create, delete = ssh_files_commands(key_dir, line)
    assert shlex.split(create) == ["scripts/metal/ssh-files.sh", key_dir, line]
    assert shlex.split(delete) == ["scripts/metal/ssh-files.sh", "--remove", key_dir]
    assert '"' not in create  # single quotes: nothing inside them expands


def test_metal_known_hosts_line_brackets_a_non_default_port():
    assert metal_known_hosts_line(metal()) == f"lab.example.org {HOST_KEY}"
    assert metal_known_hosts_line(metal(port=2222)) == f"[lab.example.org]:2222 {HOST_KEY}"


def test_metal_known_hosts_line_refuses_a_newline():
    with pytest.raises(ValueError, match="^metal known_hosts line: control character"):
        metal_known_hosts_line(metal(host_key=HOST_KEY + "\nevil " + HOST_KEY))


def test_metal_uri_brackets_an_ipv6_host():
    assert metal_uri(metal(host="2001:db8::10"), "/k").startswith(
        "qemu+ssh://lab@[2001:db8::10]:22/system?")
    assert metal_uri(metal(), "/k").startswith("qemu+ssh://lab@lab.example.org:22/system?")


def test_metal_prepare_script_single_quotes_the_user():
    assert 'as_root usermod -aG "$group" lab; fi\n' in render("metal/prepare.sh.j2", user="lab")
    odd = render("metal/prepare.sh.j2", user="a$(id)'b")
    assert """usermod -aG "$group" 'a$(id)'"'"'b'""" in odd
