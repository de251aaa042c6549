"""Secret scan after a real run: every generated password and private key of the given
stacks (read from their states) is searched for where it must never be — the state files
(secrets there are ciphertext), `pulumi stack output` without --show-secrets, the logs of
runs that were handed in, the files `make up` writes (a hit is allowed only in a 0600
file meant to hold it), and on every node the step logs, the step scripts and the journal.

The secrets travel as a pattern file (0600 here, 0600 on a node, removed after), never on
a command line: sudo logs its command lines to the journal, so a scan that passed them as
arguments would plant them there itself.

    python -m labctl.secret_scan [--log FILE ...] STACK [STACK ...]
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from components.paths import cloud_dir, lab_home, ssh_dir

SECRET_SIG = "4dabf18193072939515e22adb298388d"
DYNAMIC = "pulumi-python:dynamic:Resource"
# The outputs of the program's own key and password resources (components/keys.py).
SECRET_FIELDS = ("private_key", "value", "key_pem", "passphrase")
NODE_SCAN = Path(__file__).resolve().parent.parent / "scripts" / "scan" / "node-scan.sh"
SHORTEST = 12  # shorter lines of a key (its armour, padding) are no evidence of a leak


def _plain(value: object) -> object:
    """A secret value from an export with --show-secrets: {sig, plaintext: JSON}."""
    if isinstance(value, dict) and value.get(SECRET_SIG) and "plaintext" in value:
        return json.loads(value["plaintext"])
    return value


def patterns_of(value: str) -> list[str]:
    """A password is one pattern; a PEM or OpenSSH key, each line of its body (any one of
    them leaking is a leak), without the BEGIN/END armour every key shares."""
    lines = [ln.strip() for ln in value.splitlines()]
    body = [ln for ln in lines if ln and not ln.startswith("-----") and ":" not in ln]
    if len(lines) == 1:
        return [value] if len(value) >= 8 else []
    return [ln for ln in body if len(ln) >= SHORTEST]


def secrets_of(state: dict) -> list[str]:
    """Every generated secret in an export of a stack (with --show-secrets)."""
    found: list[str] = []
    for resource in (state.get("deployment") or {}).get("resources") or []:
        if resource.get("type") != DYNAMIC:
            continue
        outputs = resource.get("outputs") or {}
        for name in SECRET_FIELDS:
            value = _plain(outputs.get(name))
            if isinstance(value, str) and value:
                found += patterns_of(value)
    return sorted(set(found))


@dataclass(frozen=True)
class Hit:
    where: str
    why: str

    def __str__(self) -> str:
        return f"{self.where}: {self.why}"


def scan_text(name: str, text: str, secrets: Sequence[str]) -> list[Hit]:
    return [Hit(name, "holds a secret")] if any(s in text for s in secrets) else []


def scan_files(paths: Iterable[Path], secrets: Sequence[str],
               allowed_private: bool = False) -> list[Hit]:
    """Files holding a secret; with `allowed_private`, those that are 0600 may."""
    hits = []
    for path in paths:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if not any(s in text for s in secrets):
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        if allowed_private and mode & 0o077 == 0:
            continue
        hits.append(Hit(str(path), f"holds a secret (mode {mode:04o})"))
    return hits


def _walk(directory: Path) -> Iterator[Path]:
    return (p for p in directory.rglob("*") if p.is_file()) if directory.exists() else iter(())


def pattern_file(secrets: Sequence[str]) -> Path:
    fd, name = tempfile.mkstemp(prefix="osl-scan-")  # 0600
    with os.fdopen(fd, "w") as out:
        out.write("".join(f"{s}\n" for s in secrets))
    return Path(name)


def scan_node(ssh_config: Path, node: str, patterns: Path) -> list[Hit]:
    """Copies the patterns to the node (stdin, 0600), runs node-scan.sh there as root."""
    remote = "/tmp/osl-scan-patterns"
    ssh = ["ssh", "-F", str(ssh_config), node]
    with patterns.open() as source:
        subprocess.run([*ssh, f"umask 077 && cat > {remote}"], stdin=source, check=True,
                       timeout=600)
    with NODE_SCAN.open() as script:
        done = subprocess.run([*ssh, "sudo", "bash", "-s", remote], stdin=script,
                              capture_output=True, text=True, timeout=1800, check=True)
    if "scanned" not in done.stdout:
        raise RuntimeError(f"{node}: the scan did not finish: {done.stderr[-400:]}")
    return [Hit(f"{node}:{line[4:]}", "holds a secret")
            for line in done.stdout.splitlines() if line.startswith("hit ")]


def export(stack: str, show_secrets: bool) -> dict:
    args = ["pulumi", "stack", "export", "--stack", stack] + (["--show-secrets"] if show_secrets else [])
    return json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)


def outputs_text(stack: str) -> str:
    return subprocess.run(["pulumi", "stack", "output", "--json", "--stack", stack],
                          capture_output=True, text=True, check=True).stdout


def scan(stacks: Sequence[str], logs: Sequence[Path] = ()) -> list[Hit]:
    secrets = sorted({s for stack in stacks for s in secrets_of(export(stack, True))})
    if not secrets:
        raise RuntimeError(f"no secrets found in {', '.join(stacks)}: nothing to scan for")
    hits: list[Hit] = []
    hits += scan_files(_walk(lab_home() / "state"), secrets)
    for stack in stacks:
        hits += scan_text(f"pulumi stack output {stack}", outputs_text(stack), secrets)
        hits += scan_files(_walk(ssh_dir(stack)), secrets, allowed_private=True)
        hits += scan_files(_walk(cloud_dir(stack)), secrets, allowed_private=True)
    hits += scan_files(logs, secrets)
    patterns = pattern_file(secrets)
    try:
        for stack in stacks:
            config = ssh_dir(stack) / "config"
            if not config.exists():
                continue
            for line in config.read_text().splitlines():
                if line.startswith("Host ") and line.split()[1] != "lab-jump":
                    hits += scan_node(config, line.split()[1], patterns)
    finally:
        patterns.unlink()
    print(f"secret scan: {len(secrets)} patterns from {', '.join(stacks)}; "
          f"{len(hits)} hits", file=sys.stderr)
    return hits


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labctl.secret_scan")
    parser.add_argument("stacks", nargs="+")
    parser.add_argument("--log", type=Path, action="append", default=[],
                        help="a run's output or event log to search too")
    args = parser.parse_args(argv)
    hits = scan(args.stacks, args.log)
    for hit in hits:
        print(hit)
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
