"""Bench: the overlay on the running lab for real — when each server and the load
balancer became ACTIVE (the provider returns only then), when the VIP first answered
HTTP 200 (polled from here as soon as the VIP address is known), when the round-robin
check passed, and a no-op `up`.

    .venv/bin/python bench/overlay_up.py [--stack dev-overlay] [--destroy]

Needs the underlay up (`make up` or `scripts/lab.sh up dev`); prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi import automation as auto  # noqa: E402

from bench.vip_watch import VIP_FLOATING_IP  # noqa: E402  (the VIP as the host reaches it)
from labctl.workspace import open_stack  # noqa: E402

WATCHED = {
    "openstack:compute/instance:Instance": "server",
    "openstack:loadbalancer/loadBalancer:LoadBalancer": "lb",
    "openstack:loadbalancer/listener:Listener": "listener",
    "openstack:loadbalancer/pool:Pool": "pool",
    "openstack:loadbalancer/member:Member": "member",
    "openstack:loadbalancer/monitor:Monitor": "monitor",
    "command:local:Command": "command",
    "openstack:networking/floatingIp:FloatingIp": "floating-ip",
}


class Timeline:
    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.marks: dict[str, float] = {}
        self.first_vip_200: float | None = None

    def now(self) -> float:
        return round(time.monotonic() - self.t0, 1)

    def on_event(self, event: auto.EngineEvent) -> None:
        out = event.res_outputs_event
        if not out or out.metadata.type not in WATCHED:
            return
        name = out.metadata.urn.rsplit("::", 1)[1]
        self.marks[f"{WATCHED[out.metadata.type]}:{name}"] = self.now()
        outputs = (out.metadata.new.outputs or {}) if out.metadata.new else {}
        vip = outputs.get("address") if name == VIP_FLOATING_IP else None
        if vip:
            threading.Thread(target=self.poll, args=(f"http://{vip}/",), daemon=True).start()

    def poll(self, url: str) -> None:
        while self.first_vip_200 is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    if answer.status == 200:
                        self.first_vip_200 = self.now()
            except OSError:
                time.sleep(2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stack", default="dev-overlay")
    parser.add_argument("--destroy", action="store_true")
    args = parser.parse_args()
    stack = open_stack(args.stack)
    timeline = Timeline()
    result: dict = {"bench": "overlay_up", "stack": args.stack}
    try:
        stack.up(on_event=timeline.on_event, on_output=print)
        result["up_s"] = timeline.now()
        t = time.monotonic()
        summary = stack.up().summary
        result["noop_up_s"] = round(time.monotonic() - t, 1)
        result["noop_changes"] = summary.resource_changes
    finally:
        # Also after a failed or interrupted up: how far it got, and when.
        result["marks_s"] = dict(sorted(timeline.marks.items(), key=lambda kv: kv[1]))
        result["lb_active_s"] = next((t for k, t in timeline.marks.items()
                                      if k.startswith("lb:")), None)
        result["first_vip_200_s"] = timeline.first_vip_200
        if args.destroy:
            t = time.monotonic()
            stack.destroy()
            result["destroy_s"] = round(time.monotonic() - t, 1)
        print(json.dumps(result))


if __name__ == "__main__":
    main()
