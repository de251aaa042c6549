"""The operator's SSH files after `up`: private key 0600, config and known_hosts beside it."""

import stat

from labctl.access import (remove_cloud_files, remove_ssh_files, where_to_ssh,
                           write_ssh_files, write_tenant_files)


class Out:
    def __init__(self, value):
        self.value = value


def test_writes_private_key_0600_and_removes_everything(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENSTACK_LAB_HOME", str(tmp_path))
    outputs = {"ssh": Out({"private_key": "KEY", "known_hosts": "controller ssh-ed25519 A\n",
                           "config": "Host controller\n"}),
               "nodes": Out([{"name": "controller"}, {"name": "compute-1"}])}
    directory = write_ssh_files("dev", outputs)
    assert directory == tmp_path / "ssh" / "dev"
    key = directory / "id_ed25519"
    assert key.read_text() == "KEY"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (directory / "config").read_text() == "Host controller\n"
    message = where_to_ssh(directory, outputs)
    assert f"ssh -F {directory}/config controller" in message and "compute-1" in message
    remove_ssh_files("dev")
    assert not directory.exists()


def test_stacks_without_ssh_write_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENSTACK_LAB_HOME", str(tmp_path))
    assert write_ssh_files("dev-overlay", {}) is None
    assert not (tmp_path / "ssh").exists()


def test_overlay_tenant_files_are_private_and_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENSTACK_LAB_HOME", str(tmp_path))
    assert write_tenant_files("dev", {"ssh": Out({})}) is None  # an underlay: no tenant
    directory = write_tenant_files("dev-overlay", {
        "tenant_clouds_yaml": Out("clouds: {}\n"), "ssh_private_key": Out("KEY")})
    assert directory == tmp_path / "cloud" / "dev-overlay"
    for name in ("clouds.yaml", "id_ed25519"):
        assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600
    remove_cloud_files("dev-overlay")
    assert not directory.exists()
