"""The project's key material through the real engine: generated once, stable across
runs, secret in outputs and encrypted in the state file."""

from __future__ import annotations

import pulumi
import pytest
from cryptography.hazmat.primitives import serialization

from tests.engine.throwaway import open_throwaway

pytestmark = pytest.mark.engine


def keys_program() -> None:
    from components.keys import GeneratedSecret, LabKeys

    keys = LabKeys("lab", ["controller", "compute-1"])
    pulumi.export("operator_private", keys.operator.private_key)
    pulumi.export("operator_public", keys.operator.public_key)
    pulumi.export("host_public", keys.host_keys["controller"].public_key)
    pulumi.export("db_password", GeneratedSecret("db-password").value)


def test_keys_are_stable_secret_and_encrypted_at_rest(tmp_path):
    stack = open_throwaway(tmp_path, keys_program)
    try:
        first = stack.up().outputs
        assert first["operator_private"].secret and first["db_password"].secret
        serialization.load_ssh_private_key(first["operator_private"].value.encode(), None)
        assert first["host_public"].value.endswith(" root@controller")
        assert not first["operator_public"].secret

        again = stack.up()
        # the stack, the LabKeys component, three key pairs and the password: nothing changes
        assert again.summary.resource_changes == {"same": 6}
        assert again.outputs["operator_private"].value == first["operator_private"].value
        assert again.outputs["db_password"].value == first["db_password"].value

        state = "\n".join(p.read_text() for p in (tmp_path / "state").rglob("*.json"))
        assert state, "the file backend wrote no state"
        assert first["operator_private"].value.splitlines()[1] not in state
        assert first["db_password"].value not in state
        stack.destroy()
    finally:
        stack.workspace.remove_stack("throwaway", force=True)
