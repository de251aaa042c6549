"""scripts/overlay/check-lb.sh against real local HTTP servers: it passes only on a round
robin over every backend, and gives up after its bounded attempts."""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.fixtures import http

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "overlay" / "check-lb.sh"


def _check(server: ThreadingHTTPServer, attempts: int = 2) -> subprocess.CompletedProcess:
    env = {**os.environ, "VIP_URL": f"http://127.0.0.1:{server.server_address[1]}/",
           "BACKENDS": "web-1 web-2", "ATTEMPTS": str(attempts), "INTERVAL": "0"}
    env.pop("VIA_SSH_HOST", None)
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60)


@pytest.fixture
def server():
    made: list[ThreadingHTTPServer] = []

    def start(answers: Iterator[str]) -> ThreadingHTTPServer:
        made.append(http.serve(lambda: next(answers) + "\n"))
        return made[-1]

    yield start
    for s in made:
        s.shutdown()
        s.server_close()


def test_round_robin_passes(server):
    done = _check(server(itertools.cycle(["web-1", "web-2"])))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("round robin: web-1 web-2 web-1 web-2")


def test_one_backend_only_fails_after_the_attempts(server):
    done = _check(server(itertools.repeat("web-1")), attempts=3)
    assert done.returncode != 0
    assert "did not answer round robin" in done.stderr
    assert done.stderr.count("attempt ") == 3


def test_a_backend_answering_twice_in_a_row_is_not_round_robin(server):
    done = _check(server(itertools.cycle(["web-1", "web-1", "web-2", "web-2"])), attempts=1)
    assert done.returncode != 0


def test_it_waits_for_the_second_backend(server):
    # The first run sees only web-1 (the other backend still booting), the second is fine.
    answers = itertools.chain(["web-1"] * 4, itertools.cycle(["web-1", "web-2"]))
    done = _check(server(answers), attempts=3)
    assert done.returncode == 0, done.stderr
    assert "attempt 1/3" in done.stderr
