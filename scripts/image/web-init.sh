#!/bin/sh
# shellcheck shell=sh
# /init of the web image (build-web-image.sh): PID 1 of a kernel + busybox initramfs that
# Nova boots directly (kernel_id / ramdisk_id). In place of systemd and cloud-init, for
# guests that run under TCG inside a TCG node: load the virtio modules, DHCP on eth0,
# read Nova's config drive, or else the OpenStack metadata service (hostname, SSH key,
# user-data), run a `#!` user-data script, start dropbear on port 22, then idle forever
# (PID 1 must never exit).
#
# Progress goes to the serial console as `web-init: ...` lines (`openstack console log
# show`), each with the seconds since boot. Kernel command line: web.metadata=URL
# replaces http://169.254.169.254 (local tests under qemu's user network).
#
# The same file is udhcpc's event script: /usr/share/udhcpc/default.script links here.
PATH=/usr/sbin:/usr/bin
HOME=/root
export PATH HOME

METADATA=http://169.254.169.254
MODULE_DIR=/usr/lib/modules/web
DHCP_ENV=/run/dhcp.env

log() {
  read -r up _ </proc/uptime
  echo "web-init: $* (at $up s)"
}

# --- udhcpc events ----------------------------------------------------------------------
# udhcpc's environment: interface ip mask subnet broadcast router dns domain mtu
# staticroutes ("net/len gateway" pairs, option 121: OVN's metadata route, for one).
# shellcheck disable=SC2154 # set by udhcpc, not here
dhcp_event() {
  case $1 in
    deconfig)
      ip -4 addr flush dev "$interface"
      ip link set dev "$interface" up
      ;;
    bound | renew)
      [ -n "${mtu:-}" ] && ip link set dev "$interface" mtu "$mtu"
      # a renewal keeps the address: "exists" is fine then
      if [ "$1" = bound ]; then ip -4 addr flush dev "$interface"; fi
      ip -4 addr add "$ip/${mask:-$subnet}" broadcast "${broadcast:-+}" dev "$interface" \
        2>/dev/null
      # RFC 3442: with classless static routes the router option is ignored; OVN and
      # neutron's DHCP agent put the default route into option 121 themselves then.
      if [ -n "${staticroutes:-}" ]; then
        # shellcheck disable=SC2086 # "net gateway" pairs
        set -- $staticroutes
        while [ $# -ge 2 ]; do
          if [ "$2" = 0.0.0.0 ]; then ip route replace "$1" dev "$interface"
          else ip route replace "$1" via "$2" dev "$interface"; fi
          shift 2
        done
      elif [ -n "${router:-}" ]; then
        # shellcheck disable=SC2086 # the first of a space-separated list
        set -- $router
        ip route replace default via "$1" dev "$interface"
      fi
      {
        [ -n "${domain:-}" ] && echo "search $domain"
        for server in ${dns:-}; do echo "nameserver $server"; done
      } >/etc/resolv.conf.new && mv /etc/resolv.conf.new /etc/resolv.conf
      printf 'ip=%s\nrouter=%s\nmtu=%s\n' "$ip" "${router:-}" "${mtu:-}" >"$DHCP_ENV"
      ;;
  esac
  return 0
}

case $0 in
  */default.script) dhcp_event "$@"; exit 0 ;;
esac

# --- boot -----------------------------------------------------------------------------

mount_filesystems() {
  mount -t proc proc /proc
  mount -t sysfs sysfs /sys
  mount -t devtmpfs devtmpfs /dev
  mkdir -p /dev/pts /dev/shm
  mount -t devpts -o mode=0620,ptmxmode=0666 devpts /dev/pts
  mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
}

# Nova's console log is the first serial port; /dev/console is the last console= of the
# command line, which may be tty0. Write to ttyS0 whenever it is one of the consoles.
open_console() {
  console=/dev/console
  read -r active </sys/class/tty/console/active 2>/dev/null || active=
  case " $active " in
    *" ttyS0 "*) [ -c /dev/ttyS0 ] && console=/dev/ttyS0 ;;
  esac
  exec </dev/null >"$console" 2>&1
}

read_cmdline() {
  read -r cmdline </proc/cmdline
  for arg in $cmdline; do
    case $arg in
      web.metadata=*) METADATA=${arg#web.metadata=} ;;
    esac
  done
}

load_modules() {
  [ -f "$MODULE_DIR/order" ] || return 0
  while read -r module; do
    insmod "$MODULE_DIR/$module.ko" || log "module $module failed to load"
  done <"$MODULE_DIR/order"
}

# eth0 unless the kernel named the first NIC otherwise; waits for the driver's probe.
find_interface() {
  tries=0
  while [ "$tries" -lt 50 ]; do
    [ -e /sys/class/net/eth0 ] && { echo eth0; return 0; }
    for dev in /sys/class/net/*; do
      name=${dev##*/}
      [ "$name" = lo ] || [ ! -e "$dev" ] || { echo "$name"; return 0; }
    done
    tries=$((tries + 1))
    sleep 0.2
  done
  return 1
}

# udhcpc goes to the background once it has a lease and renews it from there.
start_dhcp() {
  iface=$1
  attempt=1
  while [ "$attempt" -le 10 ]; do
    if udhcpc -i "$iface" -s /usr/share/udhcpc/default.script -p /run/udhcpc.pid \
      -t 5 -T 3 -n -O mtu -O staticroutes >/dev/null 2>&1; then
      ip=$(sed -n 's/^ip=//p' "$DHCP_ENV")
      log "dhcp ok $ip on $iface"
      return 0
    fi
    log "dhcp: no lease on $iface yet (attempt $attempt/10)"
    attempt=$((attempt + 1))
  done
  log "dhcp failed on $iface"
  return 1
}

fetch() { # path file [seconds]
  wget -q -T "${3:-10}" -O "$2" "$METADATA$1" 2>/dev/null
}

# Once the service answered: Nova may still take longer than the probe's 10 s for one
# answer (the keypair lookup took 10.2 s on a loaded TCG lab, and the guest came up
# without its key), so each later read gets 60 s and three tries.
fetch_patiently() { # path file
  for _ in 1 2 3; do
    fetch "$1" "$2" 60 && return 0
  done
  return 1
}

# identity FQDN [KEY_FILE]: the hostname and root's SSH key, from either source.
identity() {
  name=${1%%.*}
  if [ -n "$name" ]; then
    hostname "$name"
    echo "$name" >/etc/hostname
    printf '127.0.0.1 localhost\n127.0.1.1 %s %s\n' "$1" "$name" >/etc/hosts
    log "hostname $name"
  fi
  mkdir -p /root/.ssh
  chmod 0700 /root /root/.ssh
  if [ -n "${2:-}" ] && [ -s "$2" ]; then
    cat "$2" >/root/.ssh/authorized_keys
    chmod 0600 /root/.ssh/authorized_keys
    log "ssh key installed for root"
  else
    log "no ssh key"
  fi
}

# Nova's config drive: an ISO 9660 CD (virtio-scsi, from the image's hw_cdrom_bus) with
# openstack/latest/{meta_data.json,user_data}. It needs no network path: on a TCG lab whose
# nodes lack cx16, neutron's metadata proxy (haproxy) cannot run in the router namespace.
read_config_drive() {
  tries=0
  # The SCSI scan runs after the module loads: give the CD a few seconds to appear.
  while [ ! -b /dev/sr0 ] && [ "$tries" -lt 25 ]; do
    tries=$((tries + 1))
    sleep 0.2
  done
  [ -b /dev/sr0 ] || return 1
  mkdir -p /run/config-drive
  mount -t iso9660 -o ro /dev/sr0 /run/config-drive 2>/dev/null || return 1
  dir=/run/config-drive/openstack/latest
  if [ ! -f "$dir/meta_data.json" ]; then
    umount /run/config-drive
    return 1
  fi
  log "config drive found"
  # meta_data.json is one line of JSON; the first key of public_keys is the keypair's.
  fqdn=$(sed -n 's/.*"hostname": *"\([^"]*\)".*/\1/p' "$dir/meta_data.json")
  sed -n 's/.*"public_keys": *{ *"[^"]*": *"\([^"]*\)".*/\1/p' "$dir/meta_data.json" \
    | sed 's/\\n$//' >/run/ssh-key
  identity "$fqdn" /run/ssh-key
  [ ! -f "$dir/user_data" ] || cp "$dir/user_data" /run/user-data
  umount /run/config-drive
  return 0
}

# The metadata service may answer late (OVN's metadata agent, a slow nested node): up to
# 60 x 5 s for the first answer; the rest is read once.
read_metadata() {
  tries=1
  until fetch /latest/meta-data/hostname /run/hostname; do
    if [ "$tries" -ge 60 ]; then
      log "metadata: no answer from $METADATA, going on without it"
      return 1
    fi
    [ $((tries % 6)) -eq 1 ] && log "metadata: waiting for $METADATA (try $tries/60)"
    tries=$((tries + 1))
    sleep 5
  done
  fetch_patiently /latest/meta-data/public-keys/0/openssh-key /run/ssh-key || rm -f /run/ssh-key
  identity "$(head -n 1 /run/hostname)" /run/ssh-key
  if fetch_patiently /openstack/latest/user_data /run/user-data.tmp; then
    mv /run/user-data.tmp /run/user-data
  else
    rm -f /run/user-data.tmp
  fi
  return 0
}

# Like cloud-init: only a script (#!) is run; in the background, so that a script that
# stays in the foreground does not hold up SSH.
run_user_data() {
  if [ ! -s /run/user-data ]; then
    log "no user-data"
    return 0
  fi
  case $(head -c 2 /run/user-data) in
    '#!')
      chmod 0700 /run/user-data
      (
        /run/user-data
        log "user-data exited $?"
      ) &
      log "user-data started"
      ;;
    *) log "user-data is not a #! script, ignored" ;;
  esac
}

# A host key of its own per boot, printed between cloud-init's markers so that clients can
# pin it from the console log.
start_ssh() {
  mkdir -p /etc/dropbear
  key=/etc/dropbear/dropbear_ed25519_host_key
  if ! dropbearkey -t ed25519 -f "$key" >/run/hostkey.txt 2>/dev/null; then
    log "ssh: host key generation failed"
    return 1
  fi
  echo "-----BEGIN SSH HOST KEY KEYS-----"
  grep '^ssh-' /run/hostkey.txt
  echo "-----END SSH HOST KEY KEYS-----"
  if dropbear -r "$key" -p 22 -s -P /run/dropbear.pid; then
    log "ssh: dropbear listening on port 22"
  else
    log "ssh: dropbear failed to start"
  fi
}

main() {
  mount_filesystems
  open_console
  log "starting ($(uname -r))"
  read_cmdline
  load_modules
  ip link set dev lo up
  network=
  if iface=$(find_interface); then
    ip link set dev "$iface" up
    start_dhcp "$iface" && network=up
  else
    log "no network interface"
  fi
  read_config_drive || { [ -z "$network" ] || read_metadata; }
  run_user_data
  start_ssh
  log "ready"
  # PID 1 idles; the shell reaps orphans whenever it waits for sleep.
  while :; do sleep 3600; done
}

main
