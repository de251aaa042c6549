#!/usr/bin/env bash
# Run as root in an amphora by amphora-logs-node.sh (on stdin): its failed units, the
# journals of the agent, of both netns units and of each load balancer's haproxy unit,
# and haproxy's own log. Reads only.
set -euo pipefail
# Each probe below may fail (a unit or log that does not exist yet): report and go on.
systemctl --no-pager --failed || true
units=(octavia-agent octavia-agent-netns amphora-netns)
mapfile -t -O ${#units[@]} units < <(systemctl list-units --all --plain --no-legend 'haproxy-*' |
  cut -d' ' -f1 || true)
for unit in "${units[@]}"; do
  echo "--- journal of $unit"
  journalctl -b --no-pager -q -n 80 -u "$unit" || true
done
echo "--- /var/log/haproxy.log"
tail -n 40 /var/log/haproxy.log 2>/dev/null || echo "(none)"
echo "--- ip netns exec amphora-haproxy ip -br addr"
ip netns exec amphora-haproxy ip -br addr 2>&1 || true
