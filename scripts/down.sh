#!/usr/bin/env bash
# `make down`: destroy the lab, its overlay stack first (tenant resources and amphorae
# live on the underlay's cloud), then the underlay stack.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
stack=${1:-dev}
overlay=$(overlay_of "$stack")
if [ -n "$overlay" ]; then
  step "down: the overlay $overlay first"
  "$(dirname "$0")/lab.sh" destroy "$overlay"
fi
exec "$(dirname "$0")/lab.sh" destroy "$stack"
