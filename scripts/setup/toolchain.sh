#!/usr/bin/env bash
# The Pulumi toolchain: CLI, Python language pieces and provider plugins at the versions
# of the pinned SDKs. A pulumi of that version on PATH is used as it is; otherwise the
# pieces are built from the Go module proxy into $OPENSTACK_LAB_HOME/toolchain, keyed by
# version, so a second run builds nothing. What the proxy refuses is recorded, not faked.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

if [ "${1:-}" = --clean ]; then
  rm -rf "$LAB_TOOLCHAIN_DIR"
  note "toolchain: removed $LAB_TOOLCHAIN_DIR"
  exit 0
fi

MANIFEST="$LAB_TOOLCHAIN_DIR/manifest.json"
UNAVAILABLE_DIR="$LAB_TOOLCHAIN_DIR/unavailable"
mkdir -p "$LAB_TOOLCHAIN_DIR" "$PULUMI_BIN_DIR" "$LAB_PLUGIN_DIR" "$UNAVAILABLE_DIR" "$LAB_PULUMI_HOME"

find_go() {
  local go
  for go in "$(command -v go || true)" /usr/local/go/bin/go; do
    [ -n "$go" ] && [ -x "$go" ] && { echo "$go"; return 0; }
  done
  die "no Go toolchain found (needed to build Pulumi offline); install Go >= 1.21 or put pulumi v$PULUMI_VERSION on PATH"
}

# A newer Go, if go.mod asks for one, comes from the module proxy as golang.org/toolchain.
export GOTOOLCHAIN=auto CGO_ENABLED=0 GOFLAGS=-buildvcs=false
VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version

system_pulumi_matches() {
  local p
  p=$(command -v pulumi || true)
  [ -n "$p" ] && [ "$(dirname "$p")" != "$PULUMI_BIN_DIR" ] \
    && [ "$("$p" version 2>/dev/null)" = "v$PULUMI_VERSION" ]
}

# Prints the module's directory in the module cache; on failure prints the proxy's answer
# and returns non-zero.
mod_download() { # module@version
  local json
  json=$("$GO" mod download -json "$1" 2>&1 || true)
  local dir err
  dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
  if [ -n "$dir" ] && [ -d "$dir" ]; then
    echo "$dir"
    return 0
  fi
  err=$(sed -n 's/^[[:space:]]*"Error": "\(.*\)"$/\1/p' <<<"$json" | sed 's/\\n\\t/ /g')
  echo "${err:-$json}"
  return 1
}

record_unavailable() { # name reason
  printf '%s\n' "$2" > "$UNAVAILABLE_DIR/$1"
  note "toolchain: $1 is NOT available: $2"
}

build_cli() {
  if [ "$("$PULUMI_BIN_DIR/pulumi" version 2>/dev/null)" = "v$PULUMI_VERSION" ]; then
    note "toolchain: pulumi v$PULUMI_VERSION already built"
    return
  fi
  step "toolchain: building the Pulumi CLI v$PULUMI_VERSION from the Go module proxy (once; ~10 min on 2 cores)"
  local start=$SECONDS
  (cd "$REPO_ROOT/toolchain/pulumi-cli" && "$GO" build -mod=readonly -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X $VERSION_VAR=v$PULUMI_VERSION" \
    -o "$PULUMI_BIN_DIR/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  note "toolchain: pulumi built in $((SECONDS - start)) s"
}

# The exec shim of the Python language host and the dynamic-provider shim ship inside the
# sdk/v3 module, so they come with the same version as the CLI.
install_sdk_scripts() {
  local dir
  dir=$(mod_download "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION") || die "$dir"
  install -m 0755 "$dir/python/cmd/pulumi-language-python-exec" "$PULUMI_BIN_DIR/"
  install -m 0755 "$dir/python/dist/pulumi-resource-pulumi-python" "$PULUMI_BIN_DIR/"
}

language_host_pin() { # matching|fallback
  awk -v k="$1" '$1 == k { print $2 }' "$REPO_ROOT/toolchain/language-host.version"
}

# The matching host when the proxy serves it; else the last host inside sdk/v3. A fallback
# host is kept, but the matching one is asked for again on each setup.
build_language_host() {
  local host="$PULUMI_BIN_DIR/pulumi-language-python"
  local fallback_mark="$LAB_TOOLCHAIN_DIR/language-host-fallback"
  local module="github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3"
  local pseudo answer
  if [ -x "$host" ] && [ ! -e "$fallback_mark" ]; then
    note "toolchain: Python language host present"
    return
  fi
  pseudo=$(language_host_pin matching)
  note "toolchain: Python language host $pseudo: asking the Go module proxy"
  if answer=$(mod_download "$module@$pseudo"); then
    build_matching_host "$module" "$pseudo" "$host"
    rm -f "$UNAVAILABLE_DIR/language-python" "$fallback_mark"
  elif [ -x "$host" ]; then
    note "toolchain: still refused; keeping the fallback host $(cut -d' ' -f1 "$fallback_mark")"
  else
    build_fallback_host "$answer" "$host" "$fallback_mark"
  fi
}

build_matching_host() { # module pseudo-version output
  local work
  work=$(mktemp -d)
  step "toolchain: building the Python language host (a few minutes, once)"
  # Its go.mod replaces pkg/sdk with relative paths: build in a wrapper module that pins
  # them to the CLI's version instead.
  (cd "$work" && "$GO" mod init langhost >/dev/null 2>&1 \
    && "$GO" get "$1@$2" "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" \
      "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" \
    && "$GO" build -trimpath -ldflags "-s -w -X $VERSION_VAR=v$PULUMI_VERSION" -o "$3" "$1") \
    || { rm -rf "$work"; die "building the Python language host failed"; }
  rm -rf "$work"
}

build_fallback_host() { # refusal output mark
  local fallback dir work
  fallback=$(language_host_pin fallback)
  note "toolchain: the proxy refuses it ($1)"
  if ! dir=$(mod_download "github.com/pulumi/pulumi/sdk/v3@$fallback"); then
    record_unavailable language-python "$1; fallback sdk/v3@$fallback: $dir"
    return
  fi
  step "toolchain: building the Python language host from sdk/v3@$fallback instead (~2 min, once)"
  # sdk/v3's go.mod has a replace line, so `go install` refuses it: build inside a copy.
  work=$(mktemp -d)
  cp -r "$dir/." "$work/" && chmod -R u+w "$work"
  (cd "$work" && "$GO" build -trimpath -ldflags "-s -w -X $VERSION_VAR=$fallback" -o "$2" \
    ./python/cmd/pulumi-language-python) \
    || { rm -rf "$work"; die "building the fallback Python language host failed"; }
  rm -rf "$work"
  echo "$fallback (the proxy refuses the matching host: $1)" > "$3"
  rm -f "$UNAVAILABLE_DIR/language-python"
}

# plain: a provider module with no replace lines builds with `go install`.
# bridged: Terraform-bridged providers need their module copied, the schema generated
# (`go generate`, it is not in the module) and then a build inside that copy.
# own: where the proxy refuses the upstream module, a directory of this repository builds
# a compatible plugin from modules the proxy does serve (its build.sh says how).
build_plugin() { # name version module module-version main version-var kind own-dir
  local name=$1 version=$2 module=$3 modver=$4 main=$5 var=$6 kind=$7 own=$8
  local dest="$LAB_PLUGIN_DIR/pulumi-resource-$name" stamp="$LAB_PLUGIN_DIR/.$name.version"
  if [ -x "$dest" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ] && own_current "$name" "$own"; then
    note "toolchain: plugin $name $version already built ($(cat "$LAB_PLUGIN_DIR/.$name.source" 2>/dev/null || echo upstream))"
    return
  fi
  note "toolchain: plugin $name $version: asking the Go module proxy for $module"
  local dir
  if dir=$(mod_download "$module@$modver"); then
    build_upstream_plugin "$dir" "$dest" "$version" "$main" "$var" "$kind"
    echo upstream > "$LAB_PLUGIN_DIR/.$name.source"
  elif [ "$own" != - ] && [ -x "$REPO_ROOT/$own/build.sh" ]; then
    note "toolchain: the proxy refuses it ($dir)"
    build_own_plugin "$name" "$version" "$own" "$dest"
  else
    record_unavailable "$name" "$dir"
    return
  fi
  echo "$version" > "$stamp"
  rm -f "$UNAVAILABLE_DIR/$name"
  # --reinstall: without it the engine keeps its earlier copy of a rebuilt plugin.
  "$PULUMI_BIN_DIR/pulumi" plugin install --reinstall resource "$name" "$version" --file "$dest" >/dev/null
}

# An own-built plugin changes with this repository, not with its version: its stamp also
# holds a digest of the source directory, so an edited provider is rebuilt by setup.
# Tracked files only where this is a git checkout: build leftovers must not count.
own_digest() { # own-dir
  (cd "$REPO_ROOT/$1" && { git ls-files -z . 2>/dev/null || find . -type f -print0; } \
    | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}

own_current() { # name own-dir
  [ "$(cat "$LAB_PLUGIN_DIR/.$1.source" 2>/dev/null)" = "own: $2" ] || return 0
  [ "$(cat "$LAB_PLUGIN_DIR/.$1.digest" 2>/dev/null)" = "$(own_digest "$2")" ]
}

build_upstream_plugin() { # module-dir dest version main version-var kind
  local dir=$1 dest=$2 version=$3 main=$4 var=$5 kind=$6 work
  step "toolchain: building plugin $(basename "$dest") $version ($kind; several minutes, once)"
  work=$(mktemp -d)
  cp -r "$dir/." "$work/" && chmod -R u+w "$work"
  if [ "$kind" = bridged ]; then
    (cd "$work" && VERSION=$version "$GO" generate "./$main")
  fi
  (cd "$work" && "$GO" build -mod=mod -trimpath -ldflags "-s -w -X $var=$version" -o "$dest" "./$main") \
    || { rm -rf "$work"; die "building $(basename "$dest") failed"; }
  rm -rf "$work"
}

build_own_plugin() { # name version own-dir dest
  step "toolchain: building plugin $1 $2 from $3 instead (several minutes, once)"
  local start=$SECONDS
  # Built beside the plugin and renamed over it: a running engine may hold the old binary.
  GO="$GO" "$REPO_ROOT/$3/build.sh" "$4.new" "$2" || die "building plugin $1 from $3 failed"
  mv -f "$4.new" "$4"
  echo "own: $3" > "$LAB_PLUGIN_DIR/.$1.source"
  own_digest "$3" > "$LAB_PLUGIN_DIR/.$1.digest"
  note "toolchain: plugin $1 built in $((SECONDS - start)) s"
}

write_manifest() {
  "$VENV/bin/python" - "$MANIFEST" "$PULUMI_VERSION" "$LAB_PLUGIN_DIR" "$UNAVAILABLE_DIR" "$PULUMI_BIN_DIR" \
    "$LAB_TOOLCHAIN_DIR/language-host-fallback" <<'PY'
import json, pathlib, sys
manifest, version, plugins, unavailable, bindir, fallback = sys.argv[1:]
def source(p):
    s = p.with_name(p.name.replace(".version", ".source"))
    return s.read_text().strip() if s.exists() else "upstream"
built = {p.name[1:-len(".version")]: {"version": p.read_text().strip(), "source": source(p)}
         for p in pathlib.Path(plugins).glob(".*.version")}
missing = {p.name: p.read_text().strip() for p in pathlib.Path(unavailable).iterdir()}
fallback = pathlib.Path(fallback)
host = fallback.read_text().strip() if fallback.exists() else f"v{version}"
json.dump({"pulumi": version, "bin": bindir, "language_host": host, "plugins": built,
           "unavailable": missing},
          open(manifest, "w"), indent=2, sort_keys=True)
PY
}

if system_pulumi_matches; then
  echo system > "$LAB_TOOLCHAIN_DIR/mode"
  note "toolchain: using $(command -v pulumi) ($PULUMI_VERSION); its engine fetches plugins as usual"
  exit 0
fi

GO=$(find_go)
export PULUMI_HOME="$LAB_PULUMI_HOME" PULUMI_SKIP_UPDATE_CHECK=true
build_cli
install_sdk_scripts
build_language_host
while IFS=$'\t' read -r name version module modver main var kind own; do
  case "$name" in ''|'#'*) continue ;; esac
  build_plugin "$name" "$version" "$module" "$modver" "$main" "$var" "$kind" "${own:--}"
done < "$REPO_ROOT/toolchain/plugins.tsv"
echo built > "$LAB_TOOLCHAIN_DIR/mode"
write_manifest
