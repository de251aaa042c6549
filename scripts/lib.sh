# shellcheck shell=bash
# Shared by the setup and run scripts; sourced, never executed.
# Everything the lab keeps outside git lives under OPENSTACK_LAB_HOME.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OPENSTACK_LAB_HOME=${OPENSTACK_LAB_HOME:-$HOME/.openstack-lab}
LAB_STATE_DIR="$OPENSTACK_LAB_HOME/state"
LAB_PASSPHRASE_FILE="$OPENSTACK_LAB_HOME/passphrase"
LAB_TOOLCHAIN_DIR="$OPENSTACK_LAB_HOME/toolchain"
LAB_PULUMI_HOME="$OPENSTACK_LAB_HOME/pulumi-home"
VENV="$REPO_ROOT/.venv"

# One source of truth for versions: the pinned Python SDKs.
pinned_version() {
  sed -n "s/^$1==\([^ #]*\).*/\1/p" "$REPO_ROOT/requirements.txt"
}
PULUMI_VERSION=$(pinned_version pulumi)
PULUMI_BIN_DIR="$LAB_TOOLCHAIN_DIR/pulumi-v$PULUMI_VERSION/bin"
LAB_PLUGIN_DIR="$LAB_TOOLCHAIN_DIR/plugins"

step() { printf '==> %s\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The Debian archive this host's apt fetches from (its mirror, or a caching proxy's URL for
# it), for the image builds: they follow the host's configuration, never a hard-coded
# archive host. The first non-security `main` Packages target of a Debian host's sources
# wins; only a host that is not Debian (or has no such source) gets Debian's own redirector.
# NODE_IMAGE_MIRROR, where set, is used by the callers before this.
host_debian_mirror() {
  local uri=
  if grep -qsx 'ID=debian' /etc/os-release; then
    # shellcheck disable=SC2016 # apt's own $(FIELD) placeholders
    uri=$(apt-get indextargets --no-release-info --format '$(REPO_URI)' 'Created-By: Packages' 'Component: main' \
      2>/dev/null | grep -v -- '-security/*$' | head -n 1 || true)
  fi
  uri=${uri%/}
  echo "${uri:-http://deb.debian.org/debian}"
}

# The host's apt proxy settings (Acquire::*::Proxy) as mmdebstrap --aptopt arguments.
host_apt_proxy_opts() {
  apt-config dump 2>/dev/null | sed -n 's/^\(Acquire::[^ ]*::Proxy\(::[^ ]*\)\?\) \(".*"\);$/--aptopt=\1 \3/p'
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

has_systemd() { [ -d /run/systemd/system ]; }

# Installs those of the Debian packages named that are not installed yet, saying which
# and why first; nothing (not even `apt-get update`) when all are.
apt_ensure() { # label why package...
  local label=$1 why=$2 p
  shift 2
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    note "$label: all $# packages present"
    return 0
  fi
  step "$label: installing ${missing[*]} ($why)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q
  as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# "system": a pulumi of the pinned version was already on PATH (a user with internet,
# whose engine may download plugins as usual); "built": the project built it offline.
toolchain_mode() {
  cat "$LAB_TOOLCHAIN_DIR/mode" 2>/dev/null || echo none
}

# The environment every pulumi invocation of the project runs with: local state, the
# passphrase from a 0600 file, no update checks; offline toolchains also never download.
lab_exports() {
  cat <<EXPORTS
export OPENSTACK_LAB_HOME="$OPENSTACK_LAB_HOME"
export PULUMI_BACKEND_URL="file://$LAB_STATE_DIR"
export PULUMI_CONFIG_PASSPHRASE_FILE="$LAB_PASSPHRASE_FILE"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_RUNTIME_VIRTUALENV="$VENV"
EXPORTS
  if [ "$(toolchain_mode)" = built ]; then
    cat <<EXPORTS
export PATH="$PULUMI_BIN_DIR:$VENV/bin:\$PATH"
export PULUMI_HOME="$LAB_PULUMI_HOME"
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_PYTHON_CMD="$VENV/bin/python"
EXPORTS
  else
    echo "export PATH=\"$VENV/bin:\$PATH\""
  fi
}

# An overlay stack's config says `openstack-lab:layer: overlay`.
is_overlay() {
  grep -qE '^\s*openstack-lab:layer:\s*overlay\s*$' "$REPO_ROOT/Pulumi.$1.yaml" 2>/dev/null
}

# The overlay stack built on underlay stack $1 (Pulumi.$1-overlay.yaml), or nothing.
overlay_of() {
  if ! is_overlay "$1" && [ -f "$REPO_ROOT/Pulumi.$1-overlay.yaml" ]; then
    echo "$1-overlay"
  fi
}
