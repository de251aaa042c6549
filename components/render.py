"""Templates under templates/, rendered strictly: a missing variable is an error, never an
empty string in a config file."""

from __future__ import annotations

import shlex
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    # For values from settings in shell scripts: double quotes would still expand $ and `.
    env.filters["shquote"] = shlex.quote
    return env


def render(name: str, **context: Any) -> str:
    return _environment().get_template(name).render(**context)
