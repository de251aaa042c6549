"""functions.sh's wait_http run for real with bash against a shimmed curl: an API that
answers late is waited for (with progress), one that never answers fails within its budget
and names the URL."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from components.openstack.service import CloudFacts
from components.render import render

URL = "http://controller:9292"
CLOUD = CloudFacts.plan("192.168.1.11", "10.0.2.11", "172.16.0.0/24", 1500, 1450)


def _run(tmp_path: Path, failures: int, budget: int) -> subprocess.CompletedProcess:
    """curl answers 503 `failures` times, then 300 (an API's version list)."""
    shim = tmp_path / "bin"
    shim.mkdir(exist_ok=True)
    count = tmp_path / "calls"
    (shim / "curl").write_text(
        "#!/bin/bash\n"
        f'n=$(( $(cat {count} 2>/dev/null || echo 0) + 1 )); echo $n > {count}\n'
        f'if [ "$n" -le {failures} ]; then printf 503; else printf 300; fi\n')
    (shim / "curl").chmod(0o755)
    functions = render("lib/functions.sh.j2", secret_dir=str(tmp_path / "secrets"),
                       cloud=CLOUD)
    script = f"set -euo pipefail\n{functions}\nwait_http {URL} {budget}\necho answered\n"
    env = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}"}
    return subprocess.run(["bash", "-c", script], env=env, text=True, capture_output=True,
                          timeout=120)


def test_a_late_answer_is_waited_for(tmp_path):
    done = _run(tmp_path, failures=2, budget=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("answered")
    assert (tmp_path / "calls").read_text().strip() == "3"


def test_no_answer_fails_within_the_budget_naming_the_url(tmp_path):
    done = _run(tmp_path, failures=1000, budget=3)
    assert done.returncode != 0
    assert "answered" not in done.stdout
    assert f"no answer from {URL} within 3 s (last HTTP status 503)" in done.stderr
    assert int((tmp_path / "calls").read_text()) >= 2  # it retried before giving up
