"""base/foreign-services.sh.j2 run for real with bash against stand-ins of dpkg and
systemctl: a foreign package's units are masked in one call, a D-Bus timeout of systemd
under load is retried, a unit the node runs itself is never masked."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from components.openstack.service import CloudFacts
from components.render import render

CLOUD = CloudFacts.plan("192.168.1.11", "10.0.2.11", "172.16.0.0/24", 1500, 1450)

DPKG_QUERY = '#!/bin/sh\necho "install ok installed"\n'
# keystone ships keystone.service; nova-compute ships nova-compute.service and, like the
# Debian packages, a unit both roles share (here: shared.service).
DPKG = """#!/bin/sh
case $2 in
  keystone) printf '/lib/systemd/system/keystone.service\\n/lib/systemd/system/shared.service\\n' ;;
  nova-compute) printf '/lib/systemd/system/nova-compute.service\\n/lib/systemd/system/shared.service\\n' ;;
esac
"""
# Logs each call; the first `mask` fails as systemd did under load.
SYSTEMCTL = """#!/bin/bash
echo "$*" >> "$LOG"
case $1 in
  is-enabled) echo enabled ;;
  mask)
    if [ ! -e "$LOG.failed" ]; then
      touch "$LOG.failed"; echo "Failed to mask unit: Connection timed out" >&2; exit 1
    fi ;;
esac
"""


def test_foreign_units_are_masked_in_one_retried_call(tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("dpkg-query", DPKG_QUERY), ("dpkg", DPKG), ("systemctl", SYSTEMCTL),
                       ("sleep", "#!/bin/sh\n")):  # retry's pause, not the test's
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    script = render("base/foreign-services.sh.j2", step="demo", node="compute-1",
                    log_dir=str(tmp_path / "logs"), secret_dir=str(tmp_path / "s"),
                    cloud=CLOUD, foreign=["keystone"], own=["nova-compute"])
    log = tmp_path / "systemctl.log"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "LOG": str(log)}
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    masks = [line for line in log.read_text().splitlines() if line.startswith("mask")]
    assert masks == ["mask --now keystone.service"] * 2  # one call, retried once
    assert "foreign services: 1 masked on" in done.stdout
