#!/bin/sh
# Run as root on a lab node by labctl/secret_scan.py: the files under the step logs and
# step scripts, and this boot's journal, that contain any of the patterns in $1 (one a
# line, fixed strings). Prints only file names (`hit FILE`), never what matched; removes
# the pattern file whatever happens.
set -eu
patterns=${1:?usage: node-scan.sh PATTERN_FILE}
trap 'rm -f "$patterns"' EXIT
for dir in /var/log/openstack-lab /var/lib/openstack-lab/steps; do
  [ -d "$dir" ] || continue
  grep -rlF -f "$patterns" "$dir" | sed 's/^/hit /' || true
done
if command -v journalctl >/dev/null && journalctl -b --no-pager -q | grep -qF -f "$patterns"; then
  echo "hit journal"
fi
echo "scanned $(hostname)"
