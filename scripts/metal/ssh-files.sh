#!/usr/bin/env bash
# Keeps the files the libvirt provider's qemu+ssh transport reads: the private key (from
# stdin, never from an argument) and a known_hosts line pinning the metal host.
# usage: ssh-files.sh DIR KNOWN_HOSTS_LINE   |   ssh-files.sh --remove DIR
set -euo pipefail
if [ "$1" = --remove ]; then
  rm -rf "$2"
  exit 0
fi
dir=$1
umask 077
mkdir -p "$dir"
cat > "$dir/id"
printf '%s\n' "$2" > "$dir/known_hosts"
