"""Resource URNs are the identity of a converged lab: a URN that changes without an alias
makes the engine delete the old resource and create a new one (a rebuilt and re-uploaded
image, a re-run step). The program is run under mocks per stack and every URN it had when
the golden files below were written must still be there, as a resource's URN or as one of
its aliases; a URN that is new must belong to a component (a component is free: it runs
nothing). Golden files, one engine-style URN a line:

    tests/golden/urns/<stack>.txt

A re-parented resource keeps its old URN by an alias and needs no new golden. After
adding or removing resources on purpose, regenerate them (an aliased resource stays under
the URN it had) with

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/graph/test_urns.py -q -p no:cacheprovider

and say in the commit which resources a converged lab will create or delete.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import pulumi
import pytest

from tests.conftest import REPO_ROOT
from tests.fixtures.keys import HOST_KEY, real_private_key
from tests.harness import (PROJECT, LabMocks, Registered, install_mocks, is_secret, run_main,
                           stack_outputs)

GOLDEN = REPO_ROOT / "tests/golden/urns"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
ROOT_TYPE = "pulumi:pulumi:Stack"
UNDERLAYS = ("local-minimal", "local-standard", "metal", "gcp")


def underlay_config(key: str) -> dict[str, str]:
    return {"layer": "underlay", **{
        "local-minimal": {"profile": "minimal", "accel": "tcg"},
        "local-standard": {"profile": "standard", "accel": "tcg"},
        "metal": {"underlay": "metal", "metalHost": "192.0.2.10", "metalUser": "lab",
                  "metalHostKey": HOST_KEY, "metalPrivateKey": real_private_key(),
                  "accel": "tcg"},
        "gcp": {"underlay": "gcp", "profile": "standard", "gcpProject": "lab-project",
                "operatorCidr": "198.51.100.0/24"},
    }[key]}


def engine_urns(registered: list[Registered], stack: str) -> dict[str, tuple[str, set[str]]]:
    """By mock URN: the URN the engine gives the resource, and the engine URNs its aliases
    name. (The mock monitor's URNs keep only the parent's last type; the engine's carry
    the whole chain of parent types below the stack.)"""
    by_urn = {r.urn: r for r in registered}

    def qualified(parent_urn: str, typ: str) -> str:
        parent = by_urn.get(parent_urn)
        if parent is None or parent.type == ROOT_TYPE:
            return typ
        return f"{qualified(parent.parent, parent.type)}${typ}"

    def urn(parent_urn: str, typ: str, name: str) -> str:
        return f"urn:pulumi:{stack}::{PROJECT}::{qualified(parent_urn, typ)}::{name}"

    def alias_urn(r: Registered, alias: dict[str, Any]) -> str:
        if "urn" in alias:
            return alias["urn"]
        spec = alias["spec"]
        assert spec.get("stack", stack) == stack and spec.get("project", PROJECT) == PROJECT
        parent = "" if spec.get("noParent") else spec.get("parentUrn", r.parent)
        return urn(parent, spec.get("type") or r.type, spec.get("name") or r.name)

    return {r.urn: (urn(r.parent, r.type, r.name), {alias_urn(r, a) for a in r.aliases})
            for r in registered if r.type != ROOT_TYPE}


def _run(stack: str, config: Mapping[str, str], mocks: LabMocks | None = None):
    monitor = install_mocks(config, stack=stack, mocks=mocks)
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def run():
        run_main()
        return stack_outputs().apply(outputs.update)

    run()
    return monitor, outputs


@pytest.fixture(scope="module")
def programs() -> dict[str, tuple[str, list[Registered]]]:
    """Each golden stack's registrations: the underlays, and the dev overlay fed the local
    minimal underlay's outputs."""
    runs: dict[str, tuple[str, list[Registered]]] = {}
    for key in UNDERLAYS:
        monitor, outputs = _run("dev", underlay_config(key))
        runs[key] = ("dev", monitor.registered)
        if key == "local-minimal":
            dev_outputs = outputs
    monitor, _ = _run("dev-overlay", {"layer": "overlay", "underlayStack": "dev"},
                      LabMocks(stack_outputs={"dev": dev_outputs}))
    runs["overlay"] = ("dev-overlay", monitor.registered)
    return runs


@pytest.mark.parametrize("key", [*UNDERLAYS, "overlay"])
def test_no_urn_of_a_lab_changes_without_an_alias(programs, key):
    stack, registered = programs[key]
    urns = engine_urns(registered, stack)
    now = {urn for urn, _ in urns.values()}
    assert len(now) == len(urns), "two resources with one URN"
    path = GOLDEN / f"{key}.txt"
    golden = set(path.read_text().splitlines()) if path.exists() else set()
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{u}\n" for u in sorted(known_urns(urns, golden).values())))
        golden = set(path.read_text().splitlines())
    kept = now | {a for _, aliases in urns.values() for a in aliases}
    lost = sorted(golden - kept)
    assert not lost, "URNs gone without an alias (their resources would be replaced):\n" + \
        "\n".join(lost)
    # A new URN is free for a component (it runs nothing); a new custom resource is
    # created, so it must say which old one it is (an alias).
    new = sorted(urn for r in registered if r.custom and r.urn in urns
                 for urn, aliases in [urns[r.urn]] if urn not in golden and not aliases & golden)
    assert not new, "new resources without an alias to an old URN:\n" + "\n".join(new)


def known_urns(urns: Mapping[str, tuple[str, set[str]]], golden: set[str]) -> dict[str, str]:
    """By mock URN: the URN a converged lab knows the resource by, its alias in `golden`
    where it has one, else its own."""
    return {mock: next((a for a in sorted(aliases) if a in golden), urn)
            for mock, (urn, aliases) in urns.items()}


def _local_command(r: Registered) -> dict[str, Any]:
    """What a local command runs and when it runs again; a secret stdin (a private key) is
    recorded as such, not by its value."""
    stdin = r.inputs.get("stdin")
    return {"create": r.inputs.get("create"), "delete": r.inputs.get("delete"),
            "environment": r.inputs.get("environment"), "logging": r.inputs.get("logging"),
            "triggers": r.inputs.get("triggers"),
            "stdin": None if stdin is None else ("<secret>" if is_secret(stdin) else stdin),
            "secret_outputs": sorted(r.secret_outputs)}


@pytest.mark.parametrize("key", [*UNDERLAYS, "overlay"])
def test_local_commands_run_what_they_ran(programs, key):
    """Every command:local:Command (image builds, the amphora copy, the checks), by engine
    URN: a changed command line, environment or trigger runs it again, which for an image
    means a rebuild and a re-upload. Golden files: tests/golden/local-commands/<stack>.json
    (regenerated with UPDATE_GOLDEN=1, like the URNs)."""
    stack, registered = programs[key]
    urns = engine_urns(registered, stack)
    path = REPO_ROOT / "tests/golden/local-commands" / f"{key}.json"
    golden = json.loads(path.read_text()) if path.exists() else {}
    # By the URN a converged lab knows: a re-parented command's alias where it has one.
    known = known_urns(urns, set(golden))
    found = {known[r.urn]: _local_command(r) for r in registered
             if r.type == "command:local:Command"}
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
        golden = found
    assert found == golden
