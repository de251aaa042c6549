#!/usr/bin/env bash
# Print the exports for running the project's pulumi by hand: eval "$(make -s env)".
# The passphrase itself is never printed, only the path of its 0600 file.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
lab_exports
