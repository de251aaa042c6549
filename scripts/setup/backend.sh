#!/usr/bin/env bash
# Local file state backend and the passphrase that encrypts the dev stacks' secrets.
# The passphrase is generated once, kept 0600 outside git and never printed.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

mkdir -p "$LAB_STATE_DIR" "$LAB_PULUMI_HOME"
if [ ! -s "$LAB_PASSPHRASE_FILE" ]; then
  step "backend: generating the stack passphrase in $LAB_PASSPHRASE_FILE"
  (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n=' > "$LAB_PASSPHRASE_FILE")
fi
chmod 600 "$LAB_PASSPHRASE_FILE"
note "backend: file://$LAB_STATE_DIR"
