#!/usr/bin/env bash
# Run as root on a lab node by labctl/secret_scan.py: the files under the step logs and
# step scripts, and this boot's journal, that contain any of the patterns in $1 (one a
# line, fixed strings). Prints only file names (`hit FILE`), never what matched; removes
# the pattern file whatever happens.
set -euo pipefail
patterns=${1:?usage: node-scan.sh PATTERN_FILE}
trap 'rm -f "$patterns"' EXIT
for dir in /var/log/openstack-lab /var/lib/openstack-lab/steps; do
  [ -d "$dir" ] || continue
  grep -rlF -f "$patterns" "$dir" | sed 's/^/hit /' || true
done
if command -v journalctl >/dev/null; then
  # grep -c reads the whole journal (grep -q would stop early and fail the pipe).
  found=$(journalctl -b --no-pager -q | grep -cF -f "$patterns" || true)
  if [ "${found:-0}" -gt 0 ]; then echo "hit journal"; fi
fi
echo "scanned $(hostname)"
