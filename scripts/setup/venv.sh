#!/usr/bin/env bash
# The project's virtualenv with the pinned Python dependencies; re-installs only when
# requirements.txt changed.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

stamp="$VENV/.requirements.sha256"
want=$(sha256sum "$REPO_ROOT/requirements.txt" | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  note "venv: up to date"
  exit 0
fi

step "venv: installing pinned Python dependencies (pulumi-gcp alone is ~300 MiB; a few minutes)"
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$REPO_ROOT/requirements.txt"
echo "$want" > "$stamp"
