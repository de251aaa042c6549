"""Per-service config overrides (`openstack-lab:overrides`), in the spirit of
openstack-ansible's `*_overrides`: validated once with the settings, merged into the INI
files the install renders.

The key is a mapping service -> file -> section -> option -> value, the file named as on
the node (`nova.conf`, `ml2_conf.ini`; a service's files are FILES[service]):

    openstack-lab:overrides:
      nova:
        nova.conf:
          DEFAULT:
            debug: true

An override replaces the option where the rendered file has it (one line, in place; a
repeated option keeps only the override), adds it after the last option of its section
where the section exists, and adds the section at the end of the file otherwise (new
sections and options in sorted order, so the file depends on the overrides, not on their
order in the stack file). A file without overrides is returned unchanged, byte for byte.

The options the lab fills with its generated secrets (SECRET_OPTIONS) cannot be
overridden: the lab owns those credentials on both ends (a Keystone user and the service
that logs in as it, a database grant and its URL), and an override would move one out of
the secret store into the stack's config. Override values reach the nodes inside the
steps' bundles, which are secret, and nowhere else. Options a step sets in a file read
after this one (SHADOWED) are refused too: the override would have no effect.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components import control_chars
from components.errors import ConfigError

# The INI files (oslo.config) the install renders, per service, by their name on the node.
FILES: dict[str, tuple[str, ...]] = {
    "keystone": ("keystone.conf",),
    "glance": ("glance-api.conf",),
    "placement": ("placement.conf",),
    "nova": ("nova.conf",),
    "neutron": ("neutron.conf", "ml2_conf.ini", "openvswitch_agent.ini", "l3_agent.ini",
                "dhcp_agent.ini", "metadata_agent.ini"),
    "cinder": ("cinder.conf",),
    "octavia": ("octavia.conf",),
}

# Options the templates fill with generated secrets (passwords, URLs that carry one,
# shared secrets, passphrases), in whatever section; a graph test checks that every
# rendered option holding a generated secret is named here.
SECRET_OPTIONS = frozenset({
    "password", "connection", "transport_url", "metadata_proxy_shared_secret",
    "heartbeat_key", "ca_private_key_passphrase", "server_certs_key_passphrase",
})

# Options a step sets elsewhere, in a file read after this one: an override here would
# have no effect, so it is refused with the reason.
SHADOWED: dict[tuple[str, str, str, str], str] = {
    ("nova", "nova.conf", "libvirt", "virt_type"):
        "each compute node chooses it from its own /dev/kvm, in /etc/nova/nova-compute.conf "
        "(read after nova.conf)",
}

FORM = "service -> file -> section -> option -> value"
# Section and option names: what oslo.config's own options use. No `[`, `]`, `=`, `:`,
# `#`, `;` or whitespace, any of which would end the name early or start a comment.
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")
# A path segment `pulumi config set --path` takes without brackets.
PLAIN_SEGMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")

Sections = Mapping[str, Mapping[str, str]]  # section -> option -> value (as written)


@dataclass(frozen=True)
class IniOverrides:
    """Validated overrides: (service, file) -> section -> option -> value as written."""

    files: Mapping[tuple[str, str], Sections] = field(default_factory=dict)

    def apply(self, service: str, path: str, text: str) -> str:
        """`text` of `service`'s INI file `path` with its overrides merged in."""
        name = posixpath.basename(path)
        if name not in FILES.get(service, ()):
            raise ValueError(f"{service}: {path} is not in ini_overrides.FILES; declare it "
                             "there so that its overrides are validated")
        return merge(text, self.files.get((service, name), {}))


def key_path(key: str, *segments: str) -> str:
    """`key.a["b.c"].d`: the syntax of `pulumi config set --path`, so an error names the
    exact place; odd names are JSON-quoted (escaped, never raw control characters)."""
    return key + "".join(f".{s}" if PLAIN_SEGMENT.match(s) else f"[{json.dumps(s)}]"
                         for s in segments)


def parse(key: str, raw: str) -> IniOverrides:
    """The config value (JSON, as Pulumi hands structured config to the program)."""
    try:
        value = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError:
        raise ConfigError(key, f"is not a mapping ({FORM}); write it as YAML in the stack "
                          "file or with `pulumi config set --path`") from None
    files: dict[tuple[str, str], Sections] = {}
    for service, by_file in _mapping(key, value).items():
        where = key_path(key, service)
        if service not in FILES:
            raise ConfigError(where, f"unknown service; overridable: {', '.join(FILES)}")
        for name, by_section in _mapping(where, by_file).items():
            at = key_path(key, service, name)
            if name not in FILES[service]:
                raise ConfigError(at, f"unknown file of {service}; its files: "
                                  f"{', '.join(FILES[service])} ({FORM})")
            sections: dict[str, dict[str, str]] = {}
            for section, options in _mapping(at, by_section).items():
                _check_name(key_path(key, service, name, section), section, "section")
                sections[section] = _options(key, (service, name, section), options)
            files[(service, name)] = sections
    return IniOverrides(files)


def _mapping(where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(where, f"must be a mapping ({FORM}), not {_kind(value)}")
    return value


def _options(key: str, at: tuple[str, str, str], value: Any) -> dict[str, str]:
    options = {}
    for option, raw in _mapping(key_path(key, *at), value).items():
        where = key_path(key, *at, option)
        _check_name(where, option, "option")
        if option in SECRET_OPTIONS:
            raise ConfigError(where, "holds a secret the lab generates; it cannot be "
                              "overridden (the credential is the lab's on both ends)")
        if (*at, option) in SHADOWED:
            raise ConfigError(where, f"would have no effect: {SHADOWED[(*at, option)]}")
        options[option] = _value(where, raw)
    return options


def _unprintable(text: str) -> tuple[int, str] | None:
    """The first control character, or line or paragraph separator (U+2028/9: a line
    break to Python's str.splitlines)."""
    return control_chars.first(text) or next(
        ((i, c) for i, c in enumerate(text) if unicodedata.category(c) in ("Zl", "Zp")), None)


def _check_name(where: str, name: str, what: str) -> None:
    found = _unprintable(name)
    if found:
        raise ConfigError(where, f"unprintable character {found[1]!r} at position "
                          f"{found[0]} of the {what} name; it would break the INI file")
    if not NAME.match(name):
        raise ConfigError(where, f"is not a usable {what} name: letters, digits and _ . - "
                          "only, not starting with . or - (a bracket, =, :, # or space would "
                          "break the INI file)")


def _value(where: str, raw: Any) -> str:
    """As oslo.config reads it: booleans lower case, numbers as written. Never echoed in
    an error (it may be a password someone meant to put elsewhere)."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ConfigError(where, "must be a finite number")
        return repr(raw)
    if not isinstance(raw, str):
        raise ConfigError(where, f"must be a string, number or boolean, not {_kind(raw)}")
    found = _unprintable(raw)
    if found:
        raise ConfigError(where, f"unprintable character {found[1]!r} at position "
                          f"{found[0]} of the value; an INI value is one line of printable "
                          "characters")
    if raw != raw.strip():
        raise ConfigError(where, "starts or ends with whitespace, which oslo.config drops; "
                          "remove it")
    return raw


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", str: "a string"}.get(type(value),
                                                                     type(value).__name__)


# --- merging ------------------------------------------------------------------------------

SECTION_LINE = re.compile(r"\[([^\]]*)\]\s*\Z")


def option_name(line: str) -> str | None:
    """The option a line sets, as oslo.config's parser splits it (at the first `=` or
    `:`); None for blank lines, comments, section headers and continuation lines."""
    if not line.strip() or line[0] in " \t#;[":
        return None
    cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
    return line[:cut].strip() if cut > 0 else None


def _line(option: str, value: str) -> str:
    return f"{option} = {value}" if value else f"{option} ="


def merge(text: str, overrides: Sections) -> str:
    """`text` (an INI file) with `overrides` (section -> option -> value) merged in."""
    if not any(overrides.values()):
        return text
    out: list[str] = []
    section: str | None = None
    end: dict[str, int] = {}  # overridden section -> index in `out` after its last option
    placed: dict[str, set[str]] = {s: set() for s in overrides}
    replaced = False  # inside the continuation lines of a replaced option
    # Lines as oslo.config reads them: split at "\n" only.
    for line in (text[:-1] if text.endswith("\n") else text).split("\n"):
        if line[:1] in (" ", "\t") and line.strip():  # continues the option above
            if not replaced:
                out.append(line)
                if section in end:
                    end[section] = len(out)
            continue
        replaced = False
        header = SECTION_LINE.match(line)
        if header:
            section = header[1]
            out.append(line)
            if section in overrides:
                end[section] = len(out)
            continue
        name = option_name(line)
        if section in overrides and name is not None:
            wanted = overrides[section]
            if name in wanted:
                replaced = True
                if name in placed[section]:
                    continue  # a repeated option: the override is its only value
                line = _line(name, wanted[name])
                placed[section].add(name)
            out.append(line)
            end[section] = len(out)
            continue
        out.append(line)
    for sec in sorted(end, key=end.__getitem__, reverse=True):
        out[end[sec]:end[sec]] = [_line(o, v) for o, v in sorted(overrides[sec].items())
                                  if o not in placed[sec]]
    new = [s for s in sorted(overrides) if s not in end and overrides[s]]
    if new:
        while out and not out[-1].strip():
            out.pop()
        for sec in new:
            out += ["", f"[{sec}]", *[_line(o, v) for o, v in sorted(overrides[sec].items())]]
    return "\n".join(out) + "\n"
