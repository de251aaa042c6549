#!/usr/bin/env bash
# Run one Pulumi operation on a stack of this project with the project's toolchain and
# state: scripts/lab.sh preview|up|destroy|outputs STACK
set -euo pipefail
source "$(dirname "$0")/lib.sh"
eval "$(lab_exports)"
cd "$REPO_ROOT"
exec "$VENV/bin/python" -m labctl "$@"
