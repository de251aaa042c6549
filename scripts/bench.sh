#!/usr/bin/env bash
# `make bench`: the benchmarks in bench/, results as JSON lines in bench/results/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
eval "$(lab_exports)"
cd "$REPO_ROOT"
mkdir -p bench/results
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ).jsonl"
"$VENV/bin/python" bench/mock_graph.py | tee "$out"
step "bench: results in $out"
