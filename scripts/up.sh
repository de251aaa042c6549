#!/usr/bin/env bash
# `make up`: bring up the default lab (the underlay stack, then its overlay stack
# Pulumi.<stack>-overlay.yaml where there is one), or say exactly what this machine lacks.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
stack=${1:-dev}
overlay=$(overlay_of "$stack")

# The plugins this stack's layer needs (the language host is not needed: labctl runs the
# program in-process).
needed=(command libvirt)
if is_overlay "$stack"; then
  needed=(command openstack)
elif [ -n "$overlay" ]; then
  needed+=(openstack)
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
"$(dirname "$0")/lab.sh" up "$stack"
if [ -n "$overlay" ]; then
  step "up: the underlay $stack is up; now its overlay $overlay (tenant, web servers, load balancer)"
  "$(dirname "$0")/lab.sh" up "$overlay"
fi
# A local lab keeps an automatic checkpoint of what this `up` converged to (saved anew only
# when something changed): nodes killed later come back from it in minutes (labctl up).
"$(dirname "$0")/lab.sh" checkpoint auto "$stack"
