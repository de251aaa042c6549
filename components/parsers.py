"""Parsers for raw config strings: each takes (key, raw) and raises ConfigError naming key."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from components.errors import ConfigError

Parser = Callable[[str, str], object]


def choice(*allowed: str) -> Callable[[str, str], str]:
    def parse(key: str, raw: str) -> str:
        if raw not in allowed:
            raise ConfigError(key, f"{raw!r} is not one of {', '.join(allowed)}")
        return raw

    return parse


def integer(low: int, high: int) -> Callable[[str, str], int]:
    def parse(key: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(key, f"{raw!r} is not a whole number") from None
        if not low <= value <= high:
            raise ConfigError(key, f"{value} is outside {low}..{high}")
        return value

    return parse


def text(key: str, raw: str) -> str:
    if not raw.strip():
        raise ConfigError(key, "must not be empty")
    return raw.strip()


def ipv4_network(key: str, raw: str) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.ip_network(raw, strict=True)
    except ValueError as err:
        raise ConfigError(key, f"{raw!r} is not a CIDR network ({err})") from None
    if not isinstance(net, ipaddress.IPv4Network):
        raise ConfigError(key, f"{raw!r}: only IPv4 networks are supported")
    return net


def private_network(key: str, raw: str) -> ipaddress.IPv4Network:
    net = ipv4_network(key, raw)
    if not net.is_private or net.is_loopback or net.is_link_local:
        raise ConfigError(key, f"{raw} is not a private range (10/8, 172.16/12, 192.168/16)")
    if net.prefixlen > 26:
        raise ConfigError(key, f"{raw} is too small; use a /26 or larger")
    return net


def operator_cidr(key: str, raw: str) -> ipaddress.IPv4Network:
    net = ipv4_network(key, raw)
    if net.prefixlen < 8:
        raise ConfigError(key, f"{raw} opens the lab to too much of the internet; name your own "
                               "address or office range (at most a /8)")
    return net


def image_source(key: str, raw: str) -> str:
    """auto | build | an http(s) URL | an absolute path to a local qcow2/raw image."""
    if raw in ("auto", "build"):
        return raw
    url = urlparse(raw)
    if url.scheme in ("http", "https") and url.netloc:
        return raw
    if url.scheme == "" and Path(raw).is_absolute():
        return raw
    raise ConfigError(key, f"{raw!r} is not auto, build, an http(s) URL or an absolute path")


def web_image(key: str, raw: str) -> str:
    """build (a tiny image from Debian packages, made here) | an http(s) URL of a cloud image."""
    if raw == "build":
        return raw
    url = urlparse(raw)
    if url.scheme in ("http", "https") and url.netloc:
        return raw
    raise ConfigError(key, f"{raw!r} is neither build nor an http(s) URL of a cloud image")
