#!/usr/bin/env bash
# `make bench`: the benchmarks in bench/, results as JSON lines in bench/results/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
eval "$(lab_exports)"
cd "$REPO_ROOT"
mkdir -p bench/results
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ).jsonl"
"$VENV/bin/python" bench/mock_graph.py | tee "$out"
# The real underlay takes minutes under TCG: only when asked (BENCH_REAL=1 make bench).
if [ "${BENCH_REAL:-0}" = 1 ]; then
  "$VENV/bin/python" bench/underlay_up.py | tee -a "$out"
fi
step "bench: results in $out"
