"""The project's own shell scripts pass shellcheck and keep the strict-mode header."""

import subprocess

import pytest

from tests.conftest import REPO_ROOT, pinned

# Run inside guests as PID 1 of a busybox initramfs: POSIX sh, and never `set -e` (an
# init that exits panics the kernel).
GUEST_SCRIPTS = {REPO_ROOT / "scripts/image/web-init.sh"}
SCRIPTS = sorted(
    p for p in [*REPO_ROOT.glob("scripts/**/*.sh"), *REPO_ROOT.glob("toolchain/*/build.sh"),
                REPO_ROOT / "policy/run-pack", REPO_ROOT / ".ci/run"]
    if p.name != "lib.sh" and p not in GUEST_SCRIPTS  # lib.sh: sourced, not executed
)


@pytest.mark.parametrize("script", sorted(GUEST_SCRIPTS), ids=lambda p: p.name)
def test_guest_script_is_posix_sh_and_clean(script):
    text = script.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert "set -e" not in text
    done = subprocess.run(["shellcheck", "--shell=sh", str(script)], capture_output=True,
                          text=True, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_script_is_strict_and_clean(script):
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    done = subprocess.run(["shellcheck", "-x", str(script)], capture_output=True, text=True,
                          cwd=REPO_ROOT)
    assert done.returncode == 0, done.stdout


def test_ci_runs_exactly_the_readme_test_command():
    readme_head = (REPO_ROOT / "README.md").read_text().splitlines()[:6]
    assert any(line.startswith("make test") for line in readme_head)
    commands = [line for line in (REPO_ROOT / ".ci/run").read_text().splitlines()
                if line and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    assert commands == ["make test"]


def test_cli_wrapper_module_pins_the_sdk_version():
    go_mod = (REPO_ROOT / "toolchain/pulumi-cli/go.mod").read_text()
    assert f"github.com/pulumi/pulumi/pkg/v3 v{pinned('pulumi')}\n" in go_mod
