"""What the overlay reads from the underlay stack, checked before anything is built.

The overlay never reaches into the underlay's internals: it reads the named outputs of
`components.openstack.outputs.openstack_outputs` (and `ssh`) through a StackReference.
A missing or malformed output fails the program with the output's name, not with a
KeyError deep inside a provider configuration.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

ADMIN_FIELDS = ("username", "password", "project_name", "user_domain_name",
                "project_domain_name")
OPENSTACK_FIELDS = ("auth_url", "region", "ca_cert", "external_network", "external_cidr",
                    "admin")


class UnderlayOutputError(ValueError):
    """An underlay output the overlay needs is missing or unusable; names the output."""

    def __init__(self, stack: str, output: str, problem: str) -> None:
        super().__init__(f"underlay stack {stack!r}: output {output!r} {problem}")
        self.output = output


@dataclass(frozen=True)
class Admin:
    username: str
    password: str
    project_name: str
    user_domain_name: str
    project_domain_name: str


@dataclass(frozen=True)
class UnderlayContract:
    auth_url: str
    region: str
    ca_cert: str
    external_network: str
    external_cidr: ipaddress.IPv4Network
    admin: Admin
    # Where the external network is reachable from: None = this machine (local underlay,
    # whose host is the external network's gateway), else the SSH jump host's address.
    jump_host: str | None


def _text(stack: str, name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UnderlayOutputError(stack, name, f"must be a non-empty string, got {value!r}")
    return value


def check_contract(stack: str, outputs: Mapping[str, Any]) -> UnderlayContract:
    """The contract from the underlay's raw outputs, or an error naming the bad one."""
    openstack = outputs.get("openstack")
    if openstack is None:
        raise UnderlayOutputError(stack, "openstack", "is missing: deploy the underlay with "
                                  "install: openstack (make up) before the overlay")
    if not isinstance(openstack, Mapping):
        raise UnderlayOutputError(stack, "openstack", f"must be a mapping, got {openstack!r}")
    for field in OPENSTACK_FIELDS:
        if openstack.get(field) in (None, ""):
            raise UnderlayOutputError(stack, f"openstack.{field}", "is missing")
    auth_url = _text(stack, "openstack.auth_url", openstack["auth_url"])
    if not auth_url.startswith(("https://", "http://")):
        raise UnderlayOutputError(stack, "openstack.auth_url", f"is not a URL: {auth_url!r}")
    ca_cert = _text(stack, "openstack.ca_cert", openstack["ca_cert"])
    if "BEGIN CERTIFICATE" not in ca_cert:
        raise UnderlayOutputError(stack, "openstack.ca_cert", "is not a PEM certificate")
    try:
        cidr = ipaddress.IPv4Network(openstack["external_cidr"])
    except ValueError as err:
        raise UnderlayOutputError(stack, "openstack.external_cidr", f"is not a CIDR ({err})") \
            from None
    admin = openstack["admin"]
    if not isinstance(admin, Mapping):
        raise UnderlayOutputError(stack, "openstack.admin", "must be a mapping")
    values = {f: _text(stack, f"openstack.admin.{f}", admin.get(f)) for f in ADMIN_FIELDS}
    ssh = outputs.get("ssh") or {}
    return UnderlayContract(
        auth_url=auth_url, region=_text(stack, "openstack.region", openstack["region"]),
        ca_cert=ca_cert,
        external_network=_text(stack, "openstack.external_network",
                               openstack["external_network"]),
        external_cidr=cidr, admin=Admin(**values), jump_host=ssh.get("jump_host"))


class Underlay:
    """The checked contract as Outputs: plain where the value is not secret (so the
    resources built from it show real diffs), secret for the admin credentials."""

    def __init__(self, stack: str, opts: pulumi.ResourceOptions | None = None) -> None:
        ref = pulumi.StackReference(stack, stack_name=stack, opts=opts)
        raw = pulumi.Output.all(openstack=ref.get_output("openstack"), ssh=ref.get_output("ssh"))
        self.stack = stack
        self.contract = pulumi.Output.secret(raw.apply(lambda o: check_contract(stack, o)))
        self.auth_url = self._plain(lambda c: c.auth_url)
        self.region = self._plain(lambda c: c.region)
        self.ca_cert = self._plain(lambda c: c.ca_cert)
        self.external_network = self._plain(lambda c: c.external_network)
        self.external_cidr = self._plain(lambda c: str(c.external_cidr))
        self.jump_host = self._plain(lambda c: c.jump_host)
        self.admin = self.contract.apply(lambda c: c.admin)  # stays secret

    def _plain(self, pick: Any) -> pulumi.Output[Any]:
        return pulumi.Output.unsecret(self.contract.apply(pick))
