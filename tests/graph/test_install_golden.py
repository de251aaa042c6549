"""Golden files of the install, per profile and step, under tests/golden/install/<profile>/<step>/:
  script.sh          the step body the wrapper stores on the node and runs
  bundle.txt         PATH MODE OWNER GROUP of each file in the step's bundle
  files/<path>       each bundle file's content (secrets are the mocks' fixed values;
                     private key blocks are replaced by a digest line, so no key-shaped
                     material is committed and a changed key still shows as a diff)
A template or component change shows up as a diff in the failure; review it, then
regenerate the whole tree (stale steps are removed) with

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/graph/test_install_golden.py \\
        -q -p no:cacheprovider

and commit the changed golden files with the change that caused them.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import shutil
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.install_capture import PROFILES, Install

GOLDEN = REPO_ROOT / "tests/golden/install"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
PRIVATE_KEY = re.compile(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----",
                         re.DOTALL)


def redact_private_keys(text: str) -> str:
    return PRIVATE_KEY.sub(
        lambda m: f"<{m[1]}PRIVATE KEY sha256:{hashlib.sha256(m[0].encode()).hexdigest()[:16]}>",
        text)


# --- golden files -------------------------------------------------------------------------

def golden_tree(install: Install) -> dict[str, str]:
    """Relative path under the profile's golden dir -> expected content."""
    tree: dict[str, str] = {}
    for step in install.steps.values():
        tree[f"{step.name}/script.sh"] = step.body
        files = sorted(step.files.values(), key=lambda f: f.path)
        if files:
            tree[f"{step.name}/bundle.txt"] = "".join(
                f"{f.path} {f.mode} {f.owner} {f.group}\n" for f in files)
        for f in files:
            tree[f"{step.name}/files/{f.path.lstrip('/')}"] = redact_private_keys(f.content)
    return tree


def on_disk(root: Path) -> dict[str, str]:
    if not root.is_dir():
        return {}
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*"))
            if p.is_file()}


def write_tree(root: Path, tree: dict[str, str]) -> None:
    if root.exists():
        shutil.rmtree(root)
    for rel, content in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def golden_steps() -> list[tuple[str, str]]:
    """(profile, step) of every golden step dir: per-step tests are parametrized by these,
    so a failure names the step without running the program at collection time."""
    return [(profile, d.name) for profile in sorted(PROFILES)
            for d in sorted((GOLDEN / profile).glob("*")) if d.is_dir()]


def test_golden_files(install):
    root = GOLDEN / install.profile
    want = golden_tree(install)
    if UPDATE:
        write_tree(root, want)
    have = on_disk(root)
    problems: list[str] = []
    for rel in sorted(set(want) | set(have)):
        if rel not in have:
            problems.append(f"new: {rel}")
        elif rel not in want:
            problems.append(f"gone: {rel}")
        elif want[rel] != have[rel]:
            diff = difflib.unified_diff(have[rel].splitlines(), want[rel].splitlines(),
                                        f"golden/{rel}", f"rendered/{rel}", lineterm="", n=2)
            problems.append("\n".join(list(diff)[:40]))
    assert not problems, (f"{install.profile}: rendered install differs from "
                          f"{root.relative_to(REPO_ROOT)} (review, then UPDATE_GOLDEN=1):\n"
                          + "\n".join(problems[:30]))


def test_golden_steps_are_the_captured_steps(captured_install):
    for profile in PROFILES:
        golden = {step for p, step in golden_steps() if p == profile}
        assert golden == set(captured_install(profile).steps), \
            f"{profile}: golden step dirs out of date (UPDATE_GOLDEN=1)"


