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

# Where guests run under TCG (no /dev/kvm, or kvm_pvm that cannot run stock kernels),
# Debian 12's QEMU 7.2 mistranslates CMPXCHG16B: Linux 6.12 guests with cx16 crash, and
# without cx16 nothing that needs it runs (haproxy: neutron's metadata proxy, Octavia's
# amphorae). bookworm-backports carries QEMU 10, which does not crash. KVM hosts keep
# their suite's QEMU.
tcg_host() { [ ! -e /dev/kvm ] || [ -d /sys/module/kvm_pvm ]; }
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
backports=()
if tcg_host && [ "$codename" = bookworm ]; then
  backports=(qemu-system-x86 qemu-system-common qemu-system-data)
  kept=()
  for p in "${packages[@]}"; do [ "$p" = qemu-system-x86 ] || kept+=("$p"); done
  packages=("${kept[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
stale=()
for p in "${backports[@]}"; do
  dpkg-query -W -f='${Version}' "$p" 2>/dev/null | grep -q 'bpo12' || stale+=("$p")
done
if [ ${#stale[@]} -gt 0 ]; then
  step "apt: ${stale[*]} from bookworm-backports (TCG host: QEMU 7.2 breaks cx16 guests)"
  list=/etc/apt/sources.list.d/openstack-lab-backports.list
  [ -f "$list" ] || echo "deb http://deb.debian.org/debian bookworm-backports main" \
    | as_root tee "$list" >/dev/null
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -t bookworm-backports "${stale[@]}"
fi

if [ ${#missing[@]} -eq 0 ]; then
  note "apt: all ${#packages[@]} packages present"
  exit 0
fi

step "apt: installing ${missing[*]} (a few minutes on a fresh machine)"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -q
as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
