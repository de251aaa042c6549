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

apt_ensure apt "a few minutes on a fresh machine" "${packages[@]}"
