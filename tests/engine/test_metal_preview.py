"""A new metal stack previews under the real engine against a throwaway sshd on loopback
(standing for the metal host) without touching it: no command runs there, libvirt is not
dialled, and the provider's key files are not written. The libvirt provider connects as
soon as it is configured; before its URI waited for ssh-files, this preview failed on the
missing known_hosts file."""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from components.paths import ssh_dir
from labctl.workspace import run_program
from tests.engine.test_command_provider import (  # noqa: F401 (fixtures)
    _use_plugin, log_lines, plugin_home, sshd, throwaway)

pytestmark = pytest.mark.engine


def test_a_new_metal_stack_previews_without_touching_the_host(tmp_path, monkeypatch, sshd,
                                                               throwaway):
    monkeypatch.setenv("OPENSTACK_LAB_HOME", str(tmp_path / "lab-home"))
    stack = throwaway(run_program)
    config = {"underlay": "metal", "install": "none", "metalHost": "127.0.0.1",
              "metalUser": sshd.user, "metalPort": str(sshd.port),
              "metalHostKey": sshd.host_key}
    stack.set_all_config({f"openstack-lab:{k}": auto.ConfigValue(v) for k, v in config.items()})
    stack.set_config("openstack-lab:metalPrivateKey",
                     auto.ConfigValue(sshd.private_key, secret=True))
    before = len(log_lines(sshd.log))

    preview = stack.preview()

    assert set(preview.change_summary) == {"create"}
    assert "pulumi:providers:libvirt" in preview.stdout
    seen = log_lines(sshd.log)[before:]
    assert not [line for line in seen if "Starting session" in line], "a command ran"
    assert not [line for line in seen if "server_request_direct" in line], "libvirt was dialled"
    assert not (ssh_dir("throwaway") / "metal-host").exists()
