"""Bench: one step's services restarted one after the other (what `converge` does today)
against all in one `systemctl restart` (systemd starts them side by side), on a converged
node: seconds until every unit is active again and, where given, its API answers.

    .venv/bin/python bench/restart_together.py [--stack dev] [--node controller]
        [--units nova-api nova-api-metadata nova-conductor nova-scheduler nova-novncproxy]
        [--url http://192.168.1.11:8774/] [--rounds 1] [--record]

Restarts real services of the lab (they come back by themselves); needs its SSH files.
Prints one JSON line; --record appends it to bench/recorded.jsonl.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.record import append, commit  # noqa: E402
from components.paths import ssh_dir  # noqa: E402

NOVA = ["nova-api", "nova-api-metadata", "nova-conductor", "nova-scheduler", "nova-novncproxy"]
# On the node: restart (one by one, or all at once), then wait for every unit and the URL.
PROBE = ROOT / "bench" / "restart_together.sh"


def run(stack: str, node: str, mode: str, url: str, units: list[str]) -> float:
    done = subprocess.run(
        ["ssh", "-F", str(ssh_dir(stack) / "config"), node, "sudo", "bash", "-s", "--",
         mode, url or "''", *units],
        input=PROBE.read_text(), capture_output=True, text=True, timeout=7200, check=True)
    return float(done.stdout.split("seconds", 1)[1].split()[0])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--node", default="controller")
    parser.add_argument("--units", nargs="+", default=NOVA)
    parser.add_argument("--url", default="", help="an API the units serve, e.g. nova's "
                        "internal URL (its uwsgi answers after the unit is active)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    figures: dict[str, list[float]] = {"sequential_s": [], "together_s": []}
    for _ in range(args.rounds):
        for mode in ("sequential", "together"):
            seconds = run(args.stack, args.node, mode, args.url, args.units)
            figures[f"{mode}_s"].append(round(seconds, 1))
            print(f"{mode}: {seconds:.1f} s", file=sys.stderr)
    result = {"bench": "restart_together", "commit": commit(), "stack": args.stack,
              "node": args.node, "units": args.units, "url": args.url, **figures}
    print(json.dumps(result))
    if args.record:
        append(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
