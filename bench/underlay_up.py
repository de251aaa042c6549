"""Bench: the minimal underlay on this machine for real — seconds from `pulumi up` to each
node's readiness check, the whole `up`, a no-op `up`, and `destroy` (which must leave
nothing). Uses its own stack and address ranges, so it can run beside the dev lab.

    .venv/bin/python bench/underlay_up.py          (with the exports of `make -s env`)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi import automation as auto  # noqa: E402

from labctl.leftovers import leftovers  # noqa: E402
from labctl.workspace import open_stack  # noqa: E402

STACK = "bench"
CONFIG = {
    "openstack-lab:profile": "minimal",
    "openstack-lab:install": "none",  # nodes only: bench/openstack_up.py measures the install
    "openstack-lab:publicCidr": "10.30.2.0/24",
    "openstack-lab:managementCidr": "10.30.11.0/24",
    "openstack-lab:underlayCidr": "10.30.12.0/24",
    "openstack-lab:externalCidr": "10.30.16.0/24",
}


def main() -> None:
    stack = open_stack(STACK)
    stack.set_all_config({k: auto.ConfigValue(v) for k, v in CONFIG.items()})
    ready_at: dict[str, float] = {}
    start = time.monotonic()

    def on_event(event: auto.EngineEvent) -> None:
        done = event.res_outputs_event
        if done and done.metadata.urn.endswith("-ready-check"):
            node = done.metadata.urn.rsplit("::", 1)[1].removeprefix("underlay-")
            ready_at[node.removesuffix("-ready-check")] = round(time.monotonic() - start, 1)

    try:
        stack.up(on_event=on_event)
        up_s = time.monotonic() - start
        t = time.monotonic()
        noop = stack.up()
        noop_s = time.monotonic() - t
    finally:
        t = time.monotonic()
        stack.destroy()
        destroy_s = time.monotonic() - t
        left = leftovers(f"osl-{STACK}-")
        stack.workspace.remove_stack(STACK)
    print(json.dumps({"bench": "underlay_up", "profile": "minimal", "up_s": round(up_s, 1),
                      "ready_s": ready_at, "noop_up_s": round(noop_s, 1),
                      "noop_changes": noop.summary.resource_changes,
                      "destroy_s": round(destroy_s, 1), "leftovers": left}))


if __name__ == "__main__":
    main()
