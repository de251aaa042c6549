"""scripts/image/copy-to-node.sh for real, against two throwaway sshds on loopback: one a
lab node, one the jump host in front of it (metal's host, gcp's network node). Each sshd
has its own host key and accepts only its own client key, so a copy that arrives proves
the script used the right key for each hop and pinned both host keys; the jump host's
log shows the forwarding. The nodes' Debian sshd serves SFTP, which scp speaks: so do
these."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from components.openstack.amphora_image import COPY_SCRIPT, Hop, copy_command
from tests.conftest import REPO_ROOT
from tests.fixtures.sshd import Sshd, keygen

SFTP = Path("/usr/lib/openssh/sftp-server")


def serve(d: Path) -> Sshd:
    server = Sshd(d)
    if not SFTP.exists():
        pytest.skip(f"needs {SFTP} (openssh-sftp-server)")
    with (d / "sshd_config").open("a") as config:
        config.write(f"Subsystem sftp {SFTP}\n")
    server.start()
    return server


@pytest.fixture
def hosts(tmp_path_factory):
    """(node, jump): two sshds."""
    started = []
    try:
        for name in ("node", "jump"):
            started.append(serve(tmp_path_factory.mktemp(name)))
        yield tuple(started)
    finally:
        for server in started:
            server.stop()


def hop(server: Sshd, host_key: str | None = None) -> Hop:
    return Hop(server.user, "127.0.0.1", server.port, host_key or server.host_key)


def copy(local: Path, remote: Path, node: Hop, jump: Hop | None,
         stdin: str) -> subprocess.CompletedProcess:
    """The script run as the program runs it: its command line, through a shell."""
    command = copy_command(str(local), str(remote), node, jump)
    assert command.startswith(COPY_SCRIPT)
    return subprocess.run(["bash", "-c", command], input=stdin, capture_output=True,
                          text=True, timeout=120, cwd=REPO_ROOT)


def forwarded(jump: Sshd) -> int:
    return jump.log.read_text().count("direct-tcpip")


@pytest.fixture
def image(tmp_path) -> Path:
    path = tmp_path / "debian-13-amphora-0123456789ab.qcow2"
    path.write_bytes(hashlib.sha256(b"amphora").digest() * 40000)  # 1.25 MiB
    return path


def test_the_copy_goes_through_the_jump_host_with_both_keys_pinned(hosts, image, tmp_path):
    node, jump = hosts
    remote = tmp_path / "on-node" / "amphora" / image.name
    keys = node.private_key + jump.private_key
    done = copy(image, remote, hop(node), hop(jump), keys)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{remote}\n"
    assert remote.read_bytes() == image.read_bytes()
    assert not remote.with_name(remote.name + ".part").exists()
    assert forwarded(jump) >= 1, "the node was not reached through the jump host"
    assert f"through {jump.user}@[127.0.0.1]:{jump.port}" in done.stderr

    # Again: the node has the file, nothing is copied.
    before = remote.stat().st_mtime_ns
    again = copy(image, remote, hop(node), hop(jump), keys)
    assert again.returncode == 0, again.stderr
    assert "already on" in again.stderr and remote.stat().st_mtime_ns == before


def test_a_jump_host_with_another_key_is_refused(hosts, image, tmp_path):
    node, jump = hosts
    _, impostor = keygen(tmp_path / "impostor")
    remote = tmp_path / "on-node" / image.name
    done = copy(image, remote, hop(node), hop(jump, host_key=impostor),
                node.private_key + jump.private_key)
    assert done.returncode != 0
    assert "Host key verification failed" in done.stderr
    assert not remote.parent.exists()


def test_the_jump_hosts_key_must_follow_the_nodes(hosts, image, tmp_path):
    node, jump = hosts
    done = copy(image, tmp_path / "x" / image.name, hop(node), hop(jump), node.private_key)
    assert done.returncode != 0
    assert "no private key for the jump host" in done.stderr
    # The node's key alone does not open the jump host (each sshd has its own client key).
    swapped = copy(image, tmp_path / "y" / image.name, hop(node), hop(jump),
                   jump.private_key + node.private_key)
    assert swapped.returncode != 0 and not (tmp_path / "y").exists()


def test_without_a_jump_host_the_copy_goes_straight_to_the_node(hosts, image, tmp_path):
    node, jump = hosts
    remote = tmp_path / "direct" / image.name
    done = copy(image, remote, hop(node), None, node.private_key)
    assert done.returncode == 0, done.stderr
    assert remote.read_bytes() == image.read_bytes()
    assert forwarded(jump) == 0
