#!/usr/bin/env bash
# The overlay's volume check: the guest lists a disk other than its root disk with the
# volume's size in DISKS_URL (the web server's /disks: `NAME BYTES` lines), within
# ATTEMPTS tries INTERVAL seconds apart. Prints the disk's line on stdout.
#
# Environment: DISKS_URL, SIZE_BYTES, ROOT_DISK (default vda), ATTEMPTS (default 60),
# INTERVAL (default 10); VIA_SSH_CONFIG + VIA_SSH_HOST to ask from a jump host.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

: "${DISKS_URL:?DISKS_URL is required}" "${SIZE_BYTES:?SIZE_BYTES is required}"
ROOT_DISK=${ROOT_DISK:-vda}
ATTEMPTS=${ATTEMPTS:-60}
INTERVAL=${INTERVAL:-10}

get() {
  if [ -n "${VIA_SSH_HOST:-}" ]; then
    ssh -F "$VIA_SSH_CONFIG" "$VIA_SSH_HOST" curl -fsS -m 5 "$DISKS_URL"
  else
    curl -fsS -m 5 "$DISKS_URL"
  fi
}

step "check-disk: $DISKS_URL must list a disk of $SIZE_BYTES bytes besides $ROOT_DISK"
start=$SECONDS
for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
  disks=$(get 2>/dev/null) || disks=""
  found=$(awk -v root="$ROOT_DISK" -v size="$SIZE_BYTES" \
    '$1 != root && $2 == size { print; exit }' <<<"$disks")
  if [ -n "$found" ]; then
    note "check-disk: the volume is $found after $((SECONDS - start)) s"
    echo "$found"
    exit 0
  fi
  note "check-disk: attempt $attempt/$ATTEMPTS: $(tr '\n' ' ' <<<"${disks:-(no answer)}")"
  sleep "$INTERVAL"
done
die "check-disk: no disk of $SIZE_BYTES bytes besides $ROOT_DISK in $DISKS_URL after $ATTEMPTS attempts (last: ${disks:-no answer})"
