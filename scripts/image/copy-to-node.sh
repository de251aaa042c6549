#!/usr/bin/env bash
# Copies a local image file to a lab node over SSH with the node's host key pinned (the
# amphora image on its way to Glance), directly or through the lab's jump host (metal:
# the metal host; gcp: the network node), whose host key is pinned too. The private keys
# arrive on stdin and live only in temporary 0600 files; the pinned known_hosts lines come
# as arguments. Skips the copy when the node already has a file of the same size and SHA-256.
#
#   copy-to-node.sh LOCAL_FILE NODE REMOTE_FILE NODE_KNOWN_HOSTS_LINE [JUMP JUMP_KNOWN_HOSTS_LINE]
#
# NODE and JUMP are USER@HOST, or USER@[HOST]:PORT off port 22 (as known_hosts writes the
# host). stdin: the node's private key; with JUMP, the jump host's private key after it.
# Remote paths are expanded here on purpose (they are ours, without spaces).
# shellcheck disable=SC2029
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

usage="usage: copy-to-node.sh LOCAL_FILE NODE REMOTE_FILE KNOWN_HOSTS_LINE [JUMP JUMP_KNOWN_HOSTS_LINE]"
local_file=${1:?$usage}
node=${2:?$usage}
remote_file=${3:?$usage}
known=${4:?$usage}
jump=${5:-}
[ -z "$jump" ] || jump_known=${6:?$usage}

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
umask 077
# One key after the other: the first ends at its `-----END ...` line.
awk -v node="$dir/key" -v jump="$dir/jump_key" \
  '{ print > (done ? jump : node) } /^-----END / { done = 1 }'
printf '%s\n' "$known" ${jump:+"$jump_known"} > "$dir/known_hosts"

# `Host ALIAS` for USER@HOST or USER@[HOST]:PORT, with its key (and its jump host).
host_entry() { # alias destination identity-file [proxy-jump]
  local user=${2%%@*} host=${2#*@} port=22
  if [[ $host =~ ^\[(.+)\]:([0-9]+)$ ]]; then
    host=${BASH_REMATCH[1]} port=${BASH_REMATCH[2]}
  fi
  local word='^[^][[:space:]]+$'  # no white space, no brackets
  [[ $2 == *@* && $user =~ $word && $host =~ $word ]] \
    || die "copy: $2 is not USER@HOST or USER@[HOST]:PORT"
  printf 'Host %s\n  HostName %s\n  Port %s\n  User %s\n  IdentityFile %s\n' \
    "$1" "$host" "$port" "$user" "$3"
  [ -z "${4:-}" ] || printf '  ProxyJump %s\n' "$4"
}
{
  if [ -n "$jump" ]; then
    grep -q '^-----BEGIN ' "$dir/jump_key" 2>/dev/null || die "copy: no private key for the jump host $jump on stdin"
    host_entry lab-jump "$jump" "$dir/jump_key"
    host_entry lab-node "$node" "$dir/key" lab-jump
  else
    host_entry lab-node "$node" "$dir/key"
  fi
  # Only the keys above, only the pinned host keys: nothing from ~/.ssh, no agent.
  printf 'Host *\n  IdentitiesOnly yes\n  IdentityAgent none\n  BatchMode yes\n'
  printf '  StrictHostKeyChecking yes\n  UserKnownHostsFile %s\n  GlobalKnownHostsFile none\n' \
    "$dir/known_hosts"
  printf '  ConnectTimeout 30\n'
} > "$dir/config"
ssh_node() { ssh -F "$dir/config" lab-node "$@"; }

where="$node${jump:+ through $jump}"
want=$(sha256sum "$local_file" | cut -d' ' -f1)
have=$(ssh_node "sha256sum '$remote_file' 2>/dev/null | cut -d' ' -f1" || true)
if [ "$have" = "$want" ]; then
  note "copy: $remote_file already on $where"
else
  start=$SECONDS
  ssh_node "mkdir -p '$(dirname "$remote_file")'"
  scp -q -F "$dir/config" "$local_file" "lab-node:$remote_file.part"
  ssh_node "mv -f '$remote_file.part' '$remote_file'"
  note "copy: $(du -h "$local_file" | cut -f1) to $where in $((SECONDS - start)) s"
fi
echo "$remote_file"
