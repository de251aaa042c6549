"""The amphora image's pure parts: its recipe keys its cache apart from the node image's,
the node path keeps the build key, and the copy's command line pins the node's host key."""

from __future__ import annotations

import os
import subprocess

import pytest

from components.openstack import amphora_image as a


def print_path(script: str, home, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(a.RECIPE.path.parent / script), "--print-path"],
                          capture_output=True, text=True,
                          env={**os.environ, "OPENSTACK_LAB_HOME": str(home), **env})


def test_amphora_image_has_its_own_cache_key(tmp_path):
    node = print_path("build-node-image.sh", tmp_path)
    amphora = print_path(a.RECIPE.entry, tmp_path)
    assert amphora.returncode == 1, amphora.stderr  # not built in this home
    path = amphora.stdout.strip()
    assert path.startswith(f"{tmp_path}/images/debian-13-amphora-") and path.endswith(".qcow2")
    assert node.stdout.strip().startswith(f"{tmp_path}/images/debian-13-node-")
    # Same inputs, same key; a different size, another image.
    assert print_path(a.RECIPE.entry, tmp_path).stdout.strip() == path
    bigger = print_path(a.RECIPE.entry, tmp_path, AMPHORA_IMAGE_SIZE="3G")
    assert bigger.stdout.strip() != path
    # The node recipe's OpenStack preinstall never reaches the amphora.
    assert print_path(a.RECIPE.entry, tmp_path,
                      NODE_IMAGE_PREINSTALL="nova-api").stdout.strip() == path


def test_recipe_digest_covers_the_node_recipe_it_reuses():
    assert set(a.RECIPE.sources) >= {"build-node-image.sh", "customize-node.sh",
                                     "build-amphora-image.sh", "customize-amphora.sh"}
    assert len(a.RECIPE.digest()) == 16


def test_remote_image_path_keeps_the_build_key():
    local = "/root/.openstack-lab/images/debian-13-amphora-0123456789ab.qcow2\n"
    assert a.remote_image_path(local) == \
        f"{a.REMOTE_IMAGE_DIR}/debian-13-amphora-0123456789ab.qcow2"


NODE = a.Hop("debian", "10.0.2.11", 22, "ssh-ed25519 AAAAnode root@controller\n")


def test_the_copy_pins_the_node_key_without_its_comment():
    assert NODE.known_hosts_line == "10.0.2.11 ssh-ed25519 AAAAnode"
    assert a.copy_command("/img/x.qcow2", "/var/tmp/x.qcow2", NODE) == (
        "scripts/image/copy-to-node.sh '/img/x.qcow2' 'debian@10.0.2.11' '/var/tmp/x.qcow2' "
        "'10.0.2.11 ssh-ed25519 AAAAnode'")


def test_the_copy_through_a_jump_host_pins_its_key_at_its_port():
    metal = a.Hop("lab", "lab.example.org", 2222, "ssh-ed25519 AAAAmetal")
    command = a.copy_command("/img/x.qcow2", "/var/tmp/x.qcow2", NODE, metal)
    assert command.endswith(" 'lab@[lab.example.org]:2222' '[lab.example.org]:2222 "
                            "ssh-ed25519 AAAAmetal'")
    gcp = a.Hop("debian", "203.0.113.10", 22, "ssh-ed25519 AAAAnet root@network")
    assert a.copy_command("/i", "/r", NODE, gcp).endswith(
        " 'debian@203.0.113.10' '203.0.113.10 ssh-ed25519 AAAAnet'")


@pytest.mark.parametrize("field, hop", [
    ("node", a.Hop("debian", "10.0.2.11", 22, "ssh-ed25519 AAAA'x")),
    ("jump host", a.Hop("lab", "host\nProxyCommand evil", 22, "ssh-ed25519 AAAA")),
])
def test_the_copy_refuses_what_would_leave_its_quotes(field, hop):
    node, jump = (hop, None) if field == "node" else (NODE, hop)
    with pytest.raises(ValueError, match=f"amphora image copy: {field}"):
        a.copy_command("/i", "/r", node, jump)


def test_the_keys_on_stdin_are_the_nodes_then_the_jump_hosts():
    assert a.keys_on_stdin("NODE KEY\n") == "NODE KEY\n"  # as it is: the local lab's stdin
    assert a.keys_on_stdin("NODE KEY", "JUMP KEY\n") == "NODE KEY\nJUMP KEY\n"
    assert a.keys_on_stdin("NODE KEY\n", "JUMP KEY\n") == "NODE KEY\nJUMP KEY\n"


# --- the units' start timeout inside the amphora --------------------------------------------

def test_the_unit_start_timeout_keys_the_image_apart(tmp_path):
    stock = print_path(a.RECIPE.entry, tmp_path).stdout.strip()
    patient = print_path(a.RECIPE.entry, tmp_path, AMPHORA_UNIT_START="900").stdout.strip()
    assert patient != stock
    assert print_path(a.RECIPE.entry, tmp_path, AMPHORA_UNIT_START="").stdout.strip() == stock


def test_only_a_drop_in_reaches_the_build_and_its_trigger():
    node = object()
    assert a.AmphoraImageArgs(node).build_environment() is None  # type: ignore[arg-type]
    assert a.AmphoraImageArgs(node).build_triggers() is None  # type: ignore[arg-type]
    args = a.AmphoraImageArgs(node, unit_start=900)  # type: ignore[arg-type]
    assert args.build_environment() == {"AMPHORA_UNIT_START": "900"}
    assert args.build_triggers() == [a.RECIPE.digest(), "AMPHORA_UNIT_START=900"]


def run_hooks(root, *functions: str, **env: str) -> subprocess.CompletedProcess:
    """customize-amphora.sh's named functions alone, on `root` (the whole hook chroots)."""
    script = (a.RECIPE.path.parent / "customize-amphora.sh").read_text()
    bodies = []
    for fn in functions:
        start = script.index(f"\n{fn}() {{\n")
        bodies.append(script[start:script.index("\n}\n", start) + 3])
    lib = a.RECIPE.path.parent.parent / "lib.sh"
    program = "\n".join(["set -euo pipefail", f"source '{lib}'", f"ROOT='{root}'", *bodies,
                         *functions])
    return subprocess.run(["bash", "-c", program], capture_output=True, text=True,
                          env={**os.environ, **env})


def test_the_amphora_gets_the_start_timeout_it_is_given(tmp_path):
    done = run_hooks(tmp_path, "configure_unit_start", AMPHORA_UNIT_START="900")
    assert done.returncode == 0, done.stderr
    conf = tmp_path / "etc/systemd/system.conf.d/openstack-lab-patience.conf"
    assert conf.read_text() == "[Manager]\nDefaultTimeoutStartSec=900\n"


def test_without_a_timeout_the_amphora_keeps_systemds(tmp_path):
    done = run_hooks(tmp_path, "configure_unit_start")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "etc/systemd/system.conf.d").exists()


@pytest.mark.parametrize("value", ["15min", "0", "9 0", "-1"])
def test_a_timeout_that_is_not_seconds_is_refused(tmp_path, value):
    done = run_hooks(tmp_path, "configure_unit_start", AMPHORA_UNIT_START=value)
    assert done.returncode != 0 and "AMPHORA_UNIT_START" in done.stderr
    assert not (tmp_path / "etc/systemd/system.conf.d").exists()


def test_debians_netns_unit_may_fail_without_failing(tmp_path):
    done = run_hooks(tmp_path, "configure_netns_unit")
    assert done.returncode == 0, done.stderr
    drop_in = tmp_path / "etc/systemd/system/octavia-agent-netns.service.d/openstack-lab.conf"
    # the package's ExecStart is reset, then the same script with systemd's "-" prefix
    assert drop_in.read_text().splitlines() == [
        "[Service]", "ExecStart=", "ExecStart=-/usr/sbin/octavia-agent-netns-start"]


TEMPLATE = "usr/lib/python3/dist-packages/octavia/amphorae/backends/agent/api_server/templates/systemd.conf.j2"
OVERRIDE = "etc/sysctl.d/zz-openstack-lab-haproxy-nofile.conf"


def amphora_root(root, *, limit: str | None, nr_open: str | None):
    """The two files of octavia-agent 16.0.0 that decide haproxy's fd limit, as packaged."""
    if limit is not None:
        (root / TEMPLATE).parent.mkdir(parents=True)
        (root / TEMPLATE).write_text(f"[Service]\nKillMode=mixed\nRestart=always\nLimitNOFILE={limit}\n")
    (root / "etc/sysctl.d").mkdir(parents=True)
    if nr_open is not None:
        (root / "etc/sysctl.d/octavia-agent-sysctl.conf").write_text(
            f"fs.file-max={nr_open}\nfs.nr_open={nr_open}\n")


def test_haproxys_fd_limit_fits_under_nr_open(tmp_path):
    amphora_root(tmp_path, limit="2600000", nr_open="2097152")  # Debian 13's pair
    done = run_hooks(tmp_path, "configure_nofile")
    assert done.returncode == 0, done.stderr
    settings = dict(line.split(" = ") for line in (tmp_path / OVERRIDE).read_text().splitlines()
                    if not line.startswith("#"))
    assert settings == {"fs.nr_open": "2600000", "fs.file-max": "2600000"}
    # systemd-sysctl applies files by name, the last one wins: ours after the package's
    assert sorted([OVERRIDE.rsplit("/", 1)[1], "octavia-agent-sysctl.conf"])[-1].startswith("zz-")


def test_a_package_that_already_allows_the_limit_is_left_alone(tmp_path):
    amphora_root(tmp_path, limit="2097152", nr_open="2097152")
    done = run_hooks(tmp_path, "configure_nofile")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / OVERRIDE).exists()


def test_without_the_packages_sysctl_the_limit_is_still_set(tmp_path):
    amphora_root(tmp_path, limit="2600000", nr_open=None)
    assert run_hooks(tmp_path, "configure_nofile").returncode == 0
    assert "fs.nr_open = 2600000" in (tmp_path / OVERRIDE).read_text()


@pytest.mark.parametrize("limit", [None, "infinity"])
def test_a_template_without_a_numeric_limit_stops_the_build(tmp_path, limit):
    amphora_root(tmp_path, limit=limit, nr_open="2097152")
    done = run_hooks(tmp_path, "configure_nofile")
    assert done.returncode != 0 and "template" in done.stderr
    assert not (tmp_path / OVERRIDE).exists()
