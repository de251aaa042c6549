#!/usr/bin/env bash
# What each amphora of a lab says about itself: its failed units, the journal of the
# agent, its netns units and the load balancers' haproxy units, and haproxy's own log.
# Runs on the machine that ran `make up`, through the stack's SSH files, on the node
# that holds o-hm0 (the controller in the minimal profile), which reaches every amphora
# on lb-mgmt-net with Octavia's amphora key. Read-only on the amphorae.
#
#   scripts/debug/amphora-logs.sh [STACK [NODE]]     (defaults: dev, controller)
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
eval "$(lab_exports)"

stack=${1:-dev}
node=${2:-controller}
config=$OPENSTACK_LAB_HOME/ssh/$stack/config
[ -f "$config" ] || die "amphora-logs: no SSH files for stack $stack ($config): run make up first"
step "amphora-logs: the amphorae of $stack, seen from $node"
here=$(dirname "$0")
# One stream: the amphora's report as a variable, then the node's part that sends it on.
{
  # shellcheck disable=SC2016 # the node expands it, not this shell
  printf 'AMPHORA_REPORT=$(cat <<'"'"'OSL_AMPHORA_REPORT'"'"'\n'
  cat "$here/amphora-report.sh"
  printf 'OSL_AMPHORA_REPORT\n)\n'
  cat "$here/amphora-logs-node.sh"
} | ssh -F "$config" "$node" sudo bash -s
