"""Parsers for raw config strings: each takes (key, raw) and raises ConfigError naming key."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from components import control_chars
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


# --- strict text: values that reach SSH configs, known_hosts, command lines, GCP names ---

def printable(key: str, raw: str, allowed: str = "") -> None:
    """Refuses control characters by name, before any pattern, so the message says why."""
    found = control_chars.first(raw, allowed)
    if found:
        which = f"only {allowed!r} is" if allowed else "no newline, tab, NUL or the like is"
        raise ConfigError(key, f"control character {found[1]!r} at position {found[0]}: "
                               f"{which} allowed")


def matching(pattern: str, what: str) -> Callable[[str, str], str]:
    """A value that must match `pattern` whole; `what` says in words what is allowed."""
    compiled = re.compile(pattern)

    def parse(key: str, raw: str) -> str:
        printable(key, raw)
        if not compiled.fullmatch(raw):
            raise ConfigError(key, f"{raw!r} is not {what}")
        return raw

    return parse


# RFC 1123: letters, digits and inner hyphens, 1-63 characters a label.
DNS_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
HOST_RULE = ("a DNS host name (dot-separated labels of 1-63 letters, digits and inner "
             "hyphens, at most 253 characters, the last label not all digits) or an IPv4 "
             "or IPv6 address")


def host(key: str, raw: str) -> str:
    printable(key, raw)
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        address = None
    if address is not None:
        # A scope (fe80::1%eth0) means this machine's interface, and % is a token in ssh_config.
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            raise ConfigError(key, f"{raw!r}: an IPv6 address with a scope is not allowed")
        return str(address)
    labels = raw.split(".")
    # An all-digit last label would read as a (mistyped) IPv4 address, not a name.
    if (len(raw) > 253 or not all(DNS_LABEL.fullmatch(label) for label in labels)
            or labels[-1].isdigit()):
        raise ConfigError(key, f"{raw!r} is not {HOST_RULE}")
    return raw


posix_user = matching(r"[a-z_][a-z0-9_-]{0,31}",
                      "a POSIX user name (a lowercase letter or _, then up to 31 lowercase "
                      "letters, digits, _ or -)")

# Host key types OpenSSH still offers (no DSA; sk- keys are user keys, not host keys).
HOST_KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                  "ecdsa-sha2-nistp521", "ssh-rsa")
HOST_KEY_FORM = ("'<type> <base64>' with one space between, as in known_hosts without the "
                 "host name (no options, no comment)")


def _blob_type(blob: bytes) -> str:
    """The key type an SSH public key blob names first (RFC 4253: uint32 length, name)."""
    length = int.from_bytes(blob[:4], "big")
    return blob[4:4 + length].decode("ascii", "replace") if len(blob) >= 4 + length else ""


def ssh_host_key(key: str, raw: str) -> str:
    printable(key, raw)
    fields = raw.split(" ")
    if len(fields) != 2 or not all(fields):
        raise ConfigError(key, f"{raw!r} is not {HOST_KEY_FORM}")
    kind, data = fields
    if kind not in HOST_KEY_TYPES:
        raise ConfigError(key, f"key type {kind!r} is not one of {', '.join(HOST_KEY_TYPES)}")
    try:
        blob = base64.b64decode(data, validate=True)
    except binascii.Error:
        raise ConfigError(key, f"{data!r} is not base64") from None
    # The type field is what known_hosts matches on; the key itself must agree with it.
    if _blob_type(blob) != kind:
        raise ConfigError(key, f"the type field says {kind} but the key is "
                               f"{_blob_type(blob) or 'not an SSH key'}")
    try:
        serialization.load_ssh_public_key(raw.encode())
    except (ValueError, UnsupportedAlgorithm) as err:
        raise ConfigError(key, f"{kind} key does not parse ({err})") from None
    return raw


OPENSSH_PRIVATE = "-----BEGIN OPENSSH PRIVATE KEY-----"


def private_key(key: str, raw: str) -> str:
    """An unencrypted private key, OpenSSH or PEM. Errors never quote it: it is a secret."""
    printable(key, raw, allowed="\n")
    # OpenSSH refuses a key file whose last line has no newline.
    pem = raw.strip() + "\n"
    try:
        if pem.startswith(OPENSSH_PRIVATE):
            serialization.load_ssh_private_key(pem.encode(), password=None)
        else:
            serialization.load_pem_private_key(pem.encode(), password=None)
    except TypeError:
        raise ConfigError(key, "the key is encrypted; give it unencrypted (nothing here can "
                               "type its passphrase)") from None
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigError(key, "is not an unencrypted private key in OpenSSH "
                               f"({OPENSSH_PRIVATE}) or PEM format (its text is not shown: "
                               "it is a secret)") from None
    return pem


gcp_project = matching(r"[a-z][a-z0-9-]{4,28}[a-z0-9]",
                       "a GCP project ID (6-30 lowercase letters, digits and hyphens, "
                       "starting with a letter, not ending with a hyphen)")
GCP_REGION = r"[a-z]+-[a-z]+[0-9]+"
gcp_region = matching(GCP_REGION, "a GCP region such as us-central1 or europe-west4")
gcp_zone = matching(GCP_REGION + r"-[a-z]", "a GCP zone such as us-central1-a")
gcp_machine_type = matching(r"[a-z][a-z0-9]*-[a-z]+-[0-9]+",
                            "a predefined GCP machine type (family-series-vCPUs) such as "
                            "n2-standard-8")
