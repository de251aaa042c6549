"""The GitHub Actions workflows: valid for GitHub (actionlint), free of credentials, and
keeping the promises the README makes (tests on push, commented PR previews, gated up).

Nothing here can run the workflows themselves; actionlint checks their syntax, the
expressions and contexts they use, the inputs of the actions they call and (through
shellcheck) their `run:` scripts.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github/workflows").glob("*.y*ml"))
ACTIONLINT = (Path(os.environ.get("OPENSTACK_LAB_HOME", Path.home() / ".openstack-lab"))
              / "tools/bin/actionlint")

# What a leaked credential looks like: Pulumi/GitHub/Google/AWS token formats and PEM keys.
TOKEN_SHAPES = re.compile(
    r"pul-[0-9a-f]{40}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{22,}|AIza[0-9A-Za-z_-]{35}"
    r"|ya29\.[0-9A-Za-z_-]{20,}|AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----")
# Keys whose value is a credential: it may only ever be an expression reading a secret.
CREDENTIAL_KEY = re.compile(r"token|passphrase|password|secret|private.?key|credentials",
                            re.IGNORECASE)
FROM_SECRETS = re.compile(r"^\$\{\{\s*(secrets\.[A-Za-z_][A-Za-z0-9_]*|github\.token)\s*\}\}$")


def load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean True.
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def workflow(name: str) -> dict:
    return load(REPO_ROOT / ".github/workflows" / name)


def steps_using(doc: dict, action: str) -> list[dict]:
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])
            if s.get("uses", "").split("@")[0] == action]


def mappings(node, path=()):
    """Every (path, key, value) of every mapping in a parsed YAML document."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield path, str(k), v
            yield from mappings(v, (*path, str(k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from mappings(v, (*path, str(i)))


def test_the_three_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"test.yml", "preview.yml", "up.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_passes(path):
    # Setup (scripts/setup/linters.sh) installs it; a missing linter must not pass quietly.
    assert ACTIONLINT.is_file(), f"{ACTIONLINT} missing: run scripts/setup/linters.sh"
    done = subprocess.run([str(ACTIONLINT), "-no-color", str(path)], capture_output=True,
                          text=True, cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_plaintext_credentials(path):
    text = path.read_text()
    assert not TOKEN_SHAPES.search(text)
    for where, key, value in mappings(load(path)):
        if where[-1:] == ("permissions",):  # GITHUB_TOKEN scopes such as `id-token: write`
            continue
        if CREDENTIAL_KEY.search(key) and isinstance(value, (str, int, float)):
            assert FROM_SECRETS.match(str(value)), (
                f"{path.name}: {'.'.join((*where, key))} must come from secrets, not {value!r}")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned(path):
    """A moving ref (a branch) lets someone else change what runs with our secrets."""
    for step in (s for job in load(path)["jobs"].values() for s in job.get("steps", [])):
        if "uses" in step:
            ref = step["uses"].partition("@")[2]
            assert re.fullmatch(r"v\d+(\.\d+){0,2}|[0-9a-f]{40}", ref), step["uses"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_policy_packs_exist(path):
    """A mistyped pack path would make the CLI fail only on GitHub."""
    for where, key, value in mappings(load(path)):
        if key == "policyPacks":
            for pack in str(value).split():
                assert os.access(REPO_ROOT / pack, os.X_OK), f"{path.name}: {pack}"


def test_preview_and_up_run_the_guardrails():
    for name, command in (("preview.yml", "preview"), ("up.yml", "up")):
        steps = [s for s in steps_using(workflow(name), "pulumi/actions")
                 if s.get("with", {}).get("command") == command]
        assert steps and all(s["with"].get("policyPacks") for s in steps), name


def test_tests_run_make_test_on_push_and_pull_request():
    doc = workflow("test.yml")
    assert {"push", "pull_request"} <= set(doc["on"])
    runs = [s.get("run", "") for s in doc["jobs"]["test"]["steps"]]
    assert "make test" in runs
    assert steps_using(doc, "actions/setup-python"), "the workflow sets Python up itself"


def test_pr_preview_comments_with_pulumi_actions():
    doc = workflow("preview.yml")
    assert set(doc["on"]) == {"pull_request"}
    previews = [s for s in steps_using(doc, "pulumi/actions")
                if s.get("with", {}).get("command") == "preview"]
    assert previews, "no pulumi/actions step runs `preview`"
    for step in previews:
        assert step["uses"].split("@")[1].split(".")[0] == "v6"
        assert step["with"]["comment-on-pr"] is True
    assert doc["jobs"]["preview"]["permissions"]["pull-requests"] == "write"


def test_gcp_credentials_come_from_workload_identity():
    for name in ("preview.yml", "up.yml"):
        doc = workflow(name)
        auth = steps_using(doc, "google-github-actions/auth")
        assert auth, name
        for step in auth:
            assert "credentials_json" not in step["with"]  # a long-lived key
            assert step["with"]["workload_identity_provider"].startswith("${{ secrets.")
        for job in doc["jobs"].values():
            if any(s.get("uses", "").startswith("google-github-actions/auth@")
                   for s in job.get("steps", [])):
                assert job["permissions"]["id-token"] == "write", name


def test_up_and_destroy_are_gated_by_an_environment():
    doc = workflow("up.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    assert "destroy" in doc["on"]["workflow_dispatch"]["inputs"]["action"]["options"]
    commands = {}
    for name, job in doc["jobs"].items():
        for step in steps_using({"jobs": {name: job}}, "pulumi/actions"):
            if "command" in step.get("with", {}):
                commands[step["with"]["command"]] = job
    assert set(commands) == {"up", "destroy"}
    for command, job in commands.items():
        assert job.get("environment"), f"the {command} job has no environment gate"
    # A push may run `up` (opt-in); only a person may run `destroy`.
    assert "workflow_dispatch" in commands["destroy"]["if"]
    assert "push" not in commands["destroy"]["if"]
