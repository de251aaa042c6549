"""Our own pulumi-resource-command (toolchain/command-provider) under the real engine and
the unmodified pulumi_command SDK: remote commands against a throwaway sshd on loopback,
local commands. Each test asserts what upstream pulumi-command v1.2.1 does (its
provider/pkg/provider source; toolchain/command-provider/PARITY.md cites it row by row),
so a divergence of our provider fails here. Run against another binary, upstream's own
included, with COMMAND_PROVIDER_PLUGIN=/path/to/pulumi-resource-command."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto

from tests.engine.throwaway import open_throwaway
# SSHD and free_port too: test_faults and the metal e2e import them from here.
from tests.fixtures.sshd import SSHD, Sshd, free_port, keygen  # noqa: F401

pytestmark = pytest.mark.engine

TOOLCHAIN = Path(os.environ.get("OPENSTACK_LAB_HOME", Path.home() / ".openstack-lab")) / "toolchain"
# COMMAND_PROVIDER_PLUGIN=/path/to/pulumi-resource-command runs these tests against that
# binary (a fresh build of toolchain/command-provider, or upstream's own) instead of the
# installed one, in a private PULUMI_HOME: see toolchain/command-provider/PARITY.md.
OVERRIDE = os.environ.get("COMMAND_PROVIDER_PLUGIN")
PLUGIN = Path(OVERRIDE) if OVERRIDE else TOOLCHAIN / "plugins" / "pulumi-resource-command"
PLUGIN_SOURCE = Path(__file__).resolve().parents[2] / "toolchain" / "command-provider"

if not PLUGIN.exists():
    pytest.skip(f"{PLUGIN} is not built (toolchain/command-provider; `make setup` builds it)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def plugin_home(tmp_path_factory):
    if not OVERRIDE:
        return None
    home = tmp_path_factory.mktemp("pulumi-home")
    target = home / "plugins" / "resource-command-v1.2.1"
    target.mkdir(parents=True)
    shutil.copy2(PLUGIN, target / "pulumi-resource-command")
    return home


@pytest.fixture(autouse=True)
def _use_plugin(plugin_home, monkeypatch):
    if plugin_home is not None:
        monkeypatch.setenv("PULUMI_HOME", str(plugin_home))


@pytest.fixture
def sshd(tmp_path_factory):
    server = Sshd(tmp_path_factory.mktemp("sshd"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def connection(sshd: Sshd, host_key: str | None = "pinned", per_dial_timeout: int = 5,
               dial_error_limit: int = 2, proxy=None):
    from pulumi_command import remote

    return remote.ConnectionArgs(
        host="127.0.0.1", port=sshd.port, user=sshd.user, private_key=sshd.private_key,
        host_key=sshd.host_key if host_key == "pinned" else host_key,
        dial_error_limit=dial_error_limit, per_dial_timeout=per_dial_timeout, proxy=proxy,
    )


def log_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def throwaway(tmp_path):
    """open(program) -> a throwaway stack, removed at the end."""
    stacks = []

    def open_(program, name: str = "project"):
        project = tmp_path / name
        project.mkdir()
        stack = open_throwaway(project, program)
        stacks.append(stack)
        return stack

    yield open_
    for stack in stacks:
        stack.workspace.remove_stack("throwaway", force=True)


def test_lifecycle_preview_create_replace_destroy(tmp_path, sshd, throwaway):
    """create runs once, a preview or an unchanged program runs nothing, a changed trigger
    replaces (create-before-delete: the new create, then the old delete), destroy runs
    delete with the old inputs. Upstream: remote|local/commandController.go Create and
    Delete, common/inputs.go Triggers (replaceOnChanges), the SDK's
    replace_on_changes=["triggers[*]"]."""
    from pulumi_command import local, remote

    work = tmp_path / "work"
    work.mkdir()
    log = work / "commands.log"
    params = {"trigger": "one"}

    def program() -> None:
        cmd = remote.Command(
            "remote", connection=connection(sshd),
            create=f'echo "create $LC_LAB" >> {log}; echo "hello $LC_LAB"',
            # sshd refuses PULUMI_COMMAND_STDOUT (not in AcceptEnv): upstream warns, runs on
            delete=f'echo "delete ${{PULUMI_COMMAND_STDOUT-unset}}" >> {log}',
            environment={"LC_LAB": "via-setenv"}, triggers=[params["trigger"]])
        pulumi.export("remote_stdout", cmd.stdout)
        here = local.Command(
            "local",
            create=f'echo local-create >> {log}; echo "local-$WORD in $(basename "$PWD")"',
            delete=f'echo "local-delete $PULUMI_COMMAND_STDOUT $(cat)" >> {log}',
            dir=str(work), environment={"WORD": "ok"}, stdin="from-stdin",
            triggers=[params["trigger"]])
        pulumi.export("local_stdout", here.stdout)

    stack = throwaway(program)
    preview = stack.preview()
    assert preview.change_summary.get("create") == 3
    assert log_lines(log) == [], "a preview must run nothing"

    up = stack.up()
    assert up.outputs["remote_stdout"].value == "hello via-setenv"
    assert up.outputs["local_stdout"].value == "local-ok in work"
    assert sorted(log_lines(log)) == ["create via-setenv", "local-create"]

    again = stack.up()
    assert again.summary.resource_changes == {"same": 3}
    assert len(log_lines(log)) == 2, "an unchanged command must not run again"

    params["trigger"] = "two"  # the only change
    replaced = stack.up()
    assert replaced.summary.resource_changes == {"same": 1, "replace": 2}
    new = log_lines(log)[2:]
    assert sorted(new) == ["create via-setenv", "delete unset",
                           "local-create", "local-delete local-ok in work from-stdin"]
    assert new.index("create via-setenv") < new.index("delete unset")
    assert new.index("local-create") < new.index("local-delete local-ok in work from-stdin")

    stack.destroy()
    assert sorted(log_lines(log)[6:]) == ["delete unset",
                                          "local-delete local-ok in work from-stdin"]


def test_what_an_update_runs(tmp_path, sshd, throwaway):
    """Without `update`, any changed input but `triggers` is an update that runs `create`
    again (not a replacement): the command itself, stdin, environment, logging, and the
    connection alone, dial tuning included. ignore_changes on the tuning is what keeps a
    retune from running anything. Upstream: remote/commandController.go Update (update,
    else create), no Diff of its own (infer's default: every input change is an update)."""
    from pulumi_command import remote

    log = tmp_path / "runs.log"
    params = {"create": "one", "stdin": "in-1", "lc": "a", "logging": None, "per_dial": 5,
              "ignore": []}

    def program() -> None:
        cmd = remote.Command(
            "step", connection=connection(sshd, per_dial_timeout=params["per_dial"]),
            create=(f'echo "{params["create"]} $LC_STEP $(cat) '
                    f'${{PULUMI_COMMAND_STDOUT-unset}}" >> {log}; echo out'),
            stdin=params["stdin"], environment={"LC_STEP": params["lc"]},
            logging=params["logging"],
            opts=pulumi.ResourceOptions(ignore_changes=params["ignore"]))
        pulumi.export("stdout", cmd.stdout)

    stack = throwaway(program)

    def up_expecting(change: str | None) -> str:
        result = stack.up()
        want = {"same": 2} if change is None else {"same": 1, change: 1}
        assert result.summary.resource_changes == want, (params, result.stdout)
        return result.stdout

    assert stack.up().summary.resource_changes == {"create": 2}
    assert log_lines(log) == ["one a in-1 unset"]

    params["create"] = "two"
    out = up_expecting("update")
    # the previous stdout goes by Setenv, which this sshd refuses: a warning, and the run goes on
    assert log_lines(log)[-1] == "two a in-1 unset"
    assert "PULUMI_COMMAND_STDOUT" in out

    params["stdin"] = "in-2"
    up_expecting("update")
    assert log_lines(log)[-1] == "two a in-2 unset"

    params["lc"] = "b"
    up_expecting("update")
    assert log_lines(log)[-1] == "two b in-2 unset"

    params["logging"] = remote.Logging.STDERR
    up_expecting("update")
    assert len(log_lines(log)) == 5, "a changed logging mode runs create again"

    params["per_dial"] = 7
    up_expecting("update")
    assert len(log_lines(log)) == 6, "a retuned dial alone runs create again, as upstream"

    params["ignore"] = ["connection.perDialTimeout", "connection.dialErrorLimit"]
    params["per_dial"] = 9
    up_expecting(None)
    assert len(log_lines(log)) == 6, "ignore_changes keeps a retune from running anything"
    assert stack.outputs()["stdout"].value == "out"


def test_outputs_and_secrets(tmp_path, sshd, throwaway):
    """stdout and stderr are captured whatever `logging` says (it only picks what streams to
    the log) and are secret only through additionalSecretOutputs, never because an input
    is (upstream: infer's default secret flow, by field name); connection stays secret.
    Upstream: remote/commandOutputs.go and local/commandOutputs.go run, remote/command.go
    Connection provider:"secret", the SDK's additional_secret_outputs=["connection"]."""
    from pulumi_command import local, remote

    def program() -> None:
        token = pulumi.Output.secret("s3cret")
        quiet = local.Command("quiet", create="echo $TOKEN; echo err >&2",
                              logging=local.Logging.NONE, environment={"TOKEN": token})
        pulumi.export("quiet_stdout", quiet.stdout)
        pulumi.export("quiet_stderr", quiet.stderr)
        hidden = local.Command("hidden", create="echo $TOKEN", environment={"TOKEN": token},
                               opts=pulumi.ResourceOptions(additional_secret_outputs=["stdout"]))
        pulumi.export("hidden_stdout", hidden.stdout)
        far = remote.Command("far", connection=connection(sshd), create="cat; echo err >&2",
                             stdin=token, logging=remote.Logging.STDERR)
        pulumi.export("far_stdout", far.stdout)
        pulumi.export("far_stderr", far.stderr)

    stack = throwaway(program)
    up = stack.up()
    out = up.outputs
    assert (out["quiet_stdout"].value, out["quiet_stderr"].value) == ("s3cret", "err")
    assert not out["quiet_stdout"].secret, "a secret input alone does not make stdout secret"
    assert out["hidden_stdout"].value == "s3cret" and out["hidden_stdout"].secret
    assert (out["far_stdout"].value, out["far_stderr"].value) == ("s3cret", "err")
    assert not out["far_stdout"].secret, "nor does a secret stdin or the secret connection"

    state = "\n".join(p.read_text() for p in (tmp_path / "project" / "state").rglob("*.json"))
    for line in sshd.private_key.splitlines()[1:-1]:
        assert line not in state, "the private key is in the state in plaintext"
    assert '"stdin": "s3cret"' not in state, "a secret input stays secret in the state"


def test_dial_retries_and_jump_host(tmp_path_factory, throwaway):
    """A refused dial is retried (up to dialErrorLimit) until sshd listens; `proxy` dials
    the jump host first, then the target through it (direct-tcpip), each with its own
    pinned key; without a pin any host key is accepted. Upstream: remote/connection.go
    Dial, dialWithRetry, SSHConfig (InsecureIgnoreHostKey without hostKey)."""
    from pulumi_command import remote

    server = Sshd(tmp_path_factory.mktemp("late-sshd"))
    starter = threading.Timer(2.0, server.start)
    try:
        def program() -> None:
            direct = remote.Command("late", connection=connection(server, dial_error_limit=20),
                                    create="echo direct")
            pulumi.export("direct", direct.stdout)
            jump = remote.ProxyConnectionArgs(
                host="127.0.0.1", port=server.port, user=server.user,
                private_key=server.private_key, host_key=server.host_key)
            via = remote.Command("via-jump", connection=connection(server, proxy=jump),
                                 create="echo via-jump",
                                 opts=pulumi.ResourceOptions(depends_on=[direct]))
            pulumi.export("via", via.stdout)
            unpinned = remote.Command("unpinned", connection=connection(server, host_key=None),
                                      create="echo unpinned",
                                      opts=pulumi.ResourceOptions(depends_on=[direct]))
            pulumi.export("unpinned", unpinned.stdout)

        stack = throwaway(program)
        starter.start()
        up = stack.up()
        assert [up.outputs[k].value for k in ("direct", "via", "unpinned")] == \
            ["direct", "via-jump", "unpinned"]
        assert "direct-tcpip" in server.log.read_text(), "the target was not reached via the jump"
    finally:
        starter.cancel()
        starter.join()
        server.stop()


def test_environment_sshd_refuses_fails_the_run(tmp_path, sshd, throwaway):
    """A variable sshd does not AcceptEnv fails the command before it runs (upstream:
    remote/commandOutputs.go run, Setenv then logAndWrapSetenvErr): the documented way
    is `VAR=value command` in the command itself."""
    from pulumi_command import remote

    marker = tmp_path / "ran"

    def program() -> None:
        remote.Command("refused", connection=connection(sshd), create=f"touch {marker}",
                       environment={"NOT_ACCEPTED": "x"})

    stack = throwaway(program)
    with pytest.raises(auto.CommandError) as failed:
        stack.up()
    assert 'could not set environment variable "NOT_ACCEPTED"' in str(failed.value)
    assert not marker.exists()


def test_host_key_pinning(tmp_path, sshd, throwaway):
    """A pinned host key must match: a mismatch fails (after the dial retries) and runs
    nothing. Upstream: remote/connection.go SSHConfig (ssh.FixedHostKey). The failing
    tests come last: a failed inline `up` followed by another `up` in the same process
    later trips CPython 3.11.7's "AST constructor recursion depth mismatch" in pytest's
    assertion rewriting of a late import."""
    from pulumi_command import remote

    _, other_host_key = keygen(tmp_path / "impostor")
    marker = tmp_path / "ran"

    def pinned_wrong() -> None:
        remote.Command("pinned", connection=connection(sshd, host_key=other_host_key),
                       create=f"touch {marker}")

    stack = throwaway(pinned_wrong)
    with pytest.raises(auto.CommandError) as failed:
        stack.up()
    assert "host key mismatch" in str(failed.value)
    assert not marker.exists()


def test_the_providers_own_go_tests_pass():
    """toolchain/command-provider's unit tests (dial retries, jump host, Setenv, the
    retuned-dial update, secret flow) against its in-process SSH server."""
    go = shutil.which("go") or "/usr/local/go/bin/go"
    if not Path(go).exists():
        pytest.skip("no Go toolchain")
    done = subprocess.run([go, "test", "-count=1", "./..."], cwd=PLUGIN_SOURCE, capture_output=True,
                          text=True, timeout=900,
                          env={**os.environ, "GOFLAGS": "-mod=readonly", "GOTOOLCHAIN": "auto"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
