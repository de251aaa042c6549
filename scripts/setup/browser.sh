#!/usr/bin/env bash
# The e2e tier's browser (`make e2e` only, not `make setup`): headless Chromium and its
# WebDriver for the Horizon test (tests/e2e/test_horizon_e2e.py), and certutil, which
# puts the lab's CA into the browser's private NSS database. Installs only what is missing.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

packages=(chromium chromium-driver libnss3-tools)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  note "browser: ${packages[*]} present"
  exit 0
fi

step "browser: installing ${missing[*]} (the e2e tier's headless Chromium; a few minutes)"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -q
as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
for tool in /usr/bin/chromium /usr/bin/chromedriver /usr/bin/certutil; do
  [ -x "$tool" ] || die "browser: $tool missing after installing ${missing[*]}"
done
