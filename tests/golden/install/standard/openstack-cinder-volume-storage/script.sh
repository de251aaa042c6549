#!/bin/bash
# openstack-lab step openstack-cinder-volume-storage on storage. Idempotent: every action checks first.
# Re-run by hand: sudo bash /var/lib/openstack-lab/steps/openstack-cinder-volume-storage.sh
set -euo pipefail
umask 022
install -d -m 0750 /var/log/openstack-lab
exec > >(tee -a "/var/log/openstack-lab/openstack-cinder-volume-storage.log") 2>&1
echo "== $(date -Is) openstack-cinder-volume-storage on storage"
SECRET_DIR=/etc/openstack-lab/secrets
CHANGED=()

# retry ATTEMPTS DELAY CMD...: bounded retries for waits; the condition is re-evaluated on
# every attempt.
retry() {
  local attempts=$1 delay=$2 i
  shift 2
  for ((i = 1; i <= attempts; i++)); do
    if "$@"; then return 0; fi
    [ "$i" -lt "$attempts" ] && sleep "$delay"
  done
  echo "gave up after $attempts attempts: $*" >&2
  return 1
}

# secret NAME: a secret from the bundle (mode 0600); never echo it.
secret() { cat "$SECRET_DIR/$1"; }

# install_bundle: install the files on stdin (`file PATH MODE OWNER GROUP BASE64` lines);
# only files whose content or metadata differ are rewritten, and they are listed in CHANGED.
install_bundle() {
  local kind path mode owner group data tmp
  while read -r kind path mode owner group data; do
    [ "$kind" = file ] || { echo "bad bundle line for $path" >&2; return 1; }
    install -d "$(dirname "$path")"
    tmp=$(mktemp "$path.XXXXXX")
    printf '%s' "$data" | base64 -d > "$tmp"
    chown "$owner:$group" "$tmp"
    chmod "$mode" "$tmp"
    if [ -f "$path" ] && cmp -s "$tmp" "$path" \
        && [ "$(stat -c '%a %U %G' "$path")" = "$(stat -c '%a %U %G' "$tmp")" ]; then
      rm -f "$tmp"
      echo "unchanged: $path"
    else
      mv -f "$tmp" "$path"
      CHANGED+=("$path")
      echo "changed: $path"
    fi
  done
}

# changed PATH...: true if the bundle rewrote any of these files.
changed() {
  local want got
  for want in "$@"; do
    for got in "${CHANGED[@]+"${CHANGED[@]}"}"; do
      [ "$want" = "$got" ] && return 0
    done
  done
  return 1
}

# Where converge keeps what each unit was last started with, and where our drop-ins go
# (variables so that the tests can run converge against a recording systemctl).
APPLIED_DIR=${APPLIED_DIR:-/var/lib/openstack-lab/applied}
UNIT_DIR=${UNIT_DIR:-/etc/systemd/system}

# files_digest PATH...: content, owner and mode of these files; files that do not exist
# (e.g. an optional /etc/default/<unit>) count as absent. Owner and mode count too: a
# service that could not read its file must restart.
files_digest() {
  local f
  for f in "$@"; do [ ! -e "$f" ] || { stat -c '%n %a %U %G' "$f"; cat "$f"; }; done \
    | sha256sum | cut -d' ' -f1
}

# unit_dropin UNIT: our start timeout for UNIT; true when the drop-in was (re)written, i.e. a
# daemon-reload is due. Python services take minutes to start on small or emulated (TCG)
# nodes, and far more on a busy TCG controller: a start timeout kills a half-started
# service and begins again from zero, which never converges. systemd's 90 s default would
# fail notify-type units such as nova-conductor; an hour only bounds a service that truly
# hangs.
unit_dropin() {
  local dropin=$UNIT_DIR/$1.service.d/openstack-lab.conf
  local timeouts='[Service]\nTimeoutStartSec=3600\n'
  # shellcheck disable=SC2059 # the format is ours
  [ "$(cat "$dropin" 2>/dev/null)" != "$(printf "$timeouts")" ] || return 1
  install -d "$(dirname "$dropin")"
  # shellcheck disable=SC2059
  printf "$timeouts" > "$dropin"
}

# converge_all "UNIT PATH..." ...: (re)start each UNIT unless it already runs with exactly
# its files. All the units of one step restart in one systemctl call, after at most one
# daemon-reload: every reload runs all of systemd's generators (seconds each under TCG),
# and systemd starts the units of one call in parallel instead of one after the other.
# The stamps record what each unit was last started with, so a step killed between
# writing a file and restarting a unit still restarts it on the next run.
converge_all() {
  local spec unit i reload=0 words=() units=() wants=() restart=()
  install -d -m 0700 "$APPLIED_DIR"
  for spec in "$@"; do
    read -r -a words <<<"$spec"
    units+=("${words[0]}")
    wants+=("$(files_digest "${words[@]:1}")")
    if unit_dropin "${words[0]}"; then reload=1; fi
  done
  if [ "$reload" = 1 ]; then systemctl daemon-reload; fi
  for i in "${!units[@]}"; do
    unit=${units[$i]}
    systemctl enable "$unit" >/dev/null 2>&1 || true
    if ! systemctl is-active --quiet "$unit" \
        || [ "$(cat "$APPLIED_DIR/$unit" 2>/dev/null)" != "${wants[$i]}" ]; then
      restart+=("$unit")
    fi
  done
  if [ -n "${restart[*]:-}" ]; then
    echo "restarting ${restart[*]}"
    systemctl restart "${restart[@]}"
  fi
  for i in "${!units[@]}"; do
    unit=${units[$i]}
    retry 30 2 systemctl is-active --quiet "$unit" \
      || { journalctl -u "$unit" -n 30 --no-pager >&2; return 1; }
    echo "${wants[$i]}" > "$APPLIED_DIR/$unit"
  done
}

# converge UNIT PATH...: converge_all for one unit.
converge() { converge_all "$*"; }

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef \
    -o Dpkg::Options::=--force-confold install "$@"
}

# wait_http URL [SECONDS]: an API answers (any HTTP status below 500) within SECONDS
# (default 3600). A uwsgi API loads its application after systemd reports the unit
# started: on a loaded TCG controller glance-api answered after more than the 3 min this
# wait used to allow, and cinder-api's application took 1317 s to load, past the 20 min
# allowed next; each time the whole `up` failed on a service that was merely slow. Says
# every minute what it is still waiting for.
wait_http() {
  local url=$1 budget=${2:-3600} start=$SECONDS code report=60
  while :; do
    code=$(curl -s -o /dev/null -w "%{http_code}" --max-time 10 "$url") || code=000
    if [ "$code" -ge 200 ] && [ "$code" -lt 500 ]; then return 0; fi
    if (( SECONDS - start >= budget )); then
      echo "no answer from $url within $budget s (last HTTP status $code)" >&2
      return 1
    fi
    if (( SECONDS - start >= report )); then
      echo "waiting: $url (HTTP status $code after $((SECONDS - start)) s)"
      report=$((report + 60))
    fi
    sleep 2
  done
}

# os ARGS...: the openstack client as the cloud admin (credentials from a 0600 file).
os() { OS_CLOUD=admin OS_CLIENT_CONFIG_FILE=/etc/openstack-lab/clouds.yaml openstack "$@"; }

# ensure_db NAME SECRET [USER]: database NAME and its user (default: NAME), password from
# the secret, passed to mysql on stdin, never in argv.
ensure_db() {
  local db=$1 pass user=${3:-$1}
  pass=$(secret "$2")
  mysql --protocol=socket -u root <<SQL
CREATE DATABASE IF NOT EXISTS \`$db\`;
CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$pass';
ALTER USER '$user'@'%' IDENTIFIED BY '$pass';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'%';
SQL
}

# identity ARGS...: idempotent Keystone registration (users, services, endpoints); see
# templates/keystone/osl-identity.py.j2.
identity() { /usr/local/sbin/osl-identity "$@"; }
install_bundle
[ -b /dev/vdb ] || { echo "no LVM disk /dev/vdb" >&2; exit 1; }
pvs /dev/vdb >/dev/null 2>&1 || pvcreate /dev/vdb
vgs cinder-volumes >/dev/null 2>&1 || vgcreate cinder-volumes /dev/vdb
# The iSCSI target is LIO (cinder.conf): tgt, which cinder-volume's package pulls in,
# must not hold port 3260. Masked, not only disabled: cinder-volume.service Wants= it, so
# each cinder-volume start would start it again.
if [ "$(systemctl is-enabled tgt 2>/dev/null || true)" != masked ] || systemctl is-active --quiet tgt; then
  systemctl disable --now tgt 2>/dev/null || true
  systemctl mask --now tgt
  rm -f /etc/tgt/conf.d/cinder.conf
  echo "tgt: masked (LIO exports the volumes)"
fi
# LIO's modules now too (modules-load.d has them for the next boot).
modprobe -a target_core_mod target_core_iblock iscsi_target_mod
# rtslib (in cinder-rtstool) points LIO's dbroot at /etc/rtslib-fb-target before the first
# export and fails every export while that directory is missing ("Cannot set dbroot"):
# targetcli-fb, which would create it, is not installed. LIO keeps ALUA and reservation
# state there, root's only.
install -d -m 0700 /etc/rtslib-fb-target
# cinder-rtstool, as rootwrap finds it, is ours: the package's own, plus emulate_tpu on
# every new backstore (osl-cinder-rtstool). Diverted, so a package upgrade keeps it.
if ! dpkg-divert --list /usr/bin/cinder-rtstool | grep -q .; then
  dpkg-divert --local --rename --divert /usr/bin/cinder-rtstool.distrib \
    --add /usr/bin/cinder-rtstool
fi
ln -sfn /usr/local/sbin/osl-cinder-rtstool /usr/bin/cinder-rtstool
converge cinder-volume /etc/cinder/cinder.conf /etc/lvm/lvmlocal.conf \
  /usr/local/sbin/osl-cinder-rtstool
echo "cinder-volume: $(vgs --noheadings -o vg_name,vg_size cinder-volumes)"
echo "== $(date -Is) openstack-cinder-volume-storage done"

