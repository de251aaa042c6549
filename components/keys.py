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

from components import certs, crypto

# Changing one of these makes a new key; anything else leaves the existing key alone.
_KEY_INPUTS = ("comment",)
_SECRET_INPUTS = ("length",)
_CA_INPUTS = ("common_name", "passphrase")
_ISSUED_INPUTS = ("ca_cert", "common_name", "sans", "usage")


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


class _CertificateAuthorityProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        cert, key = certs.certificate_authority(props["common_name"], props.get("passphrase"))
        return CreateResult(id_=props["common_name"], outs={**props, "cert_pem": cert,
                                                           "key_pem": key})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return _replace_on(_CA_INPUTS, olds, news)


class _IssuedCertificateProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        cert, key = certs.issue(props["ca_cert"], props["ca_key"], props.get("ca_passphrase"),
                                props["common_name"], props.get("sans") or [], props["usage"])
        return CreateResult(id_=props["common_name"], outs={**props, "cert_pem": cert,
                                                           "key_pem": key})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return _replace_on(_ISSUED_INPUTS, olds, news)


class CertificateAuthority(Resource):
    """A self-signed CA, made once; `key_pem` is secret (encrypted when `passphrase`)."""

    cert_pem: pulumi.Output[str]
    key_pem: pulumi.Output[str]

    def __init__(self, name: str, common_name: str,
                 passphrase: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            _CertificateAuthorityProvider(), name,
            {"common_name": common_name, "passphrase": passphrase, "cert_pem": None,
             "key_pem": None},
            pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=["key_pem",
                                                                        "passphrase"])))


class IssuedCertificate(Resource):
    """A certificate the CA signs once (re-issued when the CA or the names change)."""

    cert_pem: pulumi.Output[str]
    key_pem: pulumi.Output[str]

    def __init__(self, name: str, ca: CertificateAuthority, common_name: str,
                 sans: Sequence[str] = (), usage: str = "server",
                 ca_passphrase: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            _IssuedCertificateProvider(), name,
            {"ca_cert": ca.cert_pem, "ca_key": ca.key_pem, "ca_passphrase": ca_passphrase,
             "common_name": common_name, "sans": list(sans), "usage": usage,
             "cert_pem": None, "key_pem": None},
            pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=[
                    "key_pem", "ca_key", "ca_passphrase"])))


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
