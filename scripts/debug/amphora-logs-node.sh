#!/usr/bin/env bash
# Run as root on a network node by amphora-logs.sh (on stdin, after AMPHORA_REPORT, the
# text of amphora-report.sh). The amphorae come from
# Octavia's database (an `openstack` call takes minutes on a busy TCG controller). Their
# host keys are new with every amphora: they are trusted on first use, in a known_hosts
# file of this script's own, never root's.
set -euo pipefail
: "${AMPHORA_REPORT:?amphora-logs.sh sets it}"
key=/etc/octavia/amphora_ssh
known=/var/lib/openstack-lab/amphora_known_hosts
[ -r "$key" ] || { echo "error: $key missing: is this a network node?" >&2; exit 1; }
amphorae=$(mysql -N -B octavia -e \
  "SELECT id, lb_network_ip, status FROM amphora WHERE status <> 'DELETED' AND lb_network_ip IS NOT NULL")
if [ -z "$amphorae" ]; then
  echo "no amphora with a management address"
  exit 0
fi
while read -r id ip status; do
  echo "=== amphora $id ($status) at $ip"
  # -n would close stdin: the report goes to the amphora on it
  ssh -i "$key" -o UserKnownHostsFile="$known" -o StrictHostKeyChecking=accept-new \
    -o ConnectTimeout=30 -o BatchMode=yes "debian@$ip" sudo bash -s <<<"$AMPHORA_REPORT" \
    || echo "(ssh to $ip failed: $?)"
done <<<"$amphorae"
