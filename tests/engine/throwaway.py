"""A throwaway stack in a temporary project with its own file backend, fully offline."""

from __future__ import annotations

import os
from pathlib import Path

from pulumi import automation as auto

from labctl.workspace import pulumi_command

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: toolchain-check\nruntime: python\n")
    return tmp_path


def offline_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.startswith("PULUMI_")}
    env.update(
        PULUMI_BACKEND_URL=f"file://{tmp_path / 'state'}",
        PULUMI_CONFIG_PASSPHRASE="throwaway-test-passphrase",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        PULUMI_SKIP_UPDATE_CHECK="true",
        # the dynamic provider process imports the stamp provider from the repo
        PYTHONPATH=str(REPO_ROOT),
    )
    env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
    (tmp_path / "state").mkdir()
    return env


def open_throwaway(tmp_path: Path, program) -> auto.Stack:
    opts = auto.LocalWorkspaceOptions(
        work_dir=str(make_project(tmp_path)),
        pulumi_command=pulumi_command(),
        env_vars=offline_env(tmp_path),
    )
    return auto.create_stack("throwaway", project_name="toolchain-check", program=program,
                             opts=opts)
