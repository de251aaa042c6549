#!/usr/bin/env bash
# Second mmdebstrap --customize-hook of build-node-image.sh, used when the lab installs
# OpenStack: installs the roles' packages into the image at the host's native speed, with
# the install step's debconf preseeds (no package configures itself). Under TCG the same
# install on a node takes most of an hour; the install step then finds everything present.
# mmdebstrap keeps its policy-rc.d in place while hooks run, so nothing starts here.
#
#   preinstall-packages.sh ROOTFS_DIR PACKAGES_FILE PRESEED_FILE
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

ROOT=${1:?usage: preinstall-packages.sh ROOTFS_DIR PACKAGES_FILE PRESEED_FILE}
PACKAGES_FILE=${2:?packages file}
PRESEED_FILE=${3:?preseed file}

# Services the packages enable (every role's: one image serves all nodes).
enabled_services() {
  find "$ROOT/etc/systemd/system" -path '*.wants/*' -name '*.service' -printf '%f\n' | sort -u
}

start=$SECONDS
mapfile -t packages < <(grep -v '^\s*$' "$PACKAGES_FILE")
step "image: preinstalling ${packages[*]}"
before=$(enabled_services)
chroot "$ROOT" debconf-set-selections < "$PRESEED_FILE"
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  install "${packages[@]}" >&2
chroot "$ROOT" apt-get clean
# Left enabled they would all start at first boot, with the packages' default config and
# on every node whatever its role; the install steps enable what each node runs.
# Boot plumbing (AppArmor profiles the uwsgi APIs switch to, LVM monitoring) stays on.
mapfile -t new_services < <(comm -13 <(echo "$before") <(enabled_services) \
  | grep -Ev '^(apparmor|blk-availability|lvm2-|dm-event|systemd-|dbus|polkit|cron|e2scrub)')
if [ -n "${new_services[*]:-}" ]; then
  systemctl --root="$ROOT" disable "${new_services[@]}" >&2
  note "image: disabled until configured: ${new_services[*]}"
fi
note "image: packages preinstalled in $((SECONDS - start)) s"
