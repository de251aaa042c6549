"""Bench: one cold `make up`, from a machine with the toolchain built but no lab (no images,
no domains, no state) to SMOKE PASSED and then to the overlay's load balancer passing its
round-robin check. Runs the real `make up` with labctl's timing log
(OPENSTACK_LAB_TIMINGS) and reports one total and the phases: image builds, each node
ready, each install step's wall, the smoke check, the overlay.

    .venv/bin/python bench/cold_up.py [--stack dev] [--record] [--allow-warm]
    .venv/bin/python bench/cold_up.py --report TIMINGS.jsonl [--vip-watch VIP.json] [--record]
        (an earlier run; VIP.json: bench/vip_watch.py's line from beside it)

Refuses to start where a lab exists (its cached images, state or domains would make the
run warm) unless --allow-warm. --record appends the result to the tracked
bench/recorded.jsonl; the timing log and make's output stay in bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.record import append, commit  # noqa: E402
from labctl.timings import read  # noqa: E402

RESULTS = ROOT / "bench" / "results"
STEP = "command:remote:Command"
LOCAL = "command:local:Command"


def lab_home() -> Path:
    return Path(os.environ.get("OPENSTACK_LAB_HOME", Path.home() / ".openstack-lab"))


def warm_traces(stack: str) -> list[str]:
    """What would make the run warm (or fail on names already taken): cached images, the
    stack's state, any libvirt domain, volume, pool or network of its prefix."""
    found = [str(p) for p in (lab_home() / "images").glob("*.qcow2")]
    found += [str(p) for p in (lab_home() / "state").rglob(f"{stack}.json")]
    try:
        from labctl.leftovers import leftovers
        found += [f"{kind} {name}" for kind, names in leftovers(f"osl-{stack}").items()
                  for name in names]
    except (OSError, subprocess.SubprocessError):
        pass  # no libvirt yet: certainly no domain
    return found


def phases(records: list[dict], t0: float, underlay: str) -> dict:
    """Seconds from t0: when each phase ended, and how long each install step ran."""
    start = {r["urn"]: r["t"] for r in records if r["event"] == "start"}
    ended = {r["urn"]: (r["t"], r["event"]) for r in records if r["event"] in ("done", "failed")}

    def rel(t: float) -> float:
        return round(t - t0, 1)

    def wall(urn: str) -> float | None:
        return round(ended[urn][0] - start[urn], 1) if urn in start and urn in ended else None

    by_name = {r["name"]: r["urn"] for r in records}
    images = {n: wall(u) for n, u in by_name.items()
              if u.endswith(f"{LOCAL}::{n}") and n.endswith(("-resolve", "-build"))}
    ready = {n.removeprefix("underlay-").removesuffix("-ready-check"): rel(ended[u][0])
             for n, u in by_name.items() if n.endswith("-ready-check") and u in ended}
    steps = {n: {"wall_s": wall(u), "ended_s": rel(ended[u][0]) if u in ended else None,
                 "result": ended[u][1] if u in ended else "unfinished"}
             for n, u in by_name.items()
             if u.endswith(f"{STEP}::{n}") and n.startswith("openstack-")}
    smoke = next((rel(ended[u][0]) for n, u in by_name.items()
                  if n == "openstack-smoke-check" and ended.get(u, (0, ""))[1] == "done"), None)
    underlay_end = max((r["t"] for r in records if r["stack"] == underlay), default=t0)
    overlay = [r for r in records if r["stack"] != underlay]
    lb = next((rel(r["t"]) for r in overlay if r["event"] == "done"
               and r["type"] == "openstack:loadbalancer/loadBalancer:LoadBalancer"), None)
    vip = next((rel(r["t"]) for r in overlay if r["event"] == "done"
                and r["type"] == LOCAL and r["name"].endswith("-check-run")), None)
    return {
        "images_s": images, "nodes_ready_s": ready, "smoke_passed_s": smoke,
        "underlay_up_s": rel(underlay_end),
        "install_steps": dict(sorted(steps.items(), key=lambda kv: kv[1]["ended_s"] or 1e9)),
        "overlay": {"started_s": rel(min(r["t"] for r in overlay)) if overlay else None,
                    "lb_active_s": lb, "vip_check_passed_s": vip,
                    "overlay_up_s": rel(max(r["t"] for r in overlay)) if overlay else None},
        "failed": sorted(r["name"] for r in records if r["event"] == "failed"),
    }


def first_vip_200(watched: dict, t0: float) -> float | None:
    """Seconds from t0 to the VIP's first 200, from bench/vip_watch.py's line (epoch times),
    which watched the run from another process."""
    t = watched.get("first_vip_200_t")
    return round(t - t0, 1) if t else None


def table(result: dict) -> str:
    lines = [f"cold make up: {result['total_s']} s (exit {result['exit']}); "
             f"SMOKE PASSED at {result['smoke_passed_s']} s"]
    lines += [f"  image {n}: {s} s" for n, s in result["images_s"].items()]
    lines += [f"  ready {n}: at {s} s" for n, s in result["nodes_ready_s"].items()]
    lines.append(f"  {'install step':<52} {'wall s':>8} {'ended at':>9}")
    for name, step in result["install_steps"].items():
        lines.append(f"  {name:<52} {step['wall_s'] or '-':>8} {step['ended_s'] or '-':>9}"
                     f"{'' if step['result'] == 'done' else '  ' + step['result']}")
    lines.append(f"  overlay: {result['overlay']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--allow-warm", action="store_true")
    parser.add_argument("--report", type=Path, help="summarize an earlier run's timing log")
    parser.add_argument("--vip-watch", type=Path,
                        help="bench/vip_watch.py's output beside the run: adds the first VIP 200")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.report:
        logged = read(args.report)
        meta = next((r for r in logged if r.get("event") == "bench"), {})
        records = [r for r in logged if r.get("event") != "bench"]
        t0, code, total = meta.get("t0", records[0]["t"]), meta.get("exit"), meta.get("total_s")
        ran_at = meta.get("commit")
    else:
        traces = warm_traces(args.stack)
        if traces and not args.allow_warm:
            print("cold_up: not cold, these exist (make down; rm the images) or pass "
                  "--allow-warm:\n  " + "\n  ".join(traces), file=sys.stderr)
            return 2
        stamp = time.strftime("%Y%m%dT%H%M%S")
        timings = RESULTS / f"cold_up-{stamp}.timings.jsonl"
        log = RESULTS / f"cold_up-{stamp}.log"
        print(f"cold_up: make up → {log} (timings {timings})", file=sys.stderr)
        t0, ran_at = time.time(), commit()
        with log.open("w") as out:
            code = subprocess.run(["make", "up", f"STACK={args.stack}"], cwd=ROOT, stdout=out,
                                  stderr=subprocess.STDOUT,
                                  env={**os.environ, "OPENSTACK_LAB_TIMINGS": str(timings)}
                                  ).returncode
        total = round(time.time() - t0, 1)
        with timings.open("a") as stream:
            stream.write(json.dumps({"event": "bench", "t0": t0, "exit": code,
                                     "total_s": total, "commit": ran_at}) + "\n")
        records = [r for r in read(timings) if r.get("event") != "bench"]
    result = {"bench": "cold_up", "commit": ran_at or commit(), "stack": args.stack,
              "host_cpus": os.cpu_count(), "total_s": total, "exit": code,
              **phases(records, t0, args.stack)}
    if args.vip_watch:
        watched = json.loads(args.vip_watch.read_text().strip().splitlines()[-1])
        result["overlay"]["first_vip_200_s"] = first_vip_200(watched, t0)
    print(table(result), file=sys.stderr)
    print(json.dumps(result))
    if args.record:
        append(result)
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
