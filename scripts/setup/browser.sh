#!/usr/bin/env bash
# The e2e tier's browser (`make e2e` only, not `make setup`): headless Chromium and its
# WebDriver for the Horizon test (tests/e2e/test_horizon_e2e.py), and certutil, which
# puts the lab's CA into the browser's private NSS database. Installs only what is missing.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

packages=(chromium chromium-driver libnss3-tools)

apt_ensure browser "the e2e tier's headless Chromium; a few minutes" "${packages[@]}"
for tool in /usr/bin/chromium /usr/bin/chromedriver /usr/bin/certutil; do
  [ -x "$tool" ] || die "browser: $tool missing with ${packages[*]} installed"
done
