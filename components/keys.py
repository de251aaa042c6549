"""Key material that stays the same across `pulumi up` runs.

A dynamic provider generates each key or password once, on create, and Pulumi keeps it
as a secret in state; later runs see no diff. (pulumi-random and pulumi-tls would need
more plugins; this needs none beyond the Python SDK.)

Creates: `SshKeyPair` (Ed25519; operator key and per-node host keys) and `GeneratedSecret`
(service passwords, passphrases). `LabKeys` groups the ones the underlay needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider

from components import crypto

# Changing one of these makes a new key; anything else leaves the existing key alone.
_KEY_INPUTS = ("comment",)
_SECRET_INPUTS = ("length",)


def _replace_on(inputs: Sequence[str], olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
    changed = [k for k in inputs if olds.get(k) != news.get(k)]
    return DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=True)


class _SshKeyPairProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        private, public = crypto.ssh_keypair(props["comment"])
        return CreateResult(
            id_=crypto.fingerprint(public),
            outs={"comment": props["comment"], "private_key": private, "public_key": public},
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return _replace_on(_KEY_INPUTS, olds, news)


class _GeneratedSecretProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_="generated",
                            outs={"length": props["length"],
                                  "value": crypto.password(int(props["length"]))})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return _replace_on(_SECRET_INPUTS, olds, news)


class SshKeyPair(Resource):
    """An Ed25519 SSH key pair, generated once; `private_key` is a secret."""

    comment: pulumi.Output[str]
    private_key: pulumi.Output[str]
    public_key: pulumi.Output[str]

    def __init__(self, name: str, comment: str,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            _SshKeyPairProvider(), name,
            {"comment": comment, "private_key": None, "public_key": None},
            pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=["private_key"])),
        )


class GeneratedSecret(Resource):
    """A random password of letters and digits, generated once; `value` is a secret."""

    value: pulumi.Output[str]

    def __init__(self, name: str, length: int = 32,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            _GeneratedSecretProvider(), name, {"length": length, "value": None},
            pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=["value"])),
        )


class LabKeys(pulumi.ComponentResource):
    """The operator's SSH key and one SSH host key per node (pinned in every connection)."""

    operator: SshKeyPair
    host_keys: dict[str, SshKeyPair]

    def __init__(self, name: str, nodes: Sequence[str],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:underlay:LabKeys", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.operator = SshKeyPair(f"{name}-operator", comment=f"{name}-operator", opts=child)
        self.host_keys = {
            node: SshKeyPair(f"{name}-host-{node}", comment=f"root@{node}", opts=child)
            for node in nodes
        }
        self.register_outputs({
            "operator_public_key": self.operator.public_key,
            "host_public_keys": {n: k.public_key for n, k in self.host_keys.items()},
        })
