"""The one validated settings object of the program.

Every config key is declared once here (type, default, allowed values, help), read once in
`__main__.py` and handed to components as a typed, frozen `Settings`. Validation happens
before any resource is registered and every error names the offending key, so a typo fails
`pulumi preview` instead of half-building a lab. Components never read `pulumi.Config`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

PROJECT = "openstack-lab"

T = TypeVar("T")


class ConfigError(ValueError):
    """A config value that cannot be used; the message names the key and what is allowed."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config {PROJECT}:{key}: {problem}")
        self.key = key


@dataclass(frozen=True)
class Key(Generic[T]):
    """One config key: how to parse it, its default and what it means."""

    name: str
    parse: Callable[[str, str], T]
    default: str
    help: str
    choices: tuple[str, ...] = ()


def choice(*allowed: str) -> Callable[[str, str], str]:
    def parse(key: str, raw: str) -> str:
        if raw not in allowed:
            raise ConfigError(key, f"{raw!r} is not one of {', '.join(allowed)}")
        return raw

    return parse


KEYS: tuple[Key[Any], ...] = (
    Key("layer", choice("underlay", "overlay"), "underlay",
        "Which layer this stack builds: underlay (nodes + OpenStack) or overlay "
        "(tenant + load balancer).", ("underlay", "overlay")),
    Key("underlay", choice("local", "metal", "gcp"), "local",
        "Where the nodes live: local (libvirt on this machine), metal (libvirt on an "
        "SSH-reachable host) or gcp (nested-virtualization instances).",
        ("local", "metal", "gcp")),
    Key("profile", choice("minimal", "standard"), "minimal",
        "Node layout: minimal (controller+network+storage merged, one compute) or "
        "standard (controller, network, two computes, storage).", ("minimal", "standard")),
)


@dataclass(frozen=True)
class Settings:
    layer: str
    underlay: str
    profile: str

    @classmethod
    def from_mapping(cls, raw: Mapping[str, str]) -> Settings:
        """Parse raw config strings (unqualified key -> value); unknown keys are errors."""
        known = {k.name for k in KEYS}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(unknown[0], f"unknown key; known keys are {', '.join(sorted(known))}")
        values = {k.name: k.parse(k.name, raw.get(k.name, k.default)) for k in KEYS}
        return cls(**values)


def project_values(config: Mapping[str, Any]) -> dict[str, str]:
    """This project's keys from a full config map ("project:key" -> value), unqualified."""
    prefix = f"{PROJECT}:"
    return {k[len(prefix):]: str(v) for k, v in config.items() if k.startswith(prefix)}


def load() -> Settings:
    """The stack's settings from the running program's whole config map.

    The whole map (not `Config.get` per key) is read so that a misspelt key is an error
    rather than silently ignored.
    """
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return Settings.from_mapping(project_values(merged))
