#!/usr/bin/env bash
# The Octavia amphora image: the offline node image recipe (build-node-image.sh, reused
# as it is) plus Debian's own amphora agent (`octavia-agent`, which pulls haproxy,
# keepalived, rsyslog, …), dhclient for the VIP's DHCP in the amphora-haproxy namespace,
# and a customize hook (customize-amphora.sh) that reads the config drive Octavia boots
# every amphora with. No loop devices, no mounts, Debian's archive only.
#
# Cached at $OPENSTACK_LAB_HOME/images/debian-13-amphora-<key>.qcow2, <key> being a hash
# of both recipes (node and amphora scripts and hooks), the package list, suite, mirror,
# architecture, disk size and AMPHORA_UNIT_START. Archive content is not part of the key: delete the image to
# pick up newer packages (then `pulumi up` needs it back: run this script again).
#
# Prints only the image path on stdout; progress and timings go to stderr.
#
#   build-amphora-image.sh [--mirror URL] [--suite SUITE] [--size SIZE] [--print-path]
#
# --print-path prints where the image for these inputs lives, exit 0 if it is there,
# 1 if not. Environment: NODE_IMAGE_MIRROR, NODE_IMAGE_SUITE (shared with the node image),
# AMPHORA_IMAGE_SIZE, AMPHORA_UNIT_START (the units' start timeout in the amphora, seconds;
# customize-amphora.sh).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NODE_BUILDER=$HERE/build-node-image.sh
NODE_HOOK=$HERE/customize-node.sh

# The node recipe's settings and functions, without running its build: sourced with
# --print-path its own main only prints the node image's path (discarded). It is not
# edited for the amphora because its text is part of the node image's cache key and of
# the NodeImage trigger: any edit there would rebuild (and replace) every lab node.
# shellcheck source=build-node-image.sh
source "$NODE_BUILDER" --print-path >/dev/null || true
for fn in parse_args size_bytes require_tools bootstrap_rootfs make_raw_disk \
  convert_to_qcow2 build_image cleanup; do
  declare -F "$fn" >/dev/null || die "build-amphora-image: $NODE_BUILDER no longer defines $fn"
done

# What differs from the node image. usage() prints this file's header; bootstrap_rootfs
# runs this hook (which runs the node hook first).
SELF=$HERE/$(basename "${BASH_SOURCE[0]}")
CUSTOMIZE_HOOK=$HERE/customize-amphora.sh
# Root disk of the image; the amphora flavor's disk must be at least this (nova refuses a
# smaller one), growpart fills a larger one on first boot.
SIZE=${AMPHORA_IMAGE_SIZE:-2G}
PRINT_PATH=false
# Never the lab nodes' OpenStack packages (the node recipe's NODE_IMAGE_PREINSTALL).
PREINSTALL=
PRESEED=
PACKAGES+=(
  # the amphora agent (Debian's octavia-agent depends on haproxy, keepalived, ipvsadm,
  # iptables, rsyslog, cryptsetup for its certificate ramfs, …)
  octavia-agent
  # the agent brings a single-topology VIP up with /sbin/dhclient inside the namespace;
  # nftables is its SR-IOV path; logrotate keeps haproxy logs from filling the disk
  isc-dhcp-client nftables logrotate
)

# Compressed (about 800 MB -> 300 MB): the image travels over SSH to the controller and
# into Glance; nova converts its cached copy to raw anyway.
convert_to_qcow2() { # raw-file qcow2-file
  local start=$SECONDS
  qemu-img convert -c -f raw -O qcow2 "$1" "$2"
  chmod 0644 "$2"
  note "image: compressed qcow2 $(du -h "$2" | cut -f1) on disk, converted in $((SECONDS - start)) s"
}

image_key() {
  {
    cat "$NODE_BUILDER" "$NODE_HOOK" "$SELF" "$CUSTOMIZE_HOOK"
    printf '%s\n' "${PACKAGES[@]}" "${DPKG_OPTS[@]}" "$SUITE" "$MIRROR" "$ARCH" "$SIZE_BYTES" \
      "unit-start=${AMPHORA_UNIT_START:-}"
  } | sha256sum | cut -c1-12
}

main() {
  parse_args "$@"
  SIZE_BYTES=$(size_bytes)
  local target
  target="$IMAGES_DIR/debian-13-amphora-$(image_key).qcow2"
  if [ "$PRINT_PATH" = true ]; then
    echo "$target"
    [ -f "$target" ]
    return
  fi
  if [ -f "$target" ]; then
    note "amphora image: cached, nothing to build"
  else
    require_tools
    build_image "$target"
  fi
  echo "$target"
}

main "$@"
