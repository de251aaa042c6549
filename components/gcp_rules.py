"""GCP's own rules on what the GCP underlay creates, checked before any resource so that a
lab that GCP would refuse halfway fails `pulumi preview` instead, naming the key.

The names live here too (GcpNames): the underlay builds every name with them, so the check
covers exactly the names GCP will see. The settings check the rest of GCP's rules on
their own keys (components/config.py `_gcp`): one NIC per vCPU, N1/N2 for nested
virtualization, an MTU of at most 1460."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from components.config import NESTED_VIRT_FAMILIES, Settings
from components.errors import ConfigError
from components.lab_nodes import lab_prefix
from components.topology import NodeSpec

# GCP has no L2 between instances: the external (flat provider) network stays inside the
# network node, so only these three become VPCs.
VPCS = ("public", "management", "underlay")

# Names of GCP resources and network tags: a lowercase RFC 1035 label of at most 63.
NAME = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")

# GCP's Intel CPU platforms, oldest first. Nested virtualization needs Haswell or newer.
INTEL_PLATFORMS = ("Intel Sandy Bridge", "Intel Ivy Bridge", "Intel Haswell",
                   "Intel Broadwell", "Intel Skylake", "Intel Cascade Lake", "Intel Ice Lake",
                   "Intel Sapphire Rapids")
NESTED_VIRT_PLATFORM = "Intel Haswell"
# The oldest platform of each family that nests KVM: any newer host of it will do.
MIN_CPU_PLATFORM = {"n1": "Intel Haswell", "n2": "Intel Cascade Lake"}


@dataclass(frozen=True)
class GcpNames:
    """Every name (and network tag) the GCP underlay gives what it creates."""

    prefix: str

    def vpc(self, net: str) -> str:  # the network and its subnetwork
        return f"{self.prefix}-{net}"

    def internal_firewall(self, net: str) -> str:
        return f"{self.prefix}-{net}-internal"

    @property
    def operator_firewall(self) -> str:
        return f"{self.prefix}-operator"

    @property
    def router(self) -> str:
        return f"{self.prefix}-router"

    @property
    def nat(self) -> str:
        return f"{self.prefix}-nat"

    @property
    def public_tag(self) -> str:
        return f"{self.prefix}-public"

    def instance(self, node: str) -> str:
        return f"{self.prefix}-{node}"

    def lvm_disk(self, node: str) -> str:
        return f"{self.prefix}-{node}-lvm"

    def all(self, nodes: Iterable[NodeSpec]) -> list[str]:
        names = [self.operator_firewall, self.router, self.nat, self.public_tag]
        names += [name for net in VPCS for name in (self.vpc(net), self.internal_firewall(net))]
        for node in nodes:
            names.append(self.instance(node.name))
            if node.has("storage"):
                names.append(self.lvm_disk(node.name))
        return names


def check_gcp_names(stack: str, settings: Settings) -> None:
    """The stack name is part of every name; it is no config key, so the error names the
    underlay (the key that chose GCP) and says how long a stack name may be."""
    names = GcpNames(lab_prefix(stack)).all(settings.nodes)
    bad = [name for name in names if len(name) > 63 or not NAME.fullmatch(name)]
    if not bad:
        return
    longest = max(names, key=len)
    room = 63 - (len(longest) - len(stack))
    raise ConfigError("underlay", (
        f"gcp cannot take stack {stack!r}: it names what it creates after the stack (e.g. "
        f"{bad[0]!r}), and GCP names are lowercase RFC 1035 labels: at most 63 lowercase "
        "letters, digits and hyphens, starting with a letter and not ending with a hyphen; "
        f"use a stack name of at most {room} lowercase letters, digits and hyphens"))


def min_cpu_platform(machine_type: str) -> str:
    """The instances' minimum CPU platform: Haswell or newer, or KVM does not nest."""
    family = machine_type.split("-")[0]
    platform = MIN_CPU_PLATFORM.get(family)
    if platform is None or (INTEL_PLATFORMS.index(platform)
                            < INTEL_PLATFORMS.index(NESTED_VIRT_PLATFORM)):
        raise ConfigError("gcpMachineType", (
            f"{machine_type}: nested virtualization needs an {' or '.join(NESTED_VIRT_FAMILIES)} "
            f"machine type on {NESTED_VIRT_PLATFORM} or newer (its family runs on "
            f"{platform or 'no known Intel platform'})"))
    return platform
