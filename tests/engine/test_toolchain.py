"""The toolchain is real: the built CLI, its plugins, and the engine running offline.

These run the actual `pulumi` binary from `make setup` against a file backend in a
temporary directory; nothing here is mocked.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import pinned
from tests.engine.throwaway import offline_env, open_throwaway

pytestmark = pytest.mark.engine

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLCHAIN = Path(os.environ.get("OPENSTACK_LAB_HOME", Path.home() / ".openstack-lab")) / "toolchain"


def plugin_pins() -> list[tuple[str, str]]:
    rows = (REPO_ROOT / "toolchain" / "plugins.tsv").read_text().splitlines()
    return [tuple(r.split("\t")[:2]) for r in rows if r and not r.startswith("#")]


def manifest() -> dict:
    path = TOOLCHAIN / "manifest.json"
    if (TOOLCHAIN / "mode").read_text().strip() != "built":
        pytest.skip("pulumi comes from PATH (system mode); the built-toolchain manifest does not apply")
    return json.loads(path.read_text())


def pulumi(*args: str) -> str:
    done = subprocess.run(["pulumi", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_cli_is_the_pinned_version():
    assert pulumi("version").strip() == f"v{pinned('pulumi')}"


def test_plugin_pins_match_the_pinned_sdks():
    sdk = {"command": "pulumi-command", "libvirt": "pulumi-libvirt", "openstack": "pulumi-openstack"}
    for name, version in plugin_pins():
        assert version == pinned(sdk[name]), name


@pytest.mark.parametrize("name,version", plugin_pins())
def test_engine_finds_plugin_at_pinned_version(name, version):
    missing = manifest()["unavailable"]
    if name in missing:
        pytest.skip(f"plugin {name} could not be built here: {missing[name]}")
    listed = json.loads(pulumi("plugin", "ls", "--json"))
    assert {"name": name, "kind": "resource", "version": version} in [
        {k: p[k] for k in ("name", "kind", "version")} for p in listed
    ]


def test_second_setup_builds_nothing():
    done = subprocess.run([str(REPO_ROOT / "scripts/setup/toolchain.sh")], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "building" not in done.stderr, done.stderr


def source_digest(own: str) -> str:
    """The digest toolchain.sh stamps on an own-built plugin: tracked files, byte order."""
    here = REPO_ROOT / own
    listed = subprocess.run(["git", "ls-files", "-z", "."], cwd=here, capture_output=True,
                            check=True).stdout.split(b"\0")
    lines = b"".join(hashlib.sha256((here / name.decode()).read_bytes()).hexdigest().encode()
                     + b"  " + name + b"\n" for name in sorted(n for n in listed if n))
    return hashlib.sha256(lines).hexdigest()[:16]


def own_plugins() -> dict[str, str]:
    plugins = TOOLCHAIN / "plugins"
    return {p.name[1:-len(".source")]: p.read_text().strip()[len("own: "):]
            for p in plugins.glob(".*.source") if p.read_text().startswith("own: ")}


def test_own_plugins_are_stamped_with_their_source():
    manifest()
    own = own_plugins()
    if not own:
        pytest.skip("every plugin here was built from its upstream module")
    for name, directory in own.items():
        stamp = TOOLCHAIN / "plugins" / f".{name}.digest"
        assert stamp.read_text().strip() == source_digest(directory), name


def test_setup_rebuilds_an_own_plugin_whose_source_changed():
    """A stale digest stands for an edited provider: setup must build it again."""
    manifest()
    own = own_plugins()
    if "command" not in own:
        pytest.skip("the command plugin here is upstream's")
    stamp = TOOLCHAIN / "plugins" / ".command.digest"
    stamp.write_text("0000000000000000\n")
    done = subprocess.run([str(REPO_ROOT / "scripts/setup/toolchain.sh")], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "building plugin command" in done.stderr, done.stderr
    assert "building plugin libvirt" not in done.stderr, done.stderr
    assert stamp.read_text().strip() == source_digest(own["command"])
    installed = next((TOOLCHAIN.parent / "pulumi-home" / "plugins").glob("resource-command-v*/pulumi-resource-command"))
    assert filecmp.cmp(installed, TOOLCHAIN / "plugins" / "pulumi-resource-command", shallow=False), \
        "the engine still runs its earlier copy of the rebuilt plugin"


def test_cli_runs_this_kind_of_project_by_hand(tmp_path):
    """`pulumi preview/up/destroy` in a project directory, through the language host."""
    if "language-python" in manifest()["unavailable"]:
        pytest.skip(manifest()["unavailable"]["language-python"])
    (tmp_path / "Pulumi.yaml").write_text("name: cli-check\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "from tests.engine.stamp import stamp_program\nstamp_program()\n")
    env = {**os.environ, **offline_env(tmp_path)}

    def cli(*args: str) -> str:
        done = subprocess.run(["pulumi", *args, "--non-interactive"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    cli("stack", "init", "by-hand")
    assert "+ 2 to create" in cli("preview")
    cli("up", "--yes", "--skip-preview")
    cli("up", "--yes", "--expect-no-changes")
    assert "hello from the real engine" in cli("stack", "output", "stamp")
    cli("destroy", "--yes")
    cli("stack", "rm", "--yes", "by-hand")


def test_engine_preview_up_noop_destroy_offline(tmp_path):
    """A dynamic-provider resource through the real engine: create, no-op, destroy."""
    from tests.engine.stamp import stamp_program

    stack = open_throwaway(tmp_path, stamp_program)
    try:
        preview = stack.preview()
        assert preview.change_summary.get("create") == 2  # the stack and one Stamp

        up = stack.up()
        assert up.summary.result == "succeeded"
        assert up.outputs["stamp"].value == "hello from the real engine"

        again = stack.up()
        assert again.summary.resource_changes == {"same": 2}

        stack.destroy()
        remaining = json.loads(json.dumps(stack.export_stack().deployment))
        assert [r["type"] for r in remaining.get("resources") or []] == []
    finally:
        stack.workspace.remove_stack("throwaway", force=True)


def test_engine_command_local_offline(tmp_path):
    """The issue's canonical check: a command.local.Command up and destroyed offline."""
    missing = manifest()["unavailable"]
    if "command" in missing:
        pytest.skip(f"plugin command could not be built here: {missing['command']}")
    from tests.engine.stamp import command_program

    stack = open_throwaway(tmp_path, command_program)
    try:
        up = stack.up()
        assert up.outputs["stdout"].value == "hello"
        assert stack.up().summary.resource_changes == {"same": 2}
        stack.destroy()
    finally:
        stack.workspace.remove_stack("throwaway", force=True)
