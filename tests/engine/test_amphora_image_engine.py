"""The real engine, not a mock, on the AmphoraImage move: a stack made with the amphora
image's build and copy as Octavia's own children (the layout before the component) and
then run with AmphoraImage (the same commands, now its children, aliased to Octavia)
keeps both commands: the preview and the up create only the component, and neither
command runs again. Stub scripts stand in for the recipe and the copy."""

from __future__ import annotations

import stat
from pathlib import Path

import pulumi
import pytest

from tests.engine.throwaway import open_throwaway

pytestmark = pytest.mark.engine

IMAGE = "/images/debian-13-amphora-0123456789ab.qcow2"


def stub_scripts(project: Path, log: Path) -> None:
    for name, out in (("build-amphora-image.sh", IMAGE), ("copy-to-node.sh", "copied")):
        script = project / "scripts" / "image" / name
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(f"#!/bin/sh\necho {name} >> {log}\necho {out}\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)


def program(layout: str):
    def run() -> None:
        import pulumi_command as command

        from components.openstack import amphora_image as a
        from components.openstack.step import InstallNode
        from components.readiness import SshTarget

        octavia = pulumi.ComponentResource("openstacklab:openstack:Octavia", "openstack-octavia")
        ready = command.local.Command("ready", create="true")
        target = SshTarget(host="10.0.2.11", user="debian", private_key="key",
                           host_key="ssh-ed25519 AAAAhost root@controller")
        node = InstallNode("controller", ("controller",), target, "disk-1", ready)
        if layout == "component":
            a.AmphoraImage("openstack-octavia-amphora", a.AmphoraImageArgs(node),
                           pulumi.ResourceOptions(parent=octavia))
            return
        # As components/openstack/octavia.py made them before AmphoraImage.
        child = pulumi.ResourceOptions(parent=octavia)
        build = command.local.Command(
            "openstack-octavia-amphora-build", create=a.RECIPE.command(),
            triggers=[a.RECIPE.digest()], logging="stderr", opts=child)
        path = build.stdout.apply(str.strip)
        command.local.Command(
            "openstack-octavia-amphora-copy",
            create=path.apply(lambda p: f"scripts/image/copy-to-node.sh '{p}' "
                              f"'debian@10.0.2.11' '{a.remote_image_path(p)}' "
                              "'10.0.2.11 ssh-ed25519 AAAAhost'"),
            stdin=pulumi.Output.secret("key"), logging="stderr", triggers=["disk-1"],
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                depends_on=[ready], additional_secret_outputs=["stdout", "stderr"])))

    return run


def test_moving_the_commands_into_the_component_keeps_them(tmp_path):
    log = tmp_path / "ran.log"
    project = tmp_path / "project"
    project.mkdir()
    stub_scripts(project, log)
    stack = open_throwaway(project, program("octavia"))
    try:
        first = stack.up()
        assert first.summary.resource_changes == {"create": 5}
        assert log.read_text().splitlines() == ["build-amphora-image.sh", "copy-to-node.sh"]

        stack.workspace.program = program("component")
        preview = stack.preview()
        assert preview.change_summary == {"same": 5, "create": 1}, preview.change_summary
        moved = stack.up()
        assert moved.summary.resource_changes == {"same": 5, "create": 1}
        assert len(log.read_text().splitlines()) == 2, "a moved command ran again"
        assert stack.up().summary.resource_changes == {"same": 6}
        stack.destroy()
    finally:
        stack.workspace.remove_stack("throwaway", force=True)
