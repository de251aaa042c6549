"""The policy pack under the real engine: `pulumi preview --policy-pack policy/run-pack`
on a throwaway stack, offline, with programs that register offending and compliant
resources of the providers this machine has (command, libvirt).

GCP and OpenStack resources cannot be registered here (their plugins cannot be had
offline, so the preview would fail before any policy ran); their policies are tested in
tests/unit/test_policy.py and against the lab's own GCP graph in tests/graph/.
"""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.engine.test_toolchain import manifest
from tests.engine.throwaway import offline_env
from tests.fixtures.keys import fake_private_key

pytestmark = pytest.mark.engine

REPO_ROOT = Path(__file__).resolve().parents[2]
PACK = REPO_ROOT / "policy" / "run-pack"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPinnedHostKeyForPolicyTests"

HEADER = f'''
import pulumi
import pulumi_libvirt as libvirt
from pulumi_command import remote

KEY = "{KEY}"
PRIVATE = pulumi.Output.secret({fake_private_key()!r})
# libvirt's built-in test driver: previews a CloudInitDisk without a libvirtd.
lv = pulumi.ResourceOptions(provider=libvirt.Provider("lv", uri="test:///default"))


def conn(**kw):
    return remote.ConnectionArgs(host="192.0.2.1", user="debian", private_key=PRIVATE, **kw)
'''

COMPLIANT = '''
remote.Command("good-pinned", create="true", connection=conn(
    host_key=KEY, proxy=remote.ProxyConnectionArgs(host="192.0.2.2", host_key=KEY)))
libvirt.CloudInitDisk("good-secret-seed", user_data=pulumi.Output.secret("#cloud-config\\n"),
                      opts=lv)


class RawCommand(pulumi.CustomResource):
    """Bypasses the SDK, which would wrap the connection in a secret itself."""

    def __init__(self, name, props):
        super().__init__("command:remote:Command", name, props)


# Plain private key on the wire: the provider's Check returns the connection as a secret
# (toolchain/command-provider: `provider:"secret"`), so the engine, the state and the
# analyzer never see it plain. Were that to change, secrets-stay-secret would fire here.
RawCommand("sealed-by-provider", {"create": "true", "connection": {
    "host": "192.0.2.1", "user": "debian", "hostKey": KEY, "privateKey": "PLAIN",
    "port": 22, "dialErrorLimit": 10, "perDialTimeout": 15}})
'''

OFFENDING = '''
remote.Command("bad-no-host-key", create="true", connection=conn())
remote.Command("bad-proxy-unpinned", create="true", connection=conn(
    host_key=KEY, proxy=remote.ProxyConnectionArgs(host="192.0.2.2")))
libvirt.CloudInitDisk("bad-plain-seed", user_data="#cloud-config\\n", opts=lv)
'''

VIOLATION = re.compile(r"\[mandatory\]\s+(\S+)\s+\((\S+): ([^)]+)\)")


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """Runs `pulumi preview` with the pack on a throwaway stack for a given program."""
    missing = manifest()["unavailable"]
    for piece in ("language-python", "command", "libvirt"):
        if piece in missing:
            pytest.skip(f"{piece} could not be built here: {missing[piece]}")
    tmp = tmp_path_factory.mktemp("policy")
    (tmp / "Pulumi.yaml").write_text("name: policy-check\nruntime: python\n")
    env = {**os.environ, **offline_env(tmp)}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["pulumi", *args, "--non-interactive"], cwd=tmp, env=env,
                              capture_output=True, text=True, timeout=300)

    done = cli("stack", "init", "policy")
    assert done.returncode == 0, done.stderr

    def run(program: str) -> tuple[int, str, set[tuple[str, str]]]:
        (tmp / "__main__.py").write_text(textwrap.dedent(HEADER) + textwrap.dedent(program))
        done = cli("preview", "--policy-pack", str(PACK))
        out = done.stdout + done.stderr
        assert "Loading policy packs...: done" in out, out  # the pack itself started
        return done.returncode, out, {(p, name) for p, _t, name in VIOLATION.findall(out)}

    return run


def test_compliant_program_previews_cleanly(preview):
    rc, out, found = preview(COMPLIANT)
    assert found == set(), out
    assert rc == 0, out
    assert "openstack-lab-guardrails@v0.1.0" in out  # ran, and reported no violation


def test_each_offending_resource_is_refused_by_its_policy(preview):
    rc, out, found = preview(COMPLIANT + OFFENDING)
    assert rc != 0, "a mandatory violation must fail the preview"
    assert found == {
        ("ssh-host-key-pinned", "bad-no-host-key"),
        ("ssh-host-key-pinned", "bad-proxy-unpinned"),
        ("secrets-stay-secret", "bad-plain-seed"),
    }, out
    assert "connection.proxy.hostKey is not set" in out
