#!/usr/bin/env bash
# The offline node image: a Debian 13 (trixie) qcow2 built from Debian packages only, for
# machines that cannot download the official genericcloud image. No loop devices, no
# mounts: mmdebstrap bootstraps a directory, mkfs.ext4 -d copies it into a partition of a
# plain file, GRUB's boot code is written with dd, qemu-img converts the file to qcow2.
#
# The result is cached at $OPENSTACK_LAB_HOME/images/debian-13-node-<key>.qcow2, <key>
# being a hash of everything that decides the image (this script, the customize hook, the
# package list, suite, mirror, architecture, disk size), so a second run builds nothing.
# Archive content is not part of the key: delete the image to pick up newer packages.
#
# Prints only the image path on stdout; progress and timings go to stderr.
#
#   build-node-image.sh [--mirror URL] [--suite SUITE] [--size SIZE] [--print-path]
#
# --print-path prints where the image for these inputs lives, exit 0 if it is there,
# 1 if not. Environment: NODE_IMAGE_MIRROR, NODE_IMAGE_SUITE, NODE_IMAGE_SIZE;
# NODE_IMAGE_PREINSTALL (space-separated packages installed into the image, with the
# debconf preseeds in NODE_IMAGE_PRESEED; see preinstall-packages.sh); NODE_IMAGE_KERNEL_ARGS
# (extra kernel arguments in GRUB's menu entry: `clearcpuid=cx16` for TCG nodes, see
# components/accel.py).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
CUSTOMIZE_HOOK=$(dirname "$SELF")/customize-node.sh
PREINSTALL_HOOK=$(dirname "$SELF")/preinstall-packages.sh
PREINSTALL=${NODE_IMAGE_PREINSTALL:-}
# Without trailing newlines, so the key does not depend on how the caller quoted it.
PRESEED=$(printf '%s' "${NODE_IMAGE_PRESEED:-}")
KERNEL_ARGS=${NODE_IMAGE_KERNEL_ARGS:-}
IMAGES_DIR="$OPENSTACK_LAB_HOME/images"

# The host's own Debian source (its mirror or proxy; lib.sh) unless NODE_IMAGE_MIRROR says.
MIRROR=${NODE_IMAGE_MIRROR:-$(host_debian_mirror)}
SUITE=${NODE_IMAGE_SUITE:-trixie}
# Virtual disk size. Small on purpose: node overlays are created larger and the root
# partition and filesystem grow to fill them on first boot (growpart + resize2fs).
SIZE=${NODE_IMAGE_SIZE:-$([ -n "${NODE_IMAGE_PREINSTALL:-}" ] && echo 8G || echo 4G)}
# BIOS GRUB and the cloud kernel flavour: amd64 only.
ARCH=amd64
PRINT_PATH=false

# On top of mmdebstrap's `apt` variant (Essential packages and apt). Recommends are not
# installed. Deliberately absent: OpenStack and its services (the install step adds them
# from the same archive), lvm2 (pulled in by cinder-volume on the storage role), chrony
# (the install step configures time), gnupg (only Debian's own archive is used, its keys
# come with apt), locales (C.UTF-8 is built in), man pages.
PACKAGES=(
  # boot: the cloud kernel flavour has virtio built in and is what Debian's genericcloud
  # image runs; GRUB's BIOS modules and grub-mkimage for the customize hook
  linux-image-cloud-amd64 initramfs-tools grub-pc-bin
  # init, device manager, D-Bus; networkd (part of systemd) renders netplan, resolved
  # serves DNS; libnss-myhostname resolves the node's own name before /etc/hosts has it
  systemd-sysv udev dbus systemd-resolved libnss-myhostname
  # network basics: ip(8), /etc/services and /etc/protocols
  iproute2 netbase
  # first boot: NoCloud seed, netplan network-config v2, growpart for a larger root disk
  # (it drives sfdisk from fdisk), resize2fs from e2fsprogs
  cloud-init netplan.io cloud-guest-utils fdisk e2fsprogs
  # access and management: SSH with cloud-init host keys, sudo for the default user,
  # libvirt's guest agent (addresses, fs freeze)
  openssh-server sudo qemu-guest-agent
  # what every remote install step leans on: python3 (cloud-init needs it anyway), curl
  # for API health checks, CA certificates for HTTPS, ps/pgrep for waits and debugging
  python3 curl ca-certificates procps
)

# Documentation and translations are never read on a lab node; the exclusion stays in
# the image (/etc/dpkg/dpkg.cfg.d/99mmdebstrap), so later installs skip them too.
DPKG_OPTS=(
  'path-exclude=/usr/share/man/*'
  'path-exclude=/usr/share/info/*'
  'path-exclude=/usr/share/locale/*'
  'path-include=/usr/share/locale/locale.alias'
  'path-exclude=/usr/share/doc/*'
  'path-include=/usr/share/doc/*/copyright'
)

usage() {
  sed -n 's/^#   //p' "$SELF" >&2
  exit "${1:-0}"
}

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      --mirror) MIRROR=${2:?--mirror needs a URL}; shift 2 ;;
      --suite) SUITE=${2:?--suite needs a suite name}; shift 2 ;;
      --size) SIZE=${2:?--size needs a size such as 4G}; shift 2 ;;
      --print-path) PRINT_PATH=true; shift ;;
      -h | --help) usage 0 ;;
      *) printf 'unknown argument: %s\n' "$1" >&2; usage 2 ;;
    esac
  done
}

# Disk size in bytes; whole MiB so the partition and the filesystem line up.
SIZE_BYTES=
size_bytes() {
  local bytes
  bytes=$(numfmt --from=iec "$SIZE" 2>/dev/null) || die "--size $SIZE: not a size (e.g. 4G)"
  if [ $((bytes % 1048576)) -ne 0 ] || [ "$bytes" -lt $((1024 * 1048576)) ]; then
    die "--size $SIZE: must be a whole number of MiB and at least 1G"
  fi
  echo "$bytes"
}

image_key() {
  {
    cat "$SELF" "$CUSTOMIZE_HOOK"
    printf '%s\n' "${PACKAGES[@]}" "${DPKG_OPTS[@]}" "$SUITE" "$MIRROR" "$ARCH" "$SIZE_BYTES"
    # Only when given, so a KVM host's image keeps its key.
    if [ -n "$KERNEL_ARGS" ]; then printf 'kernel %s\n' "$KERNEL_ARGS"; fi
    # Only with preinstalled packages, so the plain node image keeps its key.
    if [ -n "$PREINSTALL" ]; then
      cat "$PREINSTALL_HOOK"
      printf '%s\n' "$PREINSTALL" "$PRESEED"
    fi
  } | sha256sum | cut -c1-12
}

image_name() {
  if [ -n "$PREINSTALL" ]; then echo "debian-13-openstack-$(image_key).qcow2"
  else echo "debian-13-node-$(image_key).qcow2"; fi
}

require_tools() {
  [ "$(id -u)" -eq 0 ] || die "build-node-image: run as root (mmdebstrap chroots; files keep root ownership)"
  local tool
  for tool in mmdebstrap sfdisk mkfs.ext4 qemu-img numfmt; do
    command -v "$tool" >/dev/null || die "build-node-image: $tool missing; run scripts/setup/apt.sh"
  done
}

# The temporary build directory never survives the script, whatever happened. It lives
# next to the cache so the final mv is a rename. --one-file-system: should an interrupted
# mmdebstrap have left /proc or /sys mounted in the chroot, they are skipped, not emptied.
WORK=
cleanup() {
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    rm -rf --one-file-system "$WORK" || note "image: could not remove all of $WORK"
  fi
}

bootstrap_rootfs() { # rootfs-dir
  local start=$SECONDS opt dpkg_args=() hooks=() proxy_args=()
  for opt in "${DPKG_OPTS[@]}"; do dpkg_args+=("--dpkgopt=$opt"); done
  # mmdebstrap reads none of the host's apt.conf: its proxy is passed on.
  mapfile -t proxy_args < <(host_apt_proxy_opts)
  if [ -n "$PREINSTALL" ]; then
    tr ' ' '\n' <<< "$PREINSTALL" > "$WORK/preinstall.txt"
    printf '%s\n' "$PRESEED" > "$WORK/preseed.txt"
    hooks+=("--customize-hook=$(printf '%q' "$PREINSTALL_HOOK") \"\$1\" $(printf '%q' "$WORK/preinstall.txt") $(printf '%q' "$WORK/preseed.txt")")
  fi
  step "image: mmdebstrap $SUITE ($ARCH) from $MIRROR"
  mmdebstrap --variant=apt --arch="$ARCH" \
    --include="$(IFS=,; echo "${PACKAGES[*]}")" \
    "${dpkg_args[@]}" \
    "${proxy_args[@]}" \
    "${hooks[@]}" \
    --customize-hook="$(printf '%q' "$CUSTOMIZE_HOOK") \"\$1\" $(printf '%q' "$KERNEL_ARGS")" \
    "$SUITE" "$1" "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" >&2
  note "image: root filesystem $(du -sh --one-file-system "$1" | cut -f1) in $((SECONDS - start)) s"
}

# One bootable MBR partition from sector 2048 to the end; the filesystem is written
# straight into it at its byte offset; GRUB's boot.img (first 440 bytes: the partition
# table stays) goes to the MBR and core.img to the gap from sector 1.
make_raw_disk() { # rootfs-dir raw-file
  local rootfs=$1 raw=$2 start=$SECONDS bytes=$SIZE_BYTES core
  core="$rootfs/boot/grub/i386-pc/core.img"
  [ "$(stat -c %s "$core")" -le $((2047 * 512)) ] || die "image: core.img does not fit before sector 2048"
  step "image: raw disk $SIZE (partition, ext4 from the root filesystem, GRUB boot code)"
  truncate -s "$bytes" "$raw"
  printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk --quiet "$raw" >&2
  mkfs.ext4 -q -F -L root -b 4096 -d "$rootfs" -E offset=1048576 \
    "$raw" $(((bytes - 1048576) / 4096)) >&2
  dd if="$rootfs/usr/lib/grub/i386-pc/boot.img" of="$raw" bs=440 count=1 conv=notrunc status=none
  dd if="$core" of="$raw" bs=512 seek=1 conv=notrunc status=none
  note "image: raw disk written in $((SECONDS - start)) s"
}

convert_to_qcow2() { # raw-file qcow2-file
  local start=$SECONDS
  qemu-img convert -f raw -O qcow2 "$1" "$2"
  # libvirt's qemu user reads the base image through every node's overlay.
  chmod 0644 "$2"
  note "image: qcow2 $(du -h "$2" | cut -f1) on disk, converted in $((SECONDS - start)) s"
}

build_image() { # target
  local start=$SECONDS
  mkdir -p "$IMAGES_DIR"
  WORK=$(mktemp -d "$IMAGES_DIR/.build.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  bootstrap_rootfs "$WORK/rootfs"
  make_raw_disk "$WORK/rootfs" "$WORK/disk.raw"
  convert_to_qcow2 "$WORK/disk.raw" "$WORK/image.qcow2"
  mv -f "$WORK/image.qcow2" "$1"
  cleanup
  step "image: built $1 in $((SECONDS - start)) s"
}

# GRUB's menu entry takes them verbatim: plain `name` or `name=value[,value]` words only.
check_kernel_args() {
  local arg
  for arg in $KERNEL_ARGS; do
    [[ $arg =~ ^[A-Za-z0-9_.-]+(=[A-Za-z0-9_.,:-]+)?$ ]] \
      || die "NODE_IMAGE_KERNEL_ARGS: '$arg' is not a plain kernel argument"
  done
}

main() {
  parse_args "$@"
  check_kernel_args
  SIZE_BYTES=$(size_bytes)
  local target
  target="$IMAGES_DIR/$(image_name)"
  if [ "$PRINT_PATH" = true ]; then
    echo "$target"
    [ -f "$target" ]
    return
  fi
  if [ -f "$target" ]; then
    note "image: cached, nothing to build"
  else
    require_tools
    build_image "$target"
  fi
  echo "$target"
}

main "$@"
