#!/usr/bin/env bash
# mmdebstrap --customize-hook of build-node-image.sh: turns the bootstrapped root
# filesystem in $1 into a bootable, not-yet-personalised cloud node. Runs on the host, as
# root, after all packages are installed; guest tools run with chroot. Its content is part
# of the image's cache key, so any edit here builds a new image.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

ROOT=${1:?usage: customize-node.sh ROOTFS_DIR [KERNEL_ARGS]}
# Extra kernel arguments (build-node-image.sh checked them): clearcpuid=cx16 on TCG hosts.
EXTRA_KERNEL_ARGS=${2:-}

# Where GRUB finds its configuration: first partition of the first BIOS disk.
GRUB_PREFIX='(hd0,msdos1)/boot/grub'
# Modules built into core.img so grub.cfg needs nothing from /boot/grub/i386-pc:
# disk/partition/filesystem access, the normal mode that reads grub.cfg, the Linux loader
# and the serial terminal. grub-mkimage adds their dependencies itself.
GRUB_MODULES=(biosdisk part_msdos ext2 normal linux serial terminal echo)
KERNEL_CMDLINE="root=LABEL=root ro console=tty0 console=ttyS0,115200n8${EXTRA_KERNEL_ARGS:+ $EXTRA_KERNEL_ARGS}"

# The root filesystem is found by label, never by a device name or a UUID that changes
# with every build.
write_fstab() {
  printf 'LABEL=root / ext4 defaults,errors=remount-ro 0 1\n' > "$ROOT/etc/fstab"
}

# Only the NoCloud seed (a `cidata` volume) is looked at; `None` keeps cloud-init quiet
# instead of probing cloud metadata services that do not exist on libvirt.
configure_cloud_init() {
  printf 'datasource_list: [ NoCloud, None ]\n' > "$ROOT/etc/cloud/cloud.cfg.d/90-openstack-lab.cfg"
}

# Nothing that identifies one machine may be baked into the image: every node gets its own
# machine-id on first boot and its SSH host keys from cloud-init (`ssh_keys`), so that the
# program can pin them. mmdebstrap copied the build host's hostname and resolv.conf in.
reset_identity() {
  : > "$ROOT/etc/machine-id"
  rm -f "$ROOT/var/lib/dbus/machine-id"
  rm -f "$ROOT"/etc/ssh/ssh_host_*
  printf 'debian\n' > "$ROOT/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$ROOT/etc/hosts"
  ln -sfn ../run/systemd/resolve/stub-resolv.conf "$ROOT/etc/resolv.conf"
}

# netplan (written by cloud-init) renders for systemd-networkd, which Debian leaves
# disabled; systemd-resolved enables itself on install.
enable_services() {
  chroot "$ROOT" systemctl enable systemd-networkd.service >&2
}

# GRUB without grub-install (which wants a real block device): the guest's own
# grub-mkimage builds core.img, which build-node-image.sh writes to the sectors after the
# MBR; the kernel and initramfs are the /vmlinuz and /initrd.img links the kernel package
# maintains, so a kernel upgrade inside the node keeps booting.
install_grub() {
  if [ ! -e "$ROOT/vmlinuz" ] || [ ! -e "$ROOT/initrd.img" ]; then
    die "customize: /vmlinuz or /initrd.img missing in the root filesystem"
  fi
  mkdir -p "$ROOT/boot/grub/i386-pc"
  chroot "$ROOT" grub-mkimage -O i386-pc -o /boot/grub/i386-pc/core.img \
    -p "$GRUB_PREFIX" "${GRUB_MODULES[@]}"
  cat > "$ROOT/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=0
menuentry 'Debian GNU/Linux (openstack-lab node)' {
  linux /vmlinuz $KERNEL_CMDLINE
  initrd /initrd.img
}
CFG
}

write_fstab
configure_cloud_init
reset_identity
enable_services
install_grub
note "customize: fstab, cloud-init NoCloud, identity reset, networkd, GRUB core.img done"
