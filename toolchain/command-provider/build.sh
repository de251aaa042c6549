#!/usr/bin/env bash
# Builds pulumi-resource-command from this module; the version must be the pinned
# pulumi_command SDK's, or the engine will not pick the plugin for it.
# usage: build.sh DEST VERSION
set -euo pipefail
dest=$(realpath -m "$1") version=$2
cd "$(dirname "$0")"
exec "${GO:-go}" build -mod=readonly -trimpath -ldflags "-s -w -X main.Version=$version" \
  -o "$dest" ./cmd/pulumi-resource-command
