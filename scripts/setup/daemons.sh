#!/usr/bin/env bash
# libvirtd and virtlogd running. With systemd the service manager starts them; build
# machines and containers without systemd as PID 1 get them started directly.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

libvirt_answers() { virsh -c qemu:///system version >/dev/null 2>&1; }

# What udev does on a normal host: /dev/kvm for group kvm. Without it (no udevd here) the
# device stays root-only, QEMU (as libvirt-qemu) cannot open it, and libvirt re-probes
# QEMU's capabilities on every call ("KVM was enabled when probing … not available now"):
# ~10 s per call, minutes per domain.
kvm_device_for_group() {
  [ -e /dev/kvm ] && getent group kvm >/dev/null || return 0
  if [ "$(stat -c %G /dev/kvm)" != kvm ] || [ "$(stat -c %a /dev/kvm)" != 660 ]; then
    note "daemons: /dev/kvm -> root:kvm 0660 (as udev would)"
    as_root chgrp kvm /dev/kvm
    as_root chmod 0660 /dev/kvm
  fi
}
kvm_device_for_group

# libvirtd alone answers, but no domain starts without virtlogd's socket. A killed session
# leaves the socket file behind with nobody listening, so the process must be there too.
virtlogd_listens() { has_systemd || { [ -S /run/libvirt/virtlogd-sock ] && pgrep -x virtlogd >/dev/null; }; }

if libvirt_answers && virtlogd_listens; then
  note "daemons: libvirtd answers on qemu:///system"
  exit 0
fi

if has_systemd; then
  step "daemons: starting libvirtd and virtlogd with systemd"
  as_root systemctl enable --now virtlogd.socket libvirtd.socket libvirtd.service
else
  step "daemons: no systemd here, starting virtlogd and libvirtd directly"
  if ! virtlogd_listens; then
    # A virtlogd without its socket (left over by a killed session) is of no use.
    as_root pkill -x virtlogd || true
    as_root rm -f /run/libvirt/virtlogd-sock /run/libvirt/virtlogd-admin-sock
    as_root virtlogd --daemon
  fi
  pgrep -x libvirtd >/dev/null || as_root libvirtd --daemon
fi

for _ in $(seq 1 30); do
  libvirt_answers && virtlogd_listens && { note "daemons: libvirtd is up"; exit 0; }
  sleep 1
done
die "libvirtd did not answer on qemu:///system within 30 s (see /var/log/libvirt/libvirtd.log)"
