#!/usr/bin/env bash
# Resolves the node image source for the libvirt provider and prints it (URL or path):
#   auto   the official Debian 13 cloud image when its URL answers, else a local build
#   build  always the local build from Debian packages (cached by its inputs)
#   URL    as given;  /path  as given (must exist)
# Progress goes to stderr; stdout carries only the answer.
# NODE_IMAGE_KERNEL_ARGS (TCG hosts: clearcpuid=cx16) lives in the built image's GRUB
# config: `auto` then builds, and a URL or path, whose kernel command line this program
# cannot set, is refused.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

OFFICIAL_URL=https://cloud.debian.org/images/cloud/trixie/latest/debian-13-genericcloud-amd64.qcow2
source=${1:?usage: node-image.sh auto|build|URL|PATH}

reachable() {
  curl -sfIL --max-time 15 -o /dev/null "$1"
}

build() {
  "$(dirname "$0")/build-node-image.sh"
}

needs_build() {
  die "imageSource: $source cannot boot with the kernel arguments TCG nodes need" \
    "(${NODE_IMAGE_KERNEL_ARGS}; components/accel.py); use imageSource auto or build," \
    "or accel kvm on a host whose KVM runs stock kernels"
}

case "$source" in
  auto)
    if [ -n "${NODE_IMAGE_KERNEL_ARGS:-}" ]; then
      note "node image: TCG nodes boot with '$NODE_IMAGE_KERNEL_ARGS'; building one from Debian packages"
      build
    elif reachable "$OFFICIAL_URL"; then
      note "node image: $OFFICIAL_URL"
      echo "$OFFICIAL_URL"
    else
      note "node image: $OFFICIAL_URL cannot be reached; building one from Debian packages"
      build
    fi ;;
  build) build ;;
  http://*|https://*|/*) [ -z "${NODE_IMAGE_KERNEL_ARGS:-}" ] || needs_build ;;&
  http://*|https://*) echo "$source" ;;
  /*) [ -r "$source" ] || die "imageSource: $source is not a readable file"; echo "$source" ;;
  *) die "imageSource: expected auto, build, an http(s) URL or an absolute path, got '$source'" ;;
esac
