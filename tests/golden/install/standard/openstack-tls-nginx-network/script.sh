#!/bin/bash
# openstack-lab step openstack-tls-nginx-network on network. Idempotent: every action checks first.
# Re-run by hand: sudo bash /var/lib/openstack-lab/steps/openstack-tls-nginx-network.sh
set -euo pipefail
umask 022
install -d -m 0750 /var/log/openstack-lab
exec > >(tee -a "/var/log/openstack-lab/openstack-tls-nginx-network.log") 2>&1
echo "== $(date -Is) openstack-tls-nginx-network on network"
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
# The TLS endpoint: nginx on 10.0.2.12, certificates from the bundle (key 0600).
install_bundle
[ "$(stat -c '%a %U' /etc/nginx/openstack-lab/server.key)" = "600 root" ] \
  || { echo "/etc/nginx/openstack-lab/server.key must be 0600 root" >&2; exit 1; }

# Our site only: the package's default site listens on every address (port 80 belongs to
# Apache on the controller, which may be this node).
ln -sfn /etc/nginx/sites-available/openstack-lab.conf /etc/nginx/sites-enabled/openstack-lab.conf
rm -f /etc/nginx/sites-enabled/default

# Nothing but nginx may hold a public port on this address or on a wildcard one (on a
# combined controller the APIs and Apache bind other addresses or ports): say who does,
# rather than leave nginx failing to bind.
holders=$(ss -Hltnp | awk -v a="10.0.2.12" -v ports="5000 9292 8778 8774 6080 9696 8776 9876 443" '
  BEGIN { n = split(ports, p, " "); for (i = 1; i <= n; i++) want[p[i]] = 1 }
  $0 !~ /"nginx"/ {
    port = $4; sub(/.*:/, "", port); host = substr($4, 1, length($4) - length(port) - 1)
    if ((port in want) && (host == a || host == "0.0.0.0" || host == "*" || host == "[::]")) print
  }')
if [ -n "$holders" ]; then
  echo "other listeners hold the public ports on 10.0.2.12:" >&2
  echo "$holders" >&2
  exit 1
fi
if ! nginx -t -q; then
  nginx -t || true
  echo "nginx: configuration test failed" >&2
  exit 1
fi
converge nginx /etc/nginx/sites-available/openstack-lab.conf /etc/nginx/openstack-lab/server.crt /etc/nginx/openstack-lab/server.key /etc/nginx/openstack-lab/ca.crt

# Listening on the public address only, on every public port.
listening() {
  local port
  for port in 5000 9292 8778 8774 6080 9696 8776 9876 443; do
    ss -Hltn "sport = :$port" | grep -qF "10.0.2.12:$port" || return 1
  done
}
retry 15 2 listening || { ss -Hltnp >&2; echo "nginx does not listen on 10.0.2.12" >&2; exit 1; }
if ss -Hltnp | grep nginx | grep -vqF "10.0.2.12:"; then
  ss -Hltnp | grep nginx >&2
  echo "nginx listens beyond 10.0.2.12" >&2
  exit 1
fi

# Through the proxy, the identity API's links are the public https ones, never the
# controller's internal URLs.
url=https://10.0.2.12:5000/v3
resolve=()
body=""
fetch() {  # fetch [CURL ARGS...]: the answer from $url (plus a path given as $path)
  body=$(curl -sS --fail --max-time 60 --cacert /etc/nginx/openstack-lab/ca.crt "${resolve[@]}" "$@" "$url${path:-}")
}
expect_public() {  # expect_public WHAT: $body names the public identity URL, no internal one
  grep -qF "https://10.0.2.12:5000" <<<"$body" \
    || { echo "$1: no https://10.0.2.12:5000 in the answer" >&2; return 1; }
  if grep -qF "http://controller" <<<"$body"; then
    echo "$1: the answer carries an internal URL (http://controller)" >&2
    return 1
  fi
}
path=""
retry 30 2 fetch || { echo "no answer from $url" >&2; exit 1; }
expect_public "GET $url" || exit 1
echo "tls: $url answers with public links"

# The catalog in a token: both of its identity endpoints (public and internal) come back
# as the public URL. The password reaches curl on stdin, never in argv.
token_request() {
  printf '{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "domain": {"name": "Default"}, "password": "%s"}}}, "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}' "$(secret admin)"
}
issue_token() { fetch -H "Content-Type: application/json" --data-binary @- <<<"$(token_request)"; }
path=/auth/tokens
# Keystone may be busy with every other step's registrations (one uwsgi process on a
# TCG controller answers one request at a time): be patient, bounded.
retry 10 10 issue_token || { echo "no token from $url$path" >&2; exit 1; }
expect_public "POST $url$path" || exit 1
echo "tls: the token's catalog carries public URLs only"
echo "== $(date -Is) openstack-tls-nginx-network done"

