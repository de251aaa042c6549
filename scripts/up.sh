#!/usr/bin/env bash
# `make up`: bring up the default lab, or say exactly what this machine still lacks.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
stack=${1:-dev}

# The plugins this stack's layer needs (the language host is not needed: labctl runs the
# program in-process).
needed=(command libvirt)
if grep -qE '^\s*openstack-lab:layer:\s*overlay\s*$' "$REPO_ROOT/Pulumi.$stack.yaml" 2>/dev/null; then
  needed=(openstack)
fi
missing=()
if [ "$(toolchain_mode)" = built ]; then
  for name in "${needed[@]}"; do
    [ -e "$LAB_TOOLCHAIN_DIR/unavailable/$name" ] && missing+=("$LAB_TOOLCHAIN_DIR/unavailable/$name")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  step "up: the toolchain is ready, but stack $stack needs provider plugins this machine cannot build:"
  for f in "${missing[@]}"; do note "$(basename "$f"): $(cat "$f")"; done
  note "Put the plugin binaries on PATH (pulumi-resource-<name>) or install them with"
  note "'pulumi plugin install resource <name> <version> --file <binary>', then run 'make up' again."
  note "Meanwhile 'make test' exercises the lab's resource graph under mocks."
  exit 3
fi
exec "$(dirname "$0")/lab.sh" up "$stack"
