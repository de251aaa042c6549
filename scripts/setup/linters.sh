#!/usr/bin/env bash
# Linters the tests call that Debian does not package at a usable version: actionlint
# (checks .github/workflows/). Built once from the Go module proxy into
# $OPENSTACK_LAB_HOME/tools/bin, so it stays out of git and a second run builds nothing.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

ACTIONLINT_VERSION=1.7.12
TOOLS_BIN="$OPENSTACK_LAB_HOME/tools/bin"
mkdir -p "$TOOLS_BIN"

# `actionlint -version` prints the module version first; a different or broken binary
# is rebuilt rather than trusted.
if [ "$("$TOOLS_BIN/actionlint" -version 2>/dev/null | head -n1)" = "v$ACTIONLINT_VERSION" ]; then
  note "linters: actionlint v$ACTIONLINT_VERSION present"
  exit 0
fi

GO=$(command -v go || true)
[ -n "$GO" ] || GO=/usr/local/go/bin/go
if [ ! -x "$GO" ]; then
  # Only `make test` needs actionlint; `make up` must not fail for it on a machine
  # where pulumi came from PATH and no Go was ever needed.
  note "linters: NOT installing actionlint: no Go toolchain (install Go >= 1.22);"
  note "         tests/unit/test_workflows.py fails until it is installed"
  exit 0
fi

step "linters: building actionlint v$ACTIONLINT_VERSION from the Go module proxy (once; ~1-2 min)"
start=$SECONDS
# A newer Go, if actionlint's go.mod asks for one, comes from the proxy as golang.org/toolchain.
GOTOOLCHAIN=auto CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOBIN="$TOOLS_BIN" \
  "$GO" install -trimpath -ldflags "-s -w" \
  "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION"
note "linters: actionlint built in $((SECONDS - start)) s"
