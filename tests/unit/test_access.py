"""The operator's SSH files after `up`: private key 0600, config and known_hosts beside it."""

import stat

from components.render import render
from labctl.access import (horizon_admin_login, horizon_tenant_login, remove_cloud_files,
                           remove_ssh_files, where_to_ssh, write_ssh_files,
                           write_tenant_files)


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


def test_horizon_lines_name_each_user_and_where_its_password_is(tmp_path):
    url = "https://10.0.2.11/"
    assert horizon_admin_login(url, tmp_path / "dev") == (
        f"Horizon:          {url}  (user admin, password: grep OS_PASSWORD "
        f"{tmp_path}/dev/openrc)")
    # The overlay's own clouds.yaml output (components/overlay/__init__.py).
    clouds = render("overlay/clouds.yaml.j2", stack="dev-overlay", project="demo",
                    user="demo", password="s3cret", auth_url="https://10.0.2.11:5000/v3",
                    region="RegionOne", cloud_name="openstack-lab-dev-overlay",
                    cacert="/x/ca.pem")
    tenant = tmp_path / "dev-overlay"
    line = horizon_tenant_login(url, tenant, clouds)
    assert line == (f"Horizon (tenant): {url}  (user demo, project demo, password: "
                    f"grep password {tenant}/clouds.yaml)")
    assert "s3cret" not in line
    assert horizon_tenant_login(None, tenant, clouds).startswith(
        "Horizon (tenant): the underlay's Horizon URL  (user demo")
