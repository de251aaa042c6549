"""Bench: the OpenStack install on the minimal lab for real — wall time of every install
phase (service component: first step started → last step done), the whole `up`, the DAG
(steps and depth), and a no-op `up` (which must run no remote command).

    .venv/bin/python bench/openstack_up.py [--stack dev] [--keep]   (exports of `make -s env`)

With --stack dev it measures the default lab (`make up` state); without --keep the stack
is destroyed at the end and leftovers are checked.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi import automation as auto  # noqa: E402

from labctl.leftovers import leftovers  # noqa: E402
from labctl.workspace import open_stack  # noqa: E402

COMMAND = "command:remote:Command"
OWN_CIDRS = {
    "openstack-lab:profile": "minimal",
    "openstack-lab:publicCidr": "10.30.2.0/24",
    "openstack-lab:managementCidr": "10.30.11.0/24",
    "openstack-lab:underlayCidr": "10.30.12.0/24",
    "openstack-lab:externalCidr": "10.30.16.0/24",
}


def phase_of(urn: str) -> str | None:
    """`openstack-<service>-<step>` → service, for install steps only."""
    name = urn.rsplit("::", 1)[1]
    if "::" + COMMAND not in urn.replace("$", "::") or not name.startswith("openstack-"):
        return None
    return name.removeprefix("openstack-").split("-", 1)[0]


class Timeline:
    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.started: dict[str, float] = {}
        self.done: dict[str, float] = {}
        self.ran = 0

    def on_event(self, event: auto.EngineEvent) -> None:
        now = round(time.monotonic() - self.t0, 1)
        pre, out = event.resource_pre_event, event.res_outputs_event
        if pre and pre.metadata.type == COMMAND and pre.metadata.op != auto.OpType.SAME:
            self.started[pre.metadata.urn] = now
            self.ran += 1
        if out and out.metadata.urn in self.started:
            self.done[out.metadata.urn] = now

    def phases(self) -> dict[str, dict[str, float]]:
        spans: dict[str, list[float]] = defaultdict(list)
        for urn, start in self.started.items():
            phase = phase_of(urn)
            if phase and urn in self.done:
                spans[phase] += [start, self.done[urn]]
        return {p: {"start_s": min(s), "end_s": max(s), "wall_s": round(max(s) - min(s), 1)}
                for p, s in sorted(spans.items(), key=lambda kv: min(kv[1]))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stack", default="bench-os")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    stack = open_stack(args.stack)
    if args.stack != "dev":
        stack.set_all_config({k: auto.ConfigValue(v) for k, v in OWN_CIDRS.items()})
    timeline = Timeline()
    result: dict = {"bench": "openstack_up", "stack": args.stack, "profile": "minimal"}
    try:
        stack.up(on_event=timeline.on_event, on_output=lambda line: None)
        result["up_s"] = round(time.monotonic() - timeline.t0, 1)
        result["steps_run"] = timeline.ran
        result["phases"] = timeline.phases()
        noop = Timeline()
        t = time.monotonic()
        summary = stack.up(on_event=noop.on_event).summary
        result["noop_up_s"] = round(time.monotonic() - t, 1)
        result["noop_steps_run"] = noop.ran
        result["noop_changes"] = summary.resource_changes
    finally:
        if not args.keep:
            t = time.monotonic()
            stack.destroy()
            result["destroy_s"] = round(time.monotonic() - t, 1)
            result["leftovers"] = leftovers(f"osl-{args.stack}-")
            stack.workspace.remove_stack(args.stack)
        print(json.dumps(result))


if __name__ == "__main__":
    main()
