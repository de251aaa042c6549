#!/usr/bin/env bash
# `make test`: the fast tiers (unit, graph, render validation, real-engine toolchain).
# Extra arguments go to pytest (e.g. `-m e2e` for the slow tier).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
eval "$(lab_exports)"
cd "$REPO_ROOT"
if [ $# -eq 0 ]; then set -- -m "not e2e"; fi
exec "$VENV/bin/python" -m pytest "$@"
