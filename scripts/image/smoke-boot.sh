#!/usr/bin/env bash
# Throwaway proof that the node image boots on this host: a transient libvirt domain (TCG,
# 2 GiB, 1 vCPU) on a qcow2 overlay of the image, seeded by a NoCloud `cidata` ISO, on a
# transient NAT network. Waits for SSH with a pinned host key, then for cloud-init, prints
# the timings, and removes everything it created: domain, network, files.
#
#   smoke-boot.sh [IMAGE]      (default: the cached image of build-node-image.sh)
#
# SMOKE_SUBNET (default 10.254.77: /24, host .1, guest .10) must not collide with the
# lab's networks; SMOKE_DISK_SIZE (default 8G) is larger than the image so growpart has
# work; SMOKE_TIMEOUT bounds each wait (default 900 s); SMOKE_CONSOLE_LOG=FILE keeps a
# copy of the serial console.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

CONN=qemu:///system
SUBNET=${SMOKE_SUBNET:-10.254.77}
GUEST_IP="$SUBNET.10"
GUEST_MAC=52:54:00:fe:77:10
GUEST_HOSTNAME=smoke-node
DISK_SIZE=${SMOKE_DISK_SIZE:-8G}
TIMEOUT=${SMOKE_TIMEOUT:-900}
NAME=smoke-boot-$$
BRIDGE=smkbr$$

IMAGE=${1:-$("$(dirname "$0")/build-node-image.sh" --print-path)} \
  || die "smoke-boot: no node image yet; run scripts/image/build-node-image.sh"
[ -f "$IMAGE" ] || die "smoke-boot: $IMAGE not found"

virsh_() { virsh -q -c "$CONN" "$@"; }

# Names of every domain, network, pool and volume. Others may use libvirt meanwhile (a lab
# coming up), so only what this run named must be gone afterwards.
libvirt_inventory() {
  local pool
  virsh_ list --all --name | sed 's/^/domain /'
  virsh_ net-list --all --name | sed 's/^/network /'
  for pool in $(virsh_ pool-list --all --name); do
    echo "pool $pool"
    virsh_ vol-list "$pool" 2>/dev/null | awk -v p="$pool" '{print "volume " p "/" $1}'
  done
}

# Keys (root only) and the files qemu opens (a directory it may traverse) are apart.
KEYS=
DISKS=
DOMAIN_UP=false
NETWORK_UP=false
cleanup() {
  if [ "$DOMAIN_UP" = true ]; then
    virsh_ destroy "$NAME" >/dev/null 2>&1 || true
    # libvirt's own log of the domain (qemu command line, shutdown reason)
    rm -f "/var/log/libvirt/qemu/$NAME.log"
  fi
  if [ "$NETWORK_UP" = true ]; then
    # libvirt 9.0 leaves a destroyed transient network's dnsmasq pid file and ports
    # directory behind in its runtime state
    virsh_ net-destroy "$NAME" >/dev/null 2>&1 \
      && rm -rf "/run/libvirt/network/$NAME" "/run/libvirt/network/$NAME.pid"
  fi
  DOMAIN_UP=false NETWORK_UP=false
  if [ -n "${SMOKE_CONSOLE_LOG:-}" ] && [ -f "$DISKS/console.log" ]; then
    cp "$DISKS/console.log" "$SMOKE_CONSOLE_LOG" || true
  fi
  if [ -n "$KEYS" ]; then rm -rf "$KEYS"; fi
  if [ -n "$DISKS" ]; then rm -rf "$DISKS"; fi
  KEYS='' DISKS=''
}
on_failure() {
  if [ -n "$DISKS" ] && [ -f "$DISKS/console.log" ]; then
    printf -- '--- last lines of the serial console ---\n' >&2
    tail -n 40 "$DISKS/console.log" >&2
  fi
  cleanup
}

preflight() {
  virsh_ version >/dev/null 2>&1 || die "smoke-boot: libvirt does not answer on $CONN (scripts/setup/daemons.sh)"
  if [ -n "$(ip -4 route show "$SUBNET.0/24")" ] || ip -4 -o addr | grep -q " $SUBNET\."; then
    die "smoke-boot: $SUBNET.0/24 is in use on this host; set SMOKE_SUBNET"
  fi
}

make_workdirs() {
  KEYS=$(mktemp -d /tmp/smoke-boot-keys.XXXXXX)
  DISKS=$(mktemp -d /var/tmp/smoke-boot.XXXXXX)
  chmod 0711 "$DISKS"
}

# The client key logs in as `debian`; the host key pair goes into the seed, its public
# half into a known_hosts file, so the very first connection is already verified.
make_keys() {
  ssh-keygen -q -t ed25519 -N '' -C smoke-client -f "$KEYS/client"
  ssh-keygen -q -t ed25519 -N '' -C smoke-host -f "$KEYS/host"
  printf '%s %s\n' "$GUEST_IP" "$(cut -d' ' -f1,2 "$KEYS/host.pub")" > "$KEYS/known_hosts"
}

write_user_data() {
  cat <<EOF
#cloud-config
hostname: $GUEST_HOSTNAME
users:
  - name: debian
    shell: /bin/bash
    sudo: ALL=(ALL) NOPASSWD:ALL
    lock_passwd: true
    ssh_authorized_keys:
      - $(cat "$KEYS/client.pub")
ssh_deletekeys: true
ssh_keys:
  ed25519_private: |
$(sed 's/^/    /' "$KEYS/host")
  ed25519_public: $(cat "$KEYS/host.pub")
EOF
}

write_network_config() {
  cat <<EOF
version: 2
ethernets:
  nic0:
    match:
      macaddress: "$GUEST_MAC"
    addresses: [$GUEST_IP/24]
    routes:
      - to: default
        via: $SUBNET.1
    nameservers:
      addresses: [$SUBNET.1]
EOF
}

make_seed() {
  local seed=$KEYS/seed
  mkdir "$seed"
  write_user_data > "$seed/user-data"
  write_network_config > "$seed/network-config"
  # A new instance-id per seed content: cloud-init runs again only when it changes.
  printf 'instance-id: smoke-%s\nlocal-hostname: %s\n' \
    "$(cat "$seed/user-data" "$seed/network-config" | sha256sum | cut -c1-12)" "$GUEST_HOSTNAME" \
    > "$seed/meta-data"
  genisoimage -quiet -output "$DISKS/seed.iso" -volid cidata -joliet -rock \
    "$seed/user-data" "$seed/meta-data" "$seed/network-config"
  chmod 0644 "$DISKS/seed.iso"
}

# The overlay's backing file must be readable by libvirt's qemu user; a cache under a
# private home directory is not, so the base is then copied next to the overlay.
make_overlay() {
  local base=$IMAGE
  if id libvirt-qemu >/dev/null 2>&1 && ! runuser -u libvirt-qemu -- test -r "$IMAGE"; then
    note "smoke-boot: libvirt-qemu cannot read $IMAGE; using a copy"
    base="$DISKS/base.qcow2"
    cp --sparse=always "$IMAGE" "$base"
    chmod 0644 "$base"
  fi
  qemu-img create -q -f qcow2 -F qcow2 -b "$base" "$DISKS/root.qcow2" "$DISK_SIZE"
}

network_xml() {
  cat <<EOF
<network>
  <name>$NAME</name>
  <forward mode='nat'/>
  <bridge name='$BRIDGE' stp='on' delay='0'/>
  <ip address='$SUBNET.1' netmask='255.255.255.0'/>
</network>
EOF
}

# TCG: /dev/kvm here (kvm_pvm) cannot run a stock kernel. The default CPU model (qemu64)
# minus cx16: under QEMU 7.2's TCG (Debian 12) a Linux 6.12 guest with cx16 mostly dies
# within two minutes (slab/list corruption, double fault, GPFs in libcrypto), the oopses
# showing garbage EFLAGS right after SLUB's per-CPU CMPXCHG16B; without cx16 the kernel
# and OpenSSL use other code and every boot here succeeded. Translation cache capped at
# 256 MiB (qemu's default under TCG is 1 GiB per VM).
domain_xml() {
  cat <<EOF
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>2048</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>
  <features>
    <acpi/><apic/>
    <tcg><tb-cache unit='MiB'>256</tb-cache></tcg>
  </features>
  <cpu mode='custom' match='exact' check='none'>
    <model fallback='forbid'>qemu64</model>
    <feature policy='disable' name='cx16'/>
  </cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$DISKS/root.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='$DISKS/seed.iso'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <source network='$NAME'/>
      <mac address='$GUEST_MAC'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'>
      <source path='$DISKS/console.log'/>
      <target port='0'/>
    </serial>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
  </devices>
</domain>
EOF
}

start_network() {
  network_xml > "$DISKS/network.xml"
  virsh_ net-create "$DISKS/network.xml" >/dev/null
  NETWORK_UP=true
}

start_domain() {
  domain_xml > "$DISKS/domain.xml"
  virsh_ create "$DISKS/domain.xml" >/dev/null
  DOMAIN_UP=true
  note "smoke-boot: qemu runs with $(pgrep -a -f "guest=$NAME," | grep -o -e '-accel [^ ]*' -e '-cpu [^ ]*' | xargs)"
}

guest() { # command...
  ssh -F /dev/null -i "$KEYS/client" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KEYS/known_hosts" \
    -o ConnectTimeout=5 -o LogLevel=ERROR "debian@$GUEST_IP" "$@"
}

elapsed() { # since
  awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

# Retry the SSH dial until it succeeds; a dial that fails at once (port closed while sshd
# starts) is paced by one second so the loop does not steal CPU from the TCG guest.
wait_for_ssh() { # since
  local deadline=$((SECONDS + TIMEOUT)) tries=0 kernel_s=
  until guest true 2>/dev/null; do
    tries=$((tries + 1))
    if [ -z "$kernel_s" ] && grep -qs 'Linux version' "$DISKS/console.log"; then
      kernel_s=$(elapsed "$1")
      note "smoke-boot: kernel started after $kernel_s s (firmware and GRUB)"
    fi
    [ "$(virsh_ domstate "$NAME" 2>/dev/null)" = running ] || die "smoke-boot: the domain stopped"
    ! grep -qs 'Kernel panic' "$DISKS/console.log" || die "smoke-boot: the guest kernel panicked"
    [ "$SECONDS" -lt "$deadline" ] || die "smoke-boot: no SSH on $GUEST_IP after $TIMEOUT s"
    sleep 1
  done
  note "smoke-boot: SSH ready after $tries failed dials, guest uptime $(guest "cut -d' ' -f1 /proc/uptime") s"
}

check_cloud_init() {
  local out rc=0
  out=$(guest timeout "$TIMEOUT" cloud-init status --wait --long) || rc=$?
  printf '%s\n' "$out" | sed 's/^/    | /' >&2
  if [ "$rc" -ne 0 ] || ! grep -q '^status: done' <<<"$out"; then
    guest sudo cloud-init schema --system --annotate 2>&1 | sed 's/^/    | /' >&2 || true
    die "smoke-boot: cloud-init did not finish cleanly (exit $rc)"
  fi
}

show_guest() {
  # shellcheck disable=SC2016 # expanded by the guest's shell
  guest 'echo "hostname: $(hostname)"; ip -br addr; df -h / | tail -n 1;
         echo "failed units: $(systemctl --failed --no-legend --plain | cut -d" " -f1 | xargs)";
         systemd-analyze time 2>/dev/null | head -n 1;
         systemd-analyze blame 2>/dev/null | head -n 8' | sed 's/^/    | /' >&2
  [ "$(guest hostname)" = "$GUEST_HOSTNAME" ] || die "smoke-boot: hostname is not $GUEST_HOSTNAME"
}

main() {
  preflight
  local before after t0 ssh_s ci_s
  before=$(libvirt_inventory)
  trap on_failure EXIT
  trap 'exit 130' INT TERM
  make_workdirs
  make_keys
  make_seed
  make_overlay
  start_network
  step "smoke-boot: starting $NAME (TCG, 2 GiB, 1 vCPU) from $IMAGE"
  t0=$EPOCHREALTIME
  start_domain
  wait_for_ssh "$t0"
  ssh_s=$(elapsed "$t0")
  check_cloud_init
  ci_s=$(elapsed "$t0")
  show_guest
  step "smoke-boot: SSH ready after $ssh_s s, cloud-init done after $ci_s s"
  local keys=$KEYS disks=$DISKS
  trap - EXIT
  cleanup
  after=$(libvirt_inventory)
  if grep -q -e "$NAME" -e "$disks" <<<"$after" || ip link show "$BRIDGE" >/dev/null 2>&1 \
    || [ -e "$keys" ] || [ -e "$disks" ] || [ -e "/run/libvirt/network/$NAME" ]; then
    die "smoke-boot: left behind: $(grep -e "$NAME" -e "$disks" <<<"$after" | xargs) $BRIDGE $keys $disks"
  fi
  if [ "$before" = "$after" ]; then
    note "smoke-boot: domain, network and files removed; libvirt inventory unchanged"
  else
    note "smoke-boot: domain, network and files removed; others changed libvirt meanwhile:"
    diff <(echo "$before") <(echo "$after") | grep '^[<>]' | sed 's/^/      /' >&2 || true
  fi
  printf 'ssh_ready_s=%s cloud_init_done_s=%s\n' "$ssh_s" "$ci_s"
}

main "$@"
