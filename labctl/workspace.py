"""Open a stack of this project with the project's own toolchain and state."""

from __future__ import annotations

import os
import runpy
import shutil
from collections.abc import Callable
from pathlib import Path

import yaml
from pulumi import automation as auto

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_program() -> None:
    """The inline program: the project's `__main__.py`, exactly as the CLI would run it."""
    runpy.run_path(str(REPO_ROOT / "__main__.py"), run_name="__main__")


def pulumi_command() -> auto.PulumiCommand:
    """The pulumi first on PATH (scripts/lib.sh puts the project's built CLI there)."""
    found = shutil.which("pulumi")
    if found is None:
        raise SystemExit('pulumi is not on PATH: run `make setup`, then eval "$(make -s env)"')
    return auto.PulumiCommand(root=str(Path(found).resolve().parent.parent))


def project_name(work_dir: Path) -> str:
    return yaml.safe_load((work_dir / "Pulumi.yaml").read_text())["name"]


def open_stack(
    stack: str, work_dir: Path = REPO_ROOT, program: Callable[[], None] = run_program
) -> auto.Stack:
    """Select the stack, creating it on first use; its config is Pulumi.<stack>.yaml."""
    opts = auto.LocalWorkspaceOptions(
        work_dir=str(work_dir),
        pulumi_command=pulumi_command(),
        env_vars={k: v for k, v in os.environ.items() if k.startswith("PULUMI_")},
    )
    return auto.create_or_select_stack(
        stack_name=stack, project_name=project_name(work_dir), program=program, opts=opts
    )
