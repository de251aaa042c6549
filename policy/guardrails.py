"""The lab's mandatory guardrails as plain functions: (resource type, inputs) -> problems.

The functions know nothing about the engine, so tests can call them directly with the
inputs a resource would have (camelCase names, as the engine sends them). Inputs arrive
with secret values wrapped in `pulumi_policy.Secret` (see `install_secret_keeping` for
why) and unknown values (during preview) either as the engine's sentinel strings or as an
`UnknownValueError` raised by pulumi_policy's proxy on access. A check that depends on
an unknown value passes during preview: the engine runs the policies again at `up`, when
every input is known.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs
from pulumi_policy import ResourceValidationPolicy, Secret
from pulumi_policy import deserialize as _deserialize
from pulumi_policy import policy as _policy_module
from pulumi_policy.proxy import UnknownValueError, _is_unknown

from components.openstack import registry

# Never reachable from the whole internet: SSH, the public TLS endpoint (APIs + Horizon),
# every OpenStack API, and what sits behind them: every port a service's spec names
# (components/openstack/registry.py), and the nodes' own. The operator's CIDR is the way in.
NODE_PORTS: dict[int, str] = {22: "SSH", 16509: "libvirtd"}
ADMIN_PORTS: dict[int, str] = dict(sorted({
    **NODE_PORTS, **registry.admin_ports(registry.SERVICES)}.items()))
WORLD = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
# GCP nested virtualization needs Intel Haswell or later: the N1 and N2 families (not E2,
# not the AMD N2D). Same list as components/config.py (a test keeps them equal).
NESTED_VIRT_FAMILIES = ("n1", "n2")
REMOTE_TYPES = ("command:remote:Command", "command:remote:CopyToRemote",
                "command:remote:CopyFile")

UNKNOWN = object()  # a value that is not known yet (preview)


def raw(props: Mapping[str, Any], key: str) -> Any:
    """The value as sent (a Secret stays a Secret); None when absent, UNKNOWN when not known."""
    try:
        value = props[key] if key in props else None
    except UnknownValueError:
        return UNKNOWN
    return UNKNOWN if _is_unknown(value) else value


def value(props: Mapping[str, Any], key: str) -> Any:
    """The plain value, secret or not."""
    v = raw(props, key)
    if isinstance(v, Secret):
        v = UNKNOWN if _is_unknown(v.value) else v.value
    return v


def _world(ranges: Iterable[Any]) -> list[str]:
    hits = []
    for r in ranges:
        r = r.value if isinstance(r, Secret) else r
        try:
            net = ipaddress.ip_network(str(r), strict=False)
        except ValueError:
            continue
        if net in WORLD:
            hits.append(str(net))
    return hits


def _admin_ports_in(low: int, high: int) -> list[int]:
    return [p for p in ADMIN_PORTS if low <= p <= high]


def _describe(ports: list[int]) -> str:
    return ", ".join(f"{p} ({ADMIN_PORTS[p]})" for p in sorted(set(ports)))


def gcp_firewall_open_to_world(props: Mapping[str, Any]) -> list[str]:
    if value(props, "disabled") is True or (value(props, "direction") or "INGRESS") != "INGRESS":
        return []
    ranges, allows = value(props, "sourceRanges"), value(props, "allows")
    if UNKNOWN in (ranges, allows):
        return []
    if not ranges and not value(props, "sourceTags") and not value(props, "sourceServiceAccounts"):
        world = ["0.0.0.0/0 (no source given: GCP's default)"]
    else:
        world = _world(ranges or [])
    if not world:
        return []
    ports: list[int] = []
    for allow in allows or []:
        protocol = str(value(allow, "protocol") or "").lower()
        given = value(allow, "ports") or []
        if protocol not in ("tcp", "all", "6") or given is UNKNOWN:
            continue
        if not given:  # no ports: every port of the protocol
            ports += list(ADMIN_PORTS)
        for spec in given:
            low, _, high = str(spec).partition("-")
            ports += _admin_ports_in(int(low), int(high or low))
    if not ports:
        return []
    return [f"firewall admits {world[0]} to {_describe(ports)}; "
            "allow only the operator's CIDR (config operatorCidr)"]


def openstack_rule_open_to_world(props: Mapping[str, Any]) -> list[str]:
    if str(value(props, "direction") or "").lower() != "ingress":
        return []
    prefix, group = value(props, "remoteIpPrefix"), value(props, "remoteGroupId")
    if prefix is UNKNOWN or group is UNKNOWN:
        return []
    if prefix:
        world = _world([prefix])
    elif not group:  # neither a prefix nor a group: Neutron admits any source
        world = ["any source (no remoteIpPrefix or remoteGroupId)"]
    else:
        world = []
    protocol = value(props, "protocol")
    low, high = value(props, "portRangeMin"), value(props, "portRangeMax")
    if UNKNOWN in (protocol, low, high):
        return []
    if not world or str(protocol or "").lower() not in ("", "tcp", "6", "any"):
        return []
    # Neutron: no port range (or 0) means every port of the protocol.
    low = int(low) if low else 1
    high = int(high) if high else 65535
    ports = _admin_ports_in(low, high)
    if not ports:
        return []
    return [f"security group rule admits {world[0]} to {_describe(ports)}; "
            "use the operator's or the lab's own range"]


def gcp_nested_virtualization(props: Mapping[str, Any]) -> list[str]:
    problems = []
    features = value(props, "advancedMachineFeatures") or {}
    nested = UNKNOWN if features is UNKNOWN else value(features, "enableNestedVirtualization")
    if nested is not True and nested is not UNKNOWN:
        problems.append("advancedMachineFeatures.enableNestedVirtualization must be true: "
                        "Nova inside the instance needs KVM")
    machine_type = value(props, "machineType")
    if machine_type is not UNKNOWN:
        # A bare name ("n2-standard-8") or a URL ending in one.
        family = str(machine_type or "").rsplit("/", 1)[-1].split("-", 1)[0]
        if family not in NESTED_VIRT_FAMILIES:
            problems.append(f"machineType {machine_type!r} cannot nest KVM; use the "
                            f"{' or '.join(NESTED_VIRT_FAMILIES)} family")
    return problems


def _connections(props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any], bool]]:
    """The connection and every proxy (jump host) in its chain: (path, connection, whether
    the connection as a whole is a secret, which makes every field in it one)."""
    chain, path = [], "connection"
    conn, secret = raw(props, "connection"), False
    while True:
        if isinstance(conn, Secret):
            conn, secret = conn.value, True
        if not isinstance(conn, Mapping):
            return chain
        chain.append((path, conn, secret))
        conn, path = raw(conn, "proxy"), path + ".proxy"


def remote_host_key_unpinned(props: Mapping[str, Any]) -> list[str]:
    problems = []
    for path, conn, _secret in _connections(props):
        if raw(conn, "hostKey") in (None, ""):  # unknown is fine: it will be a key
            problems.append(f"{path}.hostKey is not set: the SSH host key must be pinned "
                            "(no trust on first use)")
    return problems


def _plain(props: Mapping[str, Any], key: str) -> bool:
    v = raw(props, key)
    return v is not None and v != "" and not isinstance(v, Secret)


def plain_secret_inputs(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    problems = []
    if resource_type in REMOTE_TYPES:
        for path, conn, secret in _connections(props):
            for key in ("privateKey", "password", "privateKeyPassword"):
                if not secret and _plain(conn, key):
                    problems.append(f"{path}.{key} is a plain input; pass it as a secret "
                                    "(pulumi.Output.secret or config --secret)")
    elif resource_type == "libvirt:index/cloudInitDisk:CloudInitDisk":
        if _plain(props, "userData"):
            problems.append("userData is a plain input; it carries the node's SSH host "
                            "private key, so wrap it in pulumi.Output.secret")
    elif resource_type == "gcp:compute/instance:Instance":
        metadata = raw(props, "metadata")
        if isinstance(metadata, Mapping) and _plain(metadata, "user-data"):
            problems.append("metadata['user-data'] is a plain input; it carries the node's "
                            "SSH host private key, so wrap it in pulumi.Output.secret")
    return problems


def keep_secrets(props: dict[str, Any]) -> dict[str, Any]:
    """Wire-format properties (after MessageToDict) to Python values, like pulumi_policy's
    own deserializer, except that a secret stays wrapped in `Secret`."""
    def keep(prop: Any) -> Any:
        if isinstance(prop, list):
            return [keep(e) for e in prop]
        if not isinstance(prop, dict):
            return prop
        if prop.get(_deserialize.SPECIAL_SIG_KEY) == _deserialize.SPECIAL_SECRET_SIG:
            return Secret(keep(prop["value"]))
        if _deserialize.SPECIAL_SIG_KEY in prop:  # assets and archives, as upstream
            return _deserialize._deserialize_property(prop)
        return {k: keep(v) for k, v in prop.items()}

    return {k: keep(v) for k, v in props.items()}


def install_secret_keeping() -> None:
    """pulumi_policy 1.21 deserializes a resource's inputs without its secret markers before
    validation (policy.py, `_PolicyAnalyzerServicer.Analyze` calls `deserialize_properties`
    without `proxy_secrets`), so no policy could tell a secret from a plain input, although
    the engine sends the markers. Point that call at `keep_secrets`; remediations, which
    already ask for the markers, keep the original."""
    original = getattr(_policy_module, "_openstack_lab_original", None) \
        or _policy_module.deserialize_properties

    def deserialize_properties(props: dict[str, Any], proxy_secrets: bool = False) -> Any:
        return original(props, True) if proxy_secrets else keep_secrets(props)

    _policy_module._openstack_lab_original = original
    _policy_module.deserialize_properties = deserialize_properties


Check = Callable[[Mapping[str, Any]], list[str]]


def _policy(name: str, description: str, checks: dict[str, Check]) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        check = checks.get(args.resource_type)
        if check is not None:
            for problem in check(args.props):
                report(problem, None)

    return ResourceValidationPolicy(name=name, description=description, validate=validate,
                                    enforcement_level=EnforcementLevel.MANDATORY)


def _secrets_check(resource_type: str) -> Check:
    return lambda props: plain_secret_inputs(resource_type, props)


SECRET_TYPES = (*REMOTE_TYPES, "libvirt:index/cloudInitDisk:CloudInitDisk",
                "gcp:compute/instance:Instance")

POLICIES = [
    _policy("no-admin-ports-from-anywhere",
            "No firewall or security group rule opens SSH or an API port to 0.0.0.0/0.",
            {"gcp:compute/firewall:Firewall": gcp_firewall_open_to_world,
             "openstack:networking/secGroupRule:SecGroupRule": openstack_rule_open_to_world}),
    _policy("gcp-nested-virtualization",
            "GCP instances enable nested virtualization on an N1/N2 machine type.",
            {"gcp:compute/instance:Instance": gcp_nested_virtualization}),
    _policy("ssh-host-key-pinned",
            "Every remote command's SSH connection (and its proxy) pins the host key.",
            {t: remote_host_key_unpinned for t in REMOTE_TYPES}),
    _policy("secrets-stay-secret",
            "Private keys, passwords and seeds with host keys are passed as secrets.",
            {t: _secrets_check(t) for t in SECRET_TYPES}),
]
