#!/usr/bin/env bash
# Debian packages the lab and its tests need. Installs only what is missing.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

packages=(
  libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils dnsmasq-base ovmf
  genisoimage xorriso mmdebstrap e2fsprogs fdisk
  shellcheck cloud-init netplan.io xsltproc
  openssh-client openssh-server iptables iproute2 curl ca-certificates
  python3-venv
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  note "apt: all ${#packages[@]} packages present"
  exit 0
fi

step "apt: installing ${missing[*]} (a few minutes on a fresh machine)"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -q
as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
