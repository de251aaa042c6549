"""Bench: wall time to run the whole program under mocks (the graph a preview builds)
for the standard profile with 1, 8 and 32 compute nodes. Prints one JSON line per size.

    .venv/bin/python bench/mock_graph.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi  # noqa: E402

from tests.harness import install_mocks, run_main  # noqa: E402


def one_run(computes: int) -> tuple[float, int]:
    start = time.perf_counter()
    monitor = install_mocks({"profile": "standard", "computeCount": str(computes)})

    @pulumi.runtime.test
    def program():
        run_main()
        return pulumi.Output.from_input(0)

    program()
    return time.perf_counter() - start, len(monitor.registered)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for computes in (1, 8, 32):
        runs = [one_run(computes) for _ in range(args.repeat)]
        print(json.dumps({"bench": "mock_graph", "computes": computes,
                          "resources": runs[0][1],
                          "median_s": round(statistics.median(r[0] for r in runs), 4),
                          "max_s": round(max(r[0] for r in runs), 4)}))


if __name__ == "__main__":
    main()
