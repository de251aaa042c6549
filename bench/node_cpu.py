"""Bench: where the nodes' CPU goes, per systemd unit. `--since-boot` reads what every unit
used since the node booted (on a fresh lab: the whole install); `--idle SECONDS` reads twice
and reports what each used in between (a converged lab doing nothing). The install steps
run in SSH sessions, so their commands (apt, *-manage, the CLI) add up in user.slice;
systemd's own work (daemon-reload and its generators) in init.scope.

    .venv/bin/python bench/node_cpu.py [--stack dev] (--since-boot | --idle 600) [--top 12]

Needs the lab's SSH files (`make up` writes them). Prints a table per node on stderr and
one JSON line.
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

from components.paths import ssh_dir  # noqa: E402

PROBE = ROOT / "bench" / "node_cpu.sh"


def parse(text: str) -> dict:
    units, total = {}, {}
    for line in text.splitlines():
        parts = line.split()
        if parts[:1] == ["cg"] and len(parts) == 3 and parts[1].isdigit():
            unit = parts[2] if parts[2] == "system.slice" else parts[2].removeprefix("system.slice/")
            units[unit] = int(parts[1]) / 1e6
        elif parts[:1] == ["total"] and len(parts) == 3:
            total = {"busy_s": float(parts[1]), "uptime_s": float(parts[2])}
    return {"units": units, **total}


def sample(config: Path, node: str) -> dict:
    done = subprocess.run(["ssh", "-F", str(config), node, "sudo", "sh", "-s"],
                          stdin=PROBE.open(), capture_output=True, text=True, timeout=600,
                          check=True)
    return parse(done.stdout)


def delta(before: dict, after: dict) -> dict:
    return {"units": {u: after["units"][u] - before["units"].get(u, 0.0)
                      for u in after["units"]},
            "busy_s": after["busy_s"] - before["busy_s"],
            "uptime_s": after["uptime_s"] - before["uptime_s"]}


def top(reading: dict, count: int) -> dict:
    ranked = sorted(reading["units"].items(), key=lambda kv: -kv[1])[:count]
    return {"busy_s": round(reading["busy_s"], 1), "wall_s": round(reading["uptime_s"], 1),
            "units_cpu_s": {u: round(s, 1) for u, s in ranked}}


def nodes_of(config: Path) -> list[str]:
    return [line.split()[1] for line in config.read_text().splitlines()
            if line.startswith("Host ") and line.split()[1] not in ("*", "lab-jump")]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stack", default="dev")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--since-boot", action="store_true")
    mode.add_argument("--idle", type=int, metavar="SECONDS")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--ssh-config", type=Path, help="default: the stack's, from make up")
    args = parser.parse_args()
    config = args.ssh_config or ssh_dir(args.stack) / "config"
    if not config.exists():
        print(f"node_cpu: {config} missing: bring the lab up first", file=sys.stderr)
        return 2
    nodes = nodes_of(config)
    first = {n: sample(config, n) for n in nodes}
    if args.idle:
        time.sleep(args.idle)
        readings = {n: delta(first[n], sample(config, n)) for n in nodes}
    else:
        readings = first
    result = {"bench": "node_cpu", "stack": args.stack,
              "mode": f"idle {args.idle} s" if args.idle else "since boot",
              "nodes": {n: top(r, args.top) for n, r in readings.items()}}
    for node, r in result["nodes"].items():
        print(f"{node}: {r['busy_s']} CPU s busy in {r['wall_s']} s", file=sys.stderr)
        for unit, seconds in r["units_cpu_s"].items():
            print(f"  {seconds:>9.1f}  {unit}", file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
