#!/usr/bin/env bash
# `make test`: the fast tiers (unit, graph, render validation, real-engine toolchain).
# Extra arguments go to pytest (e.g. `-m e2e` for the slow tier).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
eval "$(lab_exports)"
cd "$REPO_ROOT"
# The slow tier only when asked for with -m: `scripts/test.sh -q tests/...` runs no e2e test
# (it once ran the checkpoint e2e against a lab that was busy converging).
case " $* " in
  *" -m "*) ;;
  *) set -- -m "not e2e" "$@" ;;
esac
exec "$VENV/bin/python" -m pytest "$@"
