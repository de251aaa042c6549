#!/usr/bin/env bash
# Everything `make up` and `make test` need on a fresh machine, one concern per script.
# Each step is idempotent and quick when already done.
set -euo pipefail
here=$(dirname "$0")/setup
start=$SECONDS
"$here/apt.sh"
"$here/venv.sh"
"$here/backend.sh"
"$here/toolchain.sh"
"$here/linters.sh"
"$here/daemons.sh"
printf '==> setup done in %d s\n' $((SECONDS - start)) >&2
