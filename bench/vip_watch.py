"""Bench helper: when the overlay's VIP first answers HTTP 200, watched from beside a run
that is not this program's own (a cold `make up`, whose engine runs in another process).
It reads the overlay stack's state file, which the file backend rewrites after every
resource, until the VIP's floating IP has an address, then polls that address.

    .venv/bin/python bench/vip_watch.py [--stack dev-overlay] [--timeout SECONDS]

Prints one JSON line with epoch times (vip_known_t, first_vip_200_t), to be set against
the run's own t0 (cold_up's timing log holds it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
import urllib.request
from pathlib import Path

# The load balancer's floating IP: the VIP as the host reaches it.
VIP_FLOATING_IP = "web-lb-vip"
FLOATING_IP = "openstack:networking/floatingIp:FloatingIp"


def state_files(home: Path, stack: str) -> list[Path]:
    return [p for p in (home / "state").rglob(f"{stack}.json*")
            if p.name in (f"{stack}.json", f"{stack}.json.gz")]


def vip_address(state: Path) -> str | None:
    """The VIP's floating IP address in a state file, None while it has none (or while
    the file is being rewritten)."""
    try:
        raw = state.read_bytes()
        document = json.loads(gzip.decompress(raw) if state.suffix == ".gz" else raw)
    except (OSError, ValueError, EOFError):
        return None
    resources = (document.get("checkpoint", {}).get("latest") or {}).get("resources") or []
    for resource in resources:
        if resource.get("type") == FLOATING_IP and resource.get("urn", "").endswith(
                f"::{VIP_FLOATING_IP}"):
            return (resource.get("outputs") or {}).get("address") or None
    return None


def answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


def watch(home: Path, stack: str, deadline: float, pause: float = 2.0) -> dict:
    result: dict = {"bench": "vip_watch", "stack": stack, "vip": None,
                    "vip_known_t": None, "first_vip_200_t": None}
    while time.time() < deadline and result["first_vip_200_t"] is None:
        if result["vip"] is None:
            result["vip"] = next(filter(None, map(vip_address, state_files(home, stack))), None)
            if result["vip"]:
                result["vip_known_t"] = round(time.time(), 1)
        elif answers_200(f"http://{result['vip']}/"):
            result["first_vip_200_t"] = round(time.time(), 1)
            break
        time.sleep(pause)
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stack", default="dev-overlay")
    parser.add_argument("--timeout", type=float, default=4 * 3600)
    args = parser.parse_args()
    home = Path(os.environ.get("OPENSTACK_LAB_HOME", Path.home() / ".openstack-lab"))
    result = watch(home, args.stack, time.time() + args.timeout)
    print(json.dumps(result), flush=True)
    return 0 if result["first_vip_200_t"] else 1


if __name__ == "__main__":
    sys.exit(main())
