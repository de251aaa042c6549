"""What every bench puts beside its figures: the commit it measured, and the line it
appends to the tracked bench/recorded.jsonl when asked to record."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDED = ROOT / "bench" / "recorded.jsonl"


def commit() -> str:
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
                          capture_output=True, text=True).stdout.strip()


def append(result: dict, recorded: Path = RECORDED) -> None:
    with recorded.open("a") as stream:
        stream.write(json.dumps(result) + "\n")
