"""The overlay's StackReference by bare stack name (Pulumi.dev-overlay.yaml says
`underlayStack: dev`) under the real engine and a file backend: it resolves to the stack
of the same project, secrets stay secret, and a missing stack fails by name."""

from __future__ import annotations

import pulumi
import pytest
from pulumi import automation as auto

from labctl.workspace import pulumi_command
from tests.engine.throwaway import make_project, offline_env

pytestmark = pytest.mark.engine


def _stack(tmp_path, env, name, program) -> auto.Stack:
    opts = auto.LocalWorkspaceOptions(work_dir=str(make_project(tmp_path)),
                                      pulumi_command=pulumi_command(), env_vars=env)
    return auto.create_or_select_stack(name, project_name="toolchain-check", program=program,
                                       opts=opts)


def test_bare_stack_name_resolves_in_the_same_project(tmp_path):
    env = offline_env(tmp_path)

    def underlay():
        pulumi.export("openstack", {"region": "RegionOne",
                                    "admin": pulumi.Output.secret({"password": "s3cret"})})

    def overlay():
        ref = pulumi.StackReference("under", stack_name="under")
        pulumi.export("region", ref.get_output("openstack").apply(lambda o: o["region"]))
        pulumi.export("password", ref.get_output("openstack").apply(
            lambda o: o["admin"]["password"]))

    _stack(tmp_path, env, "under", underlay).up()
    out = _stack(tmp_path, env, "over", overlay).up().outputs
    assert out["region"].value == "RegionOne"
    assert out["password"].value == "s3cret" and out["password"].secret


def test_a_missing_underlay_stack_fails_by_name(tmp_path):
    env = offline_env(tmp_path)

    def overlay():
        pulumi.StackReference("nowhere", stack_name="nowhere")

    with pytest.raises(auto.CommandError, match="nowhere"):
        _stack(tmp_path, env, "over", overlay).up()
