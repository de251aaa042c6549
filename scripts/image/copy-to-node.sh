#!/usr/bin/env bash
# Copies a local image file to a lab node over SSH with the node's host key pinned (the
# amphora image on its way to Glance). The operator's private key arrives on stdin and
# lives only in a temporary 0600 file; the pinned known_hosts line comes as an argument.
# Skips the copy when the node already has a file of the same size and SHA-256.
#
#   copy-to-node.sh LOCAL_FILE USER@HOST REMOTE_FILE KNOWN_HOSTS_LINE   (key on stdin)
# Remote paths are expanded here on purpose (they are ours, without spaces).
# shellcheck disable=SC2029
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

local_file=${1:?usage: copy-to-node.sh LOCAL_FILE USER@HOST REMOTE_FILE KNOWN_HOSTS_LINE}
target=${2:?user@host}
remote_file=${3:?remote file}
known=${4:?known_hosts line}

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
umask 077
cat > "$dir/key"
printf '%s\n' "$known" > "$dir/known_hosts"
ssh_opts=(-i "$dir/key" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes
          -o UserKnownHostsFile="$dir/known_hosts" -o ConnectTimeout=30)

want=$(sha256sum "$local_file" | cut -d' ' -f1)
have=$(ssh "${ssh_opts[@]}" "$target" "sha256sum '$remote_file' 2>/dev/null | cut -d' ' -f1" || true)
if [ "$have" = "$want" ]; then
  note "copy: $remote_file already on $target"
else
  start=$SECONDS
  ssh "${ssh_opts[@]}" "$target" "mkdir -p '$(dirname "$remote_file")'"
  scp -q "${ssh_opts[@]}" "$local_file" "$target:$remote_file.part"
  ssh "${ssh_opts[@]}" "$target" "mv -f '$remote_file.part' '$remote_file'"
  note "copy: $(du -h "$local_file" | cut -f1) to $target in $((SECONDS - start)) s"
fi
echo "$remote_file"
