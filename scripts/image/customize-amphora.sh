#!/usr/bin/env bash
# mmdebstrap --customize-hook of build-amphora-image.sh: the node image's customisation
# (customize-node.sh, unchanged: fstab, identity reset, networkd, GRUB), then what an
# Octavia amphora needs. Runs on the host, as root, on the root filesystem in $1. Its
# content is part of the amphora image's cache key.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

ROOT=${1:?usage: customize-amphora.sh ROOTFS_DIR}

"$(dirname "$0")/customize-node.sh" "$ROOT"

# Octavia boots every amphora with a config drive holding amphora-agent.conf and the
# agent's certificates as injected files; cloud-init's ConfigDrive datasource writes them
# in its local stage, before octavia-agent.service starts, and configures the management
# NIC from network_data.json. Nothing else is probed. The NIC goes through netplan and
# systemd-networkd as on the nodes: octavia-agent pulls in ifupdown, which cloud-init
# would otherwise prefer, leaving networkd-wait-online to time out before the agent.
configure_cloud_init() {
  cat > "$ROOT/etc/cloud/cloud.cfg.d/90-openstack-lab.cfg" <<'CFG'
datasource_list: [ ConfigDrive, None ]
system_info:
  network:
    renderers: [ netplan, networkd ]
CFG
}

# The agent starts haproxy (and keepalived for active/standby) per load balancer with its
# own units inside the amphora-haproxy namespace; the packages' default instances must
# not run. octavia-agent's own units (with certs-ramfs and netns) are enabled by its
# package; the check keeps that contract visible. (-L: the links are absolute, they only
# resolve inside the image.) pollinate (an octavia-agent dependency) would fetch entropy
# from the internet at every boot, which an amphora on the management network cannot reach.
configure_units() {
  chroot "$ROOT" systemctl disable haproxy.service keepalived.service pollinate.service >&2
  [ -L "$ROOT/etc/systemd/system/multi-user.target.wants/octavia-agent.service" ] \
    || die "customize: octavia-agent.service is not enabled"
}

# The agent runs `dhclient -lf /var/lib/dhclient/…` for a single-topology VIP inside the
# namespace; dhclient-script must not rewrite /etc/resolv.conf from there (it would
# replace the resolved stub of the amphora itself).
configure_dhclient() {
  mkdir -p "$ROOT/var/lib/dhclient" "$ROOT/etc/dhcp/dhclient-enter-hooks.d"
  printf '# openstack-lab: leave resolv.conf alone\nmake_resolv_conf() { :; }\n' \
    > "$ROOT/etc/dhcp/dhclient-enter-hooks.d/no-resolvconf"
}

# Debian's own amphora recipe (build-openstack-debian-image --octavia-agent): haproxy's
# log rotates hourly, three copies, so a busy load balancer cannot fill the small disk.
configure_logrotate() {
  cat > "$ROOT/etc/logrotate.d/haproxy" <<'CONF'
/var/log/haproxy.log {
    hourly
    rotate 3
    missingok
    notifempty
    compress
    copytruncate
}
CONF
  mkdir -p "$ROOT/etc/systemd/system/logrotate.timer.d"
  printf '[Timer]\nOnCalendar=\nOnCalendar=hourly\n' > "$ROOT/etc/systemd/system/logrotate.timer.d/hourly.conf"
}

# Debian's octavia-agent-netns.service waits 5 min at first boot for the agent's
# plugged_interfaces and then fails the unit (its script exits 1): that file is written
# only when Octavia plugs the VIP, which takes longer than that where amphorae boot
# slowly. The agent creates the namespace itself at that plug, and with the first
# listener installs upstream's amphora-netns.service, which haproxy requires and which
# restores the namespace after a reboot; Debian's unit keeps its boot-time part, its
# failure no longer marks the amphora degraded.
configure_netns_unit() {
  mkdir -p "$ROOT/etc/systemd/system/octavia-agent-netns.service.d"
  printf '[Service]\nExecStart=\nExecStart=-/usr/sbin/octavia-agent-netns-start\n' \
    > "$ROOT/etc/systemd/system/octavia-agent-netns.service.d/openstack-lab.conf"
}

# AMPHORA_UNIT_START (seconds, from the lab's Patience; unset keeps systemd's 90 s): the
# start timeout of every unit in the amphora, among them the haproxy unit the agent
# writes per load balancer (Type=notify: haproxy must be up within it).
configure_unit_start() {
  [ -n "${AMPHORA_UNIT_START:-}" ] || return 0
  case $AMPHORA_UNIT_START in
    *[!0-9]* | 0*) die "customize: AMPHORA_UNIT_START must be a number of seconds" ;;
  esac
  mkdir -p "$ROOT/etc/systemd/system.conf.d"
  printf '[Manager]\nDefaultTimeoutStartSec=%s\n' "$AMPHORA_UNIT_START" \
    > "$ROOT/etc/systemd/system.conf.d/openstack-lab-patience.conf"
}

# The agent writes each load balancer's haproxy unit from Octavia's template with
# LimitNOFILE=2600000 (octavia 16.0.0), while Debian's octavia-agent sysctl caps
# fs.nr_open at 2097152: systemd cannot set a limit above nr_open, so every haproxy unit
# failed at its LIMITS step (status=205) and every listener went to ERROR. The limit is
# read from the template in the image, so a later Octavia that changes it is followed;
# the file sorts after the package's (sysctl.d applies files by name, the last one wins).
configure_nofile() {
  local template=$ROOT/usr/lib/python3/dist-packages/octavia/amphorae/backends/agent/api_server/templates/systemd.conf.j2
  local package=$ROOT/etc/sysctl.d/octavia-agent-sysctl.conf
  local limit current
  [ -f "$template" ] || die "customize: Octavia's haproxy unit template is not at $template"
  limit=$(sed -n 's/^LimitNOFILE=\([0-9][0-9]*\)$/\1/p' "$template")
  [ -n "$limit" ] || die "customize: $template sets no numeric LimitNOFILE"
  current=$(sed -n 's/^fs\.nr_open *= *\([0-9][0-9]*\)$/\1/p' "$package" 2>/dev/null || true)
  if [ -n "$current" ] && [ "$current" -ge "$limit" ]; then
    return 0
  fi
  printf '# openstack-lab: haproxy units ask LimitNOFILE=%s (Octavia template)\nfs.nr_open = %s\nfs.file-max = %s\n' \
    "$limit" "$limit" "$limit" > "$ROOT/etc/sysctl.d/zz-openstack-lab-haproxy-nofile.conf"
}

configure_cloud_init
configure_units
configure_nofile
configure_netns_unit
configure_unit_start
configure_dhclient
configure_logrotate
note "customize: amphora (ConfigDrive, agent units, haproxy nofile, netns unit, unit start ${AMPHORA_UNIT_START:-90} s, dhclient, logrotate) done"
