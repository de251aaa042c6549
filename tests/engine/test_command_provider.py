"""Our own pulumi-resource-command (toolchain/command-provider) under the real engine and
the unmodified pulumi_command SDK: remote commands against a throwaway sshd on loopback,
local commands, replacement on triggers, host key pinning, secrets in the state."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto

from tests.engine.throwaway import open_throwaway

pytestmark = pytest.mark.engine

TOOLCHAIN = Path(os.environ.get("OPENSTACK_LAB_HOME", Path.home() / ".openstack-lab")) / "toolchain"
PLUGIN = TOOLCHAIN / "plugins" / "pulumi-resource-command"
SSHD = Path("/usr/sbin/sshd")
PLUGIN_SOURCE = Path(__file__).resolve().parents[2] / "toolchain" / "command-provider"

if not PLUGIN.exists():
    pytest.skip(f"{PLUGIN} is not built (toolchain/command-provider; `make setup` builds it)",
                allow_module_level=True)


def keygen(path: Path) -> tuple[str, str]:
    """A fresh ed25519 key pair: (OpenSSH private key, authorized_keys line)."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(path)],
                   check=True)
    return path.read_text(), path.with_suffix(".pub").read_text().strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sshd(tmp_path_factory):
    """sshd on a random loopback port, its own host key, one authorized client key."""
    if not SSHD.exists() or shutil.which("ssh-keygen") is None:
        pytest.skip("needs /usr/sbin/sshd and ssh-keygen (openssh-server)")
    if os.geteuid() == 0 and not Path("/run/sshd").is_dir():
        # sshd running as root insists on its privilege separation directory, which the
        # openssh-server service would create; here no service ever ran.
        Path("/run/sshd").mkdir(mode=0o755)
    d = tmp_path_factory.mktemp("sshd")
    _, host_public = keygen(d / "host_key")
    client_private, client_public = keygen(d / "client_key")
    (d / "authorized_keys").write_text(client_public + "\n")
    port = free_port()
    (d / "sshd_config").write_text(f"""\
ListenAddress 127.0.0.1:{port}
HostKey {d / 'host_key'}
PidFile {d / 'sshd.pid'}
AuthorizedKeysFile {d / 'authorized_keys'}
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AcceptEnv LC_*
""")
    proc = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(d / "sshd_config")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                pytest.fail(f"sshd exited: {proc.stdout.read()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("sshd did not listen within 10 s")
                time.sleep(0.1)
        yield {"port": port, "host_key": host_public, "private_key": client_private,
               "user": os.environ.get("USER") or subprocess.check_output(["id", "-un"], text=True).strip()}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def connection(sshd: dict, host_key: str | None = None, per_dial_timeout: int = 5):
    from pulumi_command import remote

    return remote.ConnectionArgs(
        host="127.0.0.1", port=sshd["port"], user=sshd["user"],
        private_key=sshd["private_key"], host_key=host_key or sshd["host_key"],
        dial_error_limit=2, per_dial_timeout=per_dial_timeout,
    )


def log_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_remote_and_local_commands_through_the_engine(tmp_path, sshd):
    from pulumi_command import local, remote

    work = tmp_path / "work"
    work.mkdir()
    log = work / "remote.log"
    params = {"trigger": "one", "per_dial": 5}

    def program() -> None:
        cmd = remote.Command(
            "remote",
            connection=connection(sshd, per_dial_timeout=params["per_dial"]),
            create=f'echo create >> {log}; echo "hello $LC_LAB $REFUSED_BY_SSHD"',
            delete=f'echo "delete $PULUMI_COMMAND_STDOUT" >> {log}',
            environment={"LC_LAB": "via-setenv", "REFUSED_BY_SSHD": "via-export"},
            triggers=[params["trigger"]],
        )
        pulumi.export("remote_stdout", cmd.stdout)
        here = local.Command("local", create="echo local-$WORD; pwd", dir=str(work),
                             environment={"WORD": "ok"})
        pulumi.export("local_stdout", here.stdout)
        hidden = local.Command("hidden", create="echo $TOKEN", logging=local.Logging.NONE,
                               environment={"TOKEN": pulumi.Output.secret("s3cret")})
        pulumi.export("hidden_stdout", hidden.stdout)

    stack = open_throwaway(tmp_path, program)
    try:
        preview = stack.preview()
        assert preview.change_summary.get("create") == 4
        assert log_lines(log) == [], "a preview must run nothing"

        up = stack.up()
        assert up.outputs["remote_stdout"].value == "hello via-setenv via-export"
        assert not up.outputs["remote_stdout"].secret, "the secret connection alone does not hide stdout"
        assert up.outputs["local_stdout"].value == f"local-ok\n{work}"
        assert up.outputs["hidden_stdout"].value == "s3cret"
        assert up.outputs["hidden_stdout"].secret, "a secret input makes stdout secret"
        assert log_lines(log) == ["create"]

        again = stack.up()
        assert again.summary.resource_changes == {"same": 4}
        assert log_lines(log) == ["create"], "an unchanged command must not run again"

        params["per_dial"] = 7
        retuned = stack.up()
        assert retuned.summary.resource_changes == {"same": 3, "update": 1}
        assert log_lines(log) == ["create"], "a retuned dial alone must not run the command"
        assert retuned.outputs["remote_stdout"].value == "hello via-setenv via-export"

        params["trigger"] = "two"
        replaced = stack.up()
        assert replaced.summary.resource_changes == {"same": 3, "replace": 1}
        # create-before-delete, as upstream: the new command runs, then the old one's delete
        assert log_lines(log) == ["create", "create", "delete hello via-setenv via-export"]

        state = "\n".join(p.read_text() for p in (tmp_path / "state").rglob("*.json"))
        assert "remote" in state and "hello via-setenv" in state
        for line in sshd["private_key"].splitlines()[1:-1]:
            assert line not in state, "the private key is in the state in plaintext"
        assert "s3cret" not in state

        stack.destroy()
        assert log_lines(log)[-1] == "delete hello via-setenv via-export"
    finally:
        stack.workspace.remove_stack("throwaway", force=True)


def test_wrong_pinned_host_key_fails_clearly(tmp_path, sshd):
    from pulumi_command import remote

    _, other_host_key = keygen(tmp_path / "impostor")
    marker = tmp_path / "ran"

    def program() -> None:
        remote.Command("pinned", connection=connection(sshd, host_key=other_host_key),
                       create=f"touch {marker}")

    project = tmp_path / "project"
    project.mkdir()
    stack = open_throwaway(project, program)
    try:
        with pytest.raises(auto.CommandError) as failed:
            stack.up()
        assert "host key mismatch" in str(failed.value)
        assert not marker.exists()
    finally:
        stack.workspace.remove_stack("throwaway", force=True)


def test_the_providers_own_go_tests_pass():
    """toolchain/command-provider's unit tests (dial retries, jump host, the retuned-dial
    update) against its in-process SSH server."""
    go = shutil.which("go") or "/usr/local/go/bin/go"
    if not Path(go).exists():
        pytest.skip("no Go toolchain")
    done = subprocess.run([go, "test", "-count=1", "./..."], cwd=PLUGIN_SOURCE, capture_output=True,
                          text=True, timeout=900,
                          env={**os.environ, "GOFLAGS": "-mod=readonly", "GOTOOLCHAIN": "auto"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
