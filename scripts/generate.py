"""Regenerate the files derived from the settings model: Pulumi.yaml's `config:` block.

Run `.venv/bin/python scripts/generate.py`; tests fail when a generated file drifts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from components import config  # noqa: E402

MARKER = "# Generated from components/config.py (KEYS) by scripts/generate.py.\n"


def config_block() -> dict:
    """Keys with a default only: the CLI treats a declared key without one as required,
    while most of ours are optional or required only for one underlay (the settings check
    those and name them)."""
    block = {}
    for key in config.KEYS:
        if key.default is None:
            continue
        entry: dict = {"type": key.type, "description": key.help}
        if key.default is not None:
            entry["default"] = int(key.default) if key.type == "integer" else key.default
        if key.secret:
            entry["secret"] = True
        block[key.name] = entry
    return {"config": block}


def pulumi_yaml(current: str) -> str:
    head = current.split("# Generated from")[0].split("\nconfig:")[0].rstrip("\n") + "\n"
    optional = ", ".join(k.name for k in config.KEYS if k.default is None)
    note = f"# Also read (no default, so not declared here): {optional}.\n"
    return head + MARKER + note + yaml.safe_dump(config_block(), sort_keys=False, width=100)


def main() -> None:
    path = REPO_ROOT / "Pulumi.yaml"
    path.write_text(pulumi_yaml(path.read_text()))


if __name__ == "__main__":
    main()
