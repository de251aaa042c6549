#!/usr/bin/env bash
# Run as root on a node by bench/restart_together.py (on stdin): MODE URL UNIT...; restarts
# the units one by one (sequential) or in one systemctl call (together), waits until each
# is active and URL (if not empty) answers, and prints the seconds that took.
set -euo pipefail
mode=$1 url=$2
shift 2
start=$(date +%s.%N)
if [ "$mode" = sequential ]; then
  for u in "$@"; do systemctl restart "$u"; done
else
  systemctl restart "$@"
fi
for u in "$@"; do
  until systemctl is-active --quiet "$u"; do sleep 1; done
done
if [ -n "$url" ]; then
  until code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url") &&
    [ "$code" -ge 200 ] && [ "$code" -lt 500 ]; do sleep 1; done
fi
end=$(date +%s.%N)
awk -v a="$start" -v b="$end" 'BEGIN { printf "seconds %.1f\n", b - a }'
