"""Which nodes a profile has, what roles they carry, and how big they are."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

ROLES = ("controller", "network", "compute", "storage")


@dataclass(frozen=True)
class NodeSpec:
    name: str
    roles: tuple[str, ...]
    vcpus: int
    memory_mib: int
    host_offset: int  # the node's host number in every network it joins (.11, .12, ...)

    def has(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Size:
    vcpus: int
    memory_mib: int


@dataclass(frozen=True)
class ProfileSizes:
    controller: Size
    network: Size
    compute: Size
    storage: Size

    @classmethod
    def for_profile(cls, profile: str) -> ProfileSizes:
        if profile == "minimal":  # fits a 2-core / 24 GiB build machine
            return cls(Size(2, 8192), Size(1, 1024), Size(2, 4096), Size(1, 1024))
        return cls(Size(2, 8192), Size(2, 4096), Size(4, 8192), Size(2, 4096))

    def override(self, values: Mapping[str, int]) -> ProfileSizes:
        """Apply config overrides named `<role>Vcpus` / `<role>MemoryMib`."""
        sizes = self
        for role in ROLES:
            size = getattr(sizes, role)
            size = replace(size, vcpus=values.get(f"{role}Vcpus", size.vcpus),
                           memory_mib=values.get(f"{role}MemoryMib", size.memory_mib))
            sizes = replace(sizes, **{role: size})
        return sizes


def compute_offset(index: int) -> int:
    """Host number of compute-<index>: .21-.30 as in the reference labs, then .101 up
    (so that storage keeps .31 however many computes there are)."""
    return 20 + index if index <= 10 else 100 + index


def layout(profile: str, compute_count: int, sizes: ProfileSizes) -> tuple[NodeSpec, ...]:
    computes = tuple(
        NodeSpec(f"compute-{i}", ("compute",), sizes.compute.vcpus, sizes.compute.memory_mib,
                 compute_offset(i))
        for i in range(1, compute_count + 1)
    )
    c = sizes.controller
    if profile == "minimal":
        controller = NodeSpec("controller", ("controller", "network", "storage"), c.vcpus,
                              c.memory_mib, 11)
        return (controller, *computes)
    return (
        NodeSpec("controller", ("controller",), c.vcpus, c.memory_mib, 11),
        NodeSpec("network", ("network",), sizes.network.vcpus, sizes.network.memory_mib, 12),
        *computes,
        NodeSpec("storage", ("storage",), sizes.storage.vcpus, sizes.storage.memory_mib, 31),
    )
