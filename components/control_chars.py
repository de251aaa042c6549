"""Control characters (newline, tab, NUL, ESC, …) in values that end up in line-oriented
files and command lines: one newline is enough to add a directive to an SSH config or a
line to known_hosts, so the settings and the renderers both refuse them."""

from __future__ import annotations

import unicodedata


def first(value: str, allowed: str = "") -> tuple[int, str] | None:
    """The position and character of the first control character not in `allowed`."""
    for index, char in enumerate(value):
        if unicodedata.category(char) == "Cc" and char not in allowed:
            return index, char
    return None


def refuse(field: str, value: str) -> None:
    """For renderers: a ValueError naming the field (the value itself may be a secret)."""
    found = first(value)
    if found:
        raise ValueError(f"{field}: control character {found[1]!r} at position {found[0]}; "
                         "only printable characters may be written here")
