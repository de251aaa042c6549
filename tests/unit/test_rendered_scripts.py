"""Every script the program renders for a node or host passes shellcheck."""

import ipaddress
import shutil
import subprocess

import pytest

from components import network_plan
from components.readiness import ready_script
from components.render import render
from components.topology import ProfileSizes, layout

CIDRS = {k: ipaddress.ip_network(v) for k, v in {
    "public": "10.0.2.0/24", "management": "192.168.1.0/24",
    "underlay": "192.168.2.0/24", "external": "172.16.0.0/24"}.items()}
NODES = layout("standard", 2, ProfileSizes.for_profile("standard"))


def shellcheck(tmp_path, text: str) -> None:
    path = tmp_path / "script.sh"
    path.write_text(text)
    done = subprocess.run(["shellcheck", "-s", "bash", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("node", NODES, ids=lambda n: n.name)
def test_ready_script(tmp_path, node):
    nics = network_plan.nics(node, CIDRS, 1500, 1)
    text = ready_script(node.name, nics)
    assert "set -euo pipefail" in text
    for nic in nics:
        assert nic.network in text
    shellcheck(tmp_path, text)


def fake_node(tmp_path, hostname: str, address: str, address_after: int | None):
    """PATH stubs for cloud-init, hostname and ip: `ip` shows no address until it has been
    asked `address_after` times (None: never), as while networkd still applies netplan."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stubs = {
        "cloud-init": 'echo "status: done"',
        "hostname": f'echo {hostname}',
        "ip": f"""n=$(cat "{tmp_path}/asked" 2>/dev/null || echo 0); n=$((n + 1))
echo "$n" > "{tmp_path}/asked"
case "$*" in
  *"addr show"*)
    if [ "{address_after or 0}" -gt 0 ] && [ "$n" -ge "{address_after or 0}" ]; then
      echo "2: enp1s0    inet {address} scope global enp1s0"
    else
      echo "1: lo    inet 127.0.0.1/8 scope host lo"
    fi ;;
esac""",
    }
    for name, body in stubs.items():
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin"}


def one_address_nic() -> tuple:
    node = NODES[0]
    nic = next(n for n in network_plan.nics(node, CIDRS, 1500, 1) if n.network == "public")
    return node, (nic,)


def test_ready_waits_for_an_address_that_appears_late(tmp_path):
    node, nics = one_address_nic()
    script = tmp_path / "ready.sh"
    script.write_text(ready_script(node.name, nics, network_timeout=30))
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True,
                          env=fake_node(tmp_path, node.name, str(nics[0].address), address_after=3))
    assert done.returncode == 0, done.stderr
    assert f"waiting: no NIC carries {nics[0].address}" in done.stderr
    assert f"public: {nics[0].address}" in done.stdout
    assert int((tmp_path / "asked").read_text()) == 3


def test_ready_fails_naming_the_address_it_waited_for(tmp_path):
    node, nics = one_address_nic()
    script = tmp_path / "ready.sh"
    script.write_text(ready_script(node.name, nics, network_timeout=3))
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True,
                          env=fake_node(tmp_path, node.name, str(nics[0].address), address_after=None))
    assert done.returncode == 1
    assert f"not ready: no NIC carries {nics[0].address} (public) after 3 s" in done.stderr


def test_metal_prepare_script(tmp_path):
    text = render("metal/prepare.sh.j2", user="lab")
    assert "set -euo pipefail" in text and "accel-facts" in text
    shellcheck(tmp_path, text)


def prepare_host(tmp_path, uid: int, with_sudo: bool):
    """The rendered prepare script on a PATH of stubs only: `id` says `uid`, every command
    that would change the host (tee, usermod, systemctl, virsh, apt-get) just records its
    arguments, and sudo (where present) records `-n` and runs the rest."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    for tool in ("grep", "cat"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    record = f'echo "${{0##*/}} $*" >> {calls}'
    stubs = {
        "id": f'[ "$1" = -u ] && echo {uid} || echo {"root" if uid == 0 else "lab"}',
        "dpkg-query": 'printf "install ok installed"',
        "getent": 'echo "$2:x:100:"',
        "tee": f"{record}; cat > /dev/null",
        **{name: record for name in ("usermod", "systemctl", "virsh", "apt-get")},
    }
    if with_sudo:
        stubs["sudo"] = f'{record}; [ "$1" = -n ] && shift; exec "$@"'
    for name, body in stubs.items():
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_dir / name).chmod(0o755)
    script = tmp_path / "prepare.sh"
    script.write_text(render("metal/prepare.sh.j2", user="lab" if uid else "root"))
    done = subprocess.run([shutil.which("bash"), str(script)], capture_output=True, text=True,
                          env={"PATH": str(bin_dir)}, timeout=60)
    return done, calls.read_text().splitlines() if calls.exists() else []


def test_metal_prepare_as_root_needs_no_sudo(tmp_path):
    """A host reached as root (this one has no sudo binary) is prepared by root itself."""
    done, calls = prepare_host(tmp_path, uid=0, with_sudo=False)
    assert done.returncode == 0, done.stderr
    assert "accel-facts kvm_device=" in done.stdout
    assert "virsh -c qemu:///system version" in calls
    assert "tee -a /var/log/openstack-lab-prepare.log" in calls
    assert not any(c.startswith(("sudo", "usermod")) for c in calls), calls


def test_metal_prepare_as_another_user_runs_root_commands_through_sudo(tmp_path):
    done, calls = prepare_host(tmp_path, uid=1000, with_sudo=True)
    assert done.returncode == 0, done.stderr
    assert "sudo -n usermod -aG libvirt lab" in calls and "usermod -aG kvm lab" in calls
    assert "sudo -n virsh -c qemu:///system version" in calls


def test_metal_prepare_without_root_or_sudo_fails_saying_so(tmp_path):
    done, calls = prepare_host(tmp_path, uid=1000, with_sudo=False)
    assert done.returncode == 1
    assert "the metal user lab is not root and this host has no sudo" in done.stderr
    assert "metalUser: root" in done.stderr
    assert calls == []
