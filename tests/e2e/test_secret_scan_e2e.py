"""Secret scan of the running dev lab and its overlay (`make up` first): no generated
password or private key in the state files, the stack outputs, the files `make up` wrote
(outside their 0600 files), or the nodes' step logs, step scripts and journal; and the
scan does find a secret planted where it must not be."""

from __future__ import annotations

import os

import pytest

from components.paths import ssh_dir
from labctl import secret_scan
from labctl.workspace import open_stack

pytestmark = pytest.mark.e2e

STACKS = ("dev", "dev-overlay")


@pytest.fixture(scope="module")
def stacks():
    if not (ssh_dir("dev") / "config").exists():
        pytest.skip("the dev lab is not up: run `make up` first")
    for stack in STACKS:
        open_stack(stack)  # selects it, so `pulumi stack export --stack` finds it
    return [s for s in STACKS if secret_scan.secrets_of(secret_scan.export(s, True))]


def test_nothing_leaks(stacks):
    assert "dev" in stacks
    hits = secret_scan.scan(stacks)
    assert hits == [], "\n".join(map(str, hits))


def test_a_planted_secret_is_found(stacks, tmp_path):
    secret = secret_scan.secrets_of(secret_scan.export("dev", True))[0]
    planted = ssh_dir("dev") / "planted-by-test"
    planted.write_text(f"oops {secret}\n")
    os.chmod(planted, 0o644)
    try:
        hits = secret_scan.scan(["dev"])
    finally:
        planted.unlink()
    assert [h.where for h in hits] == [str(planted)]
