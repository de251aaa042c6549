"""The one validated settings object of the program.

Every config key is declared once here (parser, default, help), read once in `__main__.py`
and handed to components as a frozen `Settings`. Validation runs before any resource is
registered and every error names the offending key, so a typo fails `pulumi preview`
instead of half-building a lab. Components never read `pulumi.Config`.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components import ini_overrides, network_plan
from components import parsers as p
from components.errors import PROJECT, ConfigError
from components.topology import NodeSpec, ProfileSizes, layout

__all__ = ["ConfigError", "KEYS", "Key", "Settings", "load", "project_values"]


@dataclass(frozen=True)
class Key:
    """One config key. `default=None` means: derived (from the profile or the underlay)."""

    name: str
    parse: p.Parser
    default: str | None
    help: str
    secret: bool = False
    structured: bool = False  # a YAML mapping in the stack file (JSON to the program)

    @property
    def type(self) -> str:
        """The type Pulumi.yaml declares for it."""
        if self.structured:
            return "object"
        return "integer" if self.parse.__qualname__.startswith("integer.") else "string"


UNDERLAYS = ("local", "metal", "gcp")
PROFILES = ("minimal", "standard")

KEYS: tuple[Key, ...] = (
    Key("layer", p.choice("underlay", "overlay"), "underlay",
        "Which layer this stack builds: underlay (nodes + OpenStack) or overlay (tenant + LB)."),
    Key("underlay", p.choice(*UNDERLAYS), "local",
        "Where the nodes live: local (libvirt here), metal (libvirt on an SSH host) or gcp."),
    Key("profile", p.choice(*PROFILES), "minimal",
        "Node layout: minimal (controller+network+storage merged, 1 compute) or standard "
        "(controller, network, computes, storage)."),
    Key("computeCount", p.integer(1, 64), None,
        "Number of compute nodes (minimal: 1; standard: default 2, up to 64)."),
    Key("controllerVcpus", p.integer(1, 64), None, "vCPUs of the controller node."),
    Key("controllerMemoryMib", p.integer(2048, 262144), None, "Memory of the controller (MiB)."),
    Key("networkVcpus", p.integer(1, 64), None, "vCPUs of the network node (standard)."),
    Key("networkMemoryMib", p.integer(1024, 262144), None, "Memory of the network node (MiB)."),
    Key("computeVcpus", p.integer(1, 64), None, "vCPUs of each compute node."),
    Key("computeMemoryMib", p.integer(1024, 262144), None, "Memory of each compute node (MiB)."),
    Key("storageVcpus", p.integer(1, 64), None, "vCPUs of the storage node (standard)."),
    Key("storageMemoryMib", p.integer(1024, 262144), None, "Memory of the storage node (MiB)."),
    Key("rootDiskGib", p.integer(10, 2048), "20", "Root disk of every node (GiB)."),
    Key("lvmDiskGib", p.integer(2, 4096), "20", "Cinder LVM disk of the storage role (GiB)."),
    Key("publicCidr", p.private_network, "10.0.2.0/24",
        "NAT network: egress to the package archive, SSH from the host."),
    Key("managementCidr", p.private_network, "192.168.1.0/24",
        "Isolated network for API, database, message queue and iSCSI traffic."),
    Key("underlayCidr", p.private_network, "192.168.2.0/24",
        "Isolated network for the VXLAN tunnel endpoints."),
    Key("externalCidr", p.private_network, "172.16.0.0/24",
        "Neutron's flat provider network: floating IPs and the load balancer VIP."),
    Key("mtu", p.integer(1330, 9000), None,
        "MTU of the underlay networks (local/metal: 1500, gcp: 1460); tenant VXLAN gets 50 less."),
    Key("imageSource", p.image_source, "auto",
        "Node image: auto (the official Debian 13 cloud image, else a local build), build "
        "(always build from Debian packages), an http(s) URL or an absolute path."),
    Key("accel", p.choice("auto", "kvm", "tcg"), "auto",
        "Virtualization: auto (KVM where the host runs stock kernels, else TCG), kvm or tcg."),
    Key("operatorCidr", p.operator_cidr, None,
        "The operator's address range; the only source allowed through the GCP firewall."),
    Key("install", p.choice("openstack", "none"), "openstack",
        "What the underlay installs on its nodes: openstack (the whole cloud) or none (bare "
        "nodes, for node-level tests)."),
    Key("overrides", ini_overrides.parse, None,
        "Per-service INI overrides, service -> file -> section -> option -> value, merged "
        "into the config files the install writes (none by default; see Config overrides "
        "below).", structured=True),
    Key("metalHost", p.host, None, "metal: the SSH-reachable host (name or address)."),
    Key("metalUser", p.posix_user, "root", "metal: the SSH user on the host."),
    Key("metalPort", p.integer(1, 65535), "22", "metal: the SSH port of the host."),
    Key("metalHostKey", p.ssh_host_key, None,
        "metal: the host's SSH public key, 'type base64' (as in known_hosts, without the "
        "host name or a comment)."),
    Key("metalPrivateKey", p.private_key, None, "metal: private key for the SSH user (secret).",
        secret=True),
    Key("gcpProject", p.gcp_project, None, "gcp: the project ID."),
    Key("gcpRegion", p.gcp_region, "us-central1", "gcp: region."),
    Key("gcpZone", p.gcp_zone, "us-central1-a", "gcp: zone."),
    Key("gcpMachineType", p.gcp_machine_type, "n2-standard-8",
        "gcp: machine type of the nodes; N1/N2 families support nested virtualization."),
    Key("underlayStack", p.text, None,
        "overlay: the underlay stack to read, as organization/project/stack or stack."),
    Key("webImage", p.web_image, "build",
        "overlay: the web servers' image: build (a tiny busybox image from Debian packages, "
        "fast under nested emulation) or an http(s) URL of a cloud image with cloud-init."),
    Key("lbTimeoutMinutes", p.integer(5, 600), "120",
        "overlay: how long Pulumi waits for each load balancer object, server, port and "
        "router interface (minutes on KVM, far longer under nested emulation)."),
)

KEYS_BY_NAME = {k.name: k for k in KEYS}

# GCP: nested virtualization needs Intel Haswell or later on these families (not E2, not AMD).
NESTED_VIRT_FAMILIES = ("n1", "n2")


@dataclass(frozen=True)
class Networks:
    public: ipaddress.IPv4Network
    management: ipaddress.IPv4Network
    underlay: ipaddress.IPv4Network
    external: ipaddress.IPv4Network
    mtu: int

    @property
    def tenant_mtu(self) -> int:
        """VXLAN over IPv4 costs 50 bytes of the underlay MTU."""
        return self.mtu - 50


@dataclass(frozen=True)
class Metal:
    host: str
    user: str
    port: int
    host_key: str
    private_key: str


@dataclass(frozen=True)
class Gcp:
    project: str
    region: str
    zone: str
    machine_type: str
    operator_cidr: ipaddress.IPv4Network

    @property
    def vcpus(self) -> int:
        return int(self.machine_type.rsplit("-", 1)[1])


@dataclass(frozen=True)
class Overlay:
    underlay_stack: str
    web_image: str
    timeout_minutes: int


@dataclass(frozen=True)
class Settings:
    layer: str
    underlay: str
    profile: str
    nodes: tuple[NodeSpec, ...]
    networks: Networks
    root_disk_gib: int
    lvm_disk_gib: int
    image_source: str
    accel: str
    install: str = "openstack"
    metal: Metal | None = None
    gcp: Gcp | None = None
    underlay_stack: str | None = None
    overlay: Overlay | None = None
    overrides: ini_overrides.IniOverrides = field(default_factory=ini_overrides.IniOverrides)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, str]) -> Settings:
        """Parse raw config strings (unqualified key -> value); unknown keys are errors."""
        unknown = sorted(set(raw) - set(KEYS_BY_NAME))
        if unknown:
            raise ConfigError(unknown[0], "unknown key; known keys are "
                              + ", ".join(sorted(KEYS_BY_NAME)))
        v: dict[str, Any] = {
            k.name: k.parse(k.name, raw[k.name] if k.name in raw else k.default)
            for k in KEYS if k.name in raw or k.default is not None
        }
        nodes = _nodes(v)
        _check_plan_fits(v, nodes)
        return cls(
            layer=v["layer"], underlay=v["underlay"], profile=v["profile"],
            nodes=nodes, networks=_networks(v),
            root_disk_gib=v["rootDiskGib"], lvm_disk_gib=v["lvmDiskGib"],
            image_source=v["imageSource"], accel=v["accel"], install=v["install"],
            metal=_metal(v), gcp=_gcp(v), underlay_stack=_underlay_stack(v),
            overlay=_overlay(v),
            overrides=v.get("overrides", ini_overrides.IniOverrides()),
        )


def _require(v: Mapping[str, Any], key: str, why: str) -> Any:
    if key not in v:
        raise ConfigError(key, f"is required {why}")
    return v[key]


def _nodes(v: Mapping[str, Any]) -> tuple[NodeSpec, ...]:
    profile = v["profile"]
    if profile == "minimal":
        for role in ("network", "storage"):
            for what in ("Vcpus", "MemoryMib"):
                if f"{role}{what}" in v:
                    raise ConfigError(f"{role}{what}", f"the minimal profile has no separate "
                                      f"{role} node (its role runs on the controller)")
        if v.get("computeCount", 1) != 1:
            raise ConfigError("computeCount", "the minimal profile has exactly 1 compute node; "
                              "use profile standard for more")
    sizes = ProfileSizes.for_profile(profile).override(
        {k: val for k, val in v.items() if k.endswith(("Vcpus", "MemoryMib"))})
    return layout(profile, v.get("computeCount", 1 if profile == "minimal" else 2), sizes)


def _check_plan_fits(v: Mapping[str, Any], nodes: tuple[NodeSpec, ...]) -> None:
    highest = network_plan.max_offset(nodes)
    for key in ("publicCidr", "managementCidr", "underlayCidr"):
        if highest >= v[key].num_addresses - 1:
            raise ConfigError(key, f"{v[key]} has no room for host number {highest} "
                              f"({len(nodes)} nodes); use a larger network")


def _networks(v: Mapping[str, Any]) -> Networks:
    names = ("publicCidr", "managementCidr", "underlayCidr", "externalCidr")
    for a, b in itertools.combinations(names, 2):
        if v[a].overlaps(v[b]):
            raise ConfigError(b, f"{v[b]} overlaps {PROJECT}:{a} ({v[a]})")
    mtu = v.get("mtu", 1460 if v["underlay"] == "gcp" else 1500)
    if v["underlay"] == "gcp" and mtu > 1460:
        raise ConfigError("mtu", f"{mtu} exceeds the GCP VPC MTU of 1460")
    return Networks(v["publicCidr"], v["managementCidr"], v["underlayCidr"], v["externalCidr"],
                    mtu)


def _metal(v: Mapping[str, Any]) -> Metal | None:
    if v["underlay"] != "metal":
        return None
    why = "when underlay is metal"
    return Metal(host=_require(v, "metalHost", why), user=v["metalUser"], port=v["metalPort"],
                 host_key=_require(v, "metalHostKey", why + " (the host key is pinned)"),
                 private_key=_require(v, "metalPrivateKey", why))


def _gcp(v: Mapping[str, Any]) -> Gcp | None:
    if v["underlay"] != "gcp":
        return None
    if v["profile"] != "standard":
        raise ConfigError("profile", "gcp runs the standard profile (one instance per role)")
    why = "when underlay is gcp"
    gcp = Gcp(project=_require(v, "gcpProject", why), region=v["gcpRegion"], zone=v["gcpZone"],
              machine_type=v["gcpMachineType"],
              operator_cidr=_require(v, "operatorCidr", why + " (the firewall admits only it)"))
    # The zone's name is its region's plus a letter: another region's zone cannot take
    # subnets or disks of this one.
    if gcp.zone.rsplit("-", 1)[0] != gcp.region:
        raise ConfigError("gcpZone", f"{gcp.zone} is not in {PROJECT}:gcpRegion "
                          f"({gcp.region}); its zones are {gcp.region}-a, -b, ...")
    family = gcp.machine_type.split("-")[0]
    if family not in NESTED_VIRT_FAMILIES:
        raise ConfigError("gcpMachineType", f"{gcp.machine_type!r}: nested virtualization needs "
                          f"an {' or '.join(NESTED_VIRT_FAMILIES)} machine type such as "
                          "n2-standard-8")
    # A GCP instance gets at most one NIC per vCPU (max 8); the network node needs three.
    if gcp.vcpus < 3:
        raise ConfigError("gcpMachineType", f"{gcp.machine_type} has {gcp.vcpus} vCPUs; the "
                          "network node needs 3 NICs and GCP allows one NIC per vCPU")
    return gcp


def _underlay_stack(v: Mapping[str, Any]) -> str | None:
    if v["layer"] != "overlay":
        return None
    return _require(v, "underlayStack", "when layer is overlay")


def _overlay(v: Mapping[str, Any]) -> Overlay | None:
    if v["layer"] != "overlay":
        return None
    return Overlay(underlay_stack=_underlay_stack(v) or "", web_image=v["webImage"],
                   timeout_minutes=v["lbTimeoutMinutes"])


def project_values(config: Mapping[str, Any]) -> dict[str, str]:
    """This project's keys from a full config map ("project:key" -> value), unqualified."""
    prefix = f"{PROJECT}:"
    return {k[len(prefix):]: _raw(v) for k, v in config.items() if k.startswith(prefix)}


def _raw(value: Any) -> str:
    """A value as the program gets it from the engine: structured ones as JSON (a stack
    file read with YAML gives a mapping), scalars as their string."""
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def load() -> Settings:
    """The stack's settings from the running program's whole config map.

    The whole map (not `Config.get` per key) is read so that a misspelt key is an error
    rather than silently ignored.
    """
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return Settings.from_mapping(project_values(merged))
