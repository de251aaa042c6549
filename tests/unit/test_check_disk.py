"""scripts/overlay/check-disk.sh against a real local HTTP server standing in for a web
server's /disks: it passes only when a disk other than the root disk has the volume's size,
and gives up after its bounded attempts."""

from __future__ import annotations

import os
import subprocess
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.fixtures import http

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "overlay" / "check-disk.sh"
GIB = 1024 ** 3


@pytest.fixture
def disks():
    """serve(list of /disks bodies, one per request, the last repeated) -> URL."""
    servers: list[ThreadingHTTPServer] = []

    def serve(bodies: list[str]) -> str:
        answers = list(bodies)
        server = http.serve(lambda: answers.pop(0) if len(answers) > 1 else answers[0])
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/disks"

    yield serve
    for s in servers:
        s.shutdown()
        s.server_close()


def _check(url: str, attempts: int = 3) -> subprocess.CompletedProcess:
    env = {**os.environ, "DISKS_URL": url, "SIZE_BYTES": str(GIB),
           "ATTEMPTS": str(attempts), "INTERVAL": "0"}
    env.pop("VIA_SSH_HOST", None)
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60)


def test_the_volume_is_found_besides_the_root_disk(disks):
    done = _check(disks([f"vda {GIB}\nvdb {GIB}\n"]))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"vdb {GIB}"


def test_a_root_disk_of_the_same_size_is_not_the_volume(disks):
    done = _check(disks([f"vda {GIB}\n"]))
    assert done.returncode != 0
    assert "after 3 attempts" in done.stderr


def test_a_disk_of_another_size_is_not_the_volume(disks):
    done = _check(disks([f"vda {GIB}\nvdb {2 * GIB}\n"]))
    assert done.returncode != 0


def test_it_waits_for_the_attachment(disks):
    done = _check(disks([f"vda {GIB}\n", f"vda {GIB}\n", f"vda {GIB}\nvdb {GIB}\n"]))
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("attempt ") == 2
