"""The secret scan's own logic: what counts as a secret, what a hit is, where one is
allowed (only in 0600 files written to hold it)."""

import json
import os

from labctl import secret_scan as scan
from tests.fixtures.keys import real_private_key

# A key made for the test run (tests/fixtures/keys.py); its body lines are what is searched.
KEY = real_private_key()
BODY = KEY.splitlines()[1:-1]


def secret(value):
    return {scan.SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "plaintext": json.dumps(value)}


STATE = {"deployment": {"resources": [
    {"type": scan.DYNAMIC, "outputs": {"length": 32, "value": secret("Zx8pQ2rT7vW9yB4nM6kL3jH5")}},
    {"type": scan.DYNAMIC, "outputs": {"comment": "op", "private_key": secret(KEY),
                                       "public_key": "ssh-ed25519 AAAApublic"}},
    {"type": "command:remote:Command", "outputs": {"stdout": "value not ours"}},
]}}


def test_generated_passwords_and_key_bodies_are_the_patterns():
    found = scan.secrets_of(STATE)
    assert "Zx8pQ2rT7vW9yB4nM6kL3jH5" in found
    assert BODY[0] in found
    # The armour every key shares and public keys are no secrets.
    assert not [p for p in found if p.startswith("-----") or "public" in p]
    assert all(len(p) >= 8 for p in found)


def test_a_secret_is_allowed_only_in_a_private_file(tmp_path):
    secrets = scan.secrets_of(STATE)
    private, shared, clean = tmp_path / "openrc", tmp_path / "config", tmp_path / "ok"
    for path, mode, text in [(private, 0o600, "export OS_PASSWORD=Zx8pQ2rT7vW9yB4nM6kL3jH5\n"),
                             (shared, 0o644, f"key {BODY[1]}\n"),
                             (clean, 0o644, "nothing here\n")]:
        path.write_text(text)
        os.chmod(path, mode)
    hits = scan.scan_files([private, shared, clean], secrets, allowed_private=True)
    assert [h.where for h in hits] == [str(shared)]
    assert "0644" in hits[0].why and "Zx8p" not in str(hits[0])
    # Where no secret may be at all (state files, logs), a private file counts too.
    assert len(scan.scan_files([private, shared], secrets)) == 2


def test_the_pattern_file_is_private_and_holds_one_pattern_a_line(tmp_path):
    path = scan.pattern_file(["first-secret-1", "second-secret-2"])
    try:
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        assert path.read_text().splitlines() == ["first-secret-1", "second-secret-2"]
    finally:
        path.unlink()


def test_node_scan_reports_files_not_secrets(tmp_path):
    """node-scan.sh on this machine with its directories swapped for test ones."""
    import subprocess
    logs = tmp_path / "log"
    logs.mkdir()
    (logs / "step.log").write_text("password=Zx8pQ2rT7vW9yB4nM6kL3jH5\n")
    (logs / "other.log").write_text("fine\n")
    patterns = scan.pattern_file(["Zx8pQ2rT7vW9yB4nM6kL3jH5"])
    script = scan.NODE_SCAN.read_text().replace("/var/log/openstack-lab", str(logs))
    done = subprocess.run(["bash", "-c", script, "node-scan", str(patterns)], capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert f"hit {logs}/step.log" in done.stdout and "other.log" not in done.stdout
    assert "Zx8p" not in done.stdout
    assert not patterns.exists()  # removed by the script
