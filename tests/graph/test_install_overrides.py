"""`openstack-lab:overrides` through the whole program under mocks: an override changes
its file in the steps that write it and nothing else, every declared file takes them, and
neither the overridable options nor the override values open a way for a secret to leave
the secret bundles. (Without overrides the install is the golden files, unchanged:
test_install_golden.py.)"""

from __future__ import annotations

import configparser
import difflib
import itertools
import json
import posixpath

import pytest

from components import ini_overrides
from components.config import ConfigError
from tests.harness import plain_strings, run_main
from tests.install_capture import PROFILES, Install, capture

GLANCE_SETUP = "openstack-glance-setup"
GLANCE_CONF = "/etc/glance/glance-api.conf"
MARKER = "override-value-3f9c1d"


def with_overrides(profile: str, overrides: dict) -> Install:
    return capture(profile, {**PROFILES[profile], "overrides": json.dumps(overrides)})


def ini_owner(path: str) -> str | None:
    """The service whose declared INI file `path` is (None for any other file)."""
    for service, names in ini_overrides.FILES.items():
        if path.startswith(f"/etc/{service}/") and posixpath.basename(path) in names:
            return service
    return None


def test_one_override_changes_one_file_of_one_step(captured_install):
    before = captured_install("minimal")
    after = with_overrides("minimal", {"glance": {"glance-api.conf": {"DEFAULT": {
        "debug": True}}}})
    assert set(after.steps) == set(before.steps)
    changed = {name for name in before.steps
               if (before.steps[name].create, before.steps[name].files)
               != (after.steps[name].create, after.steps[name].files)}
    assert changed == {GLANCE_SETUP}
    old, new = before.steps[GLANCE_SETUP], after.steps[GLANCE_SETUP]
    assert new.create == old.create  # the script is the same; only its bundle differs
    assert {p for p in old.files if old.files[p] != new.files[p]} == {GLANCE_CONF}
    diff = [line for line in difflib.unified_diff(
        old.files[GLANCE_CONF].content.splitlines(), new.files[GLANCE_CONF].content.splitlines(),
        lineterm="", n=0) if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert diff == ["+debug = true"]
    assert "[DEFAULT]\nbind_host" in new.files[GLANCE_CONF].content
    cfg = configparser.ConfigParser(interpolation=None, default_section="none")
    cfg.read_string(new.files[GLANCE_CONF].content)
    assert cfg["DEFAULT"]["debug"] == "true"
    # What re-runs: the step (its stdin changed) and, through their triggers, the steps
    # built on it, as for any change to a step (README, Re-runs).
    retriggered = {name for name in before.steps
                   if before.steps[name].triggers != after.steps[name].triggers}
    assert retriggered and GLANCE_SETUP not in retriggered
    assert all(GLANCE_SETUP in before.ancestors(name) for name in retriggered)


def overrides_for_every_file() -> dict:
    return {service: {name: {"openstack_lab_test": {"marker": f"{service}/{name}"}}
                      for name in names}
            for service, names in ini_overrides.FILES.items()}


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_declared_file_takes_its_overrides_and_no_other_file_changes(
        captured_install, profile):
    before = captured_install(profile)
    after = with_overrides(profile, overrides_for_every_file())
    seen = set()
    for name, step in before.steps.items():
        assert after.steps[name].create == step.create, name
        assert set(after.steps[name].files) == set(step.files), name
        for path, f in step.files.items():
            got = after.steps[name].files[path]
            service = ini_owner(path)
            if service is None:
                assert got == f, f"{name}: {path} changed"
                continue
            file = posixpath.basename(path)
            seen.add((service, file))
            assert got.content == f.content + (
                f"\n[openstack_lab_test]\nmarker = {service}/{file}\n"), f"{name}: {path}"
            assert (got.mode, got.owner, got.group) == (f.mode, f.owner, f.group)
    declared = {(s, n) for s, names in ini_overrides.FILES.items() for n in names}
    assert seen == declared, f"declared but never written: {sorted(declared - seen)}"


def options_of(install: Install) -> list[tuple[str, str, str, str, str]]:
    """(step, path, section, option, value) of every declared INI file's options."""
    found = []
    for step in install.steps.values():
        for path, f in step.files.items():
            if ini_owner(path) is None:
                continue
            cfg = configparser.ConfigParser(strict=False, interpolation=None,
                                            default_section="configparser-no-default")
            cfg.read_string(f.content)
            for section in cfg.sections():
                found += [(step.name, path, section, k, v) for k, v in cfg.items(section)]
    return found


def test_every_option_holding_a_generated_secret_is_refused_as_an_override(install):
    """SECRET_OPTIONS covers every rendered option whose value carries a generated secret,
    and names no option that never does."""
    secrets = set(install.secrets.values())
    holding = {(option, f"{step}: {path} [{section}]")
               for step, path, section, option, value in options_of(install)
               if any(s in value for s in secrets)}
    assert holding
    uncovered = sorted(where + " " + o for o, where in holding
                       if o not in ini_overrides.SECRET_OPTIONS)
    assert not uncovered, f"add to ini_overrides.SECRET_OPTIONS: {uncovered}"
    if install.profile == "minimal":  # the superset: every file of every role
        assert {o for o, _ in holding} == ini_overrides.SECRET_OPTIONS


def test_override_values_travel_only_in_the_secret_bundles():
    after = with_overrides("minimal", {
        "nova": {"nova.conf": {"DEFAULT": {"debug": MARKER}}},
        "neutron": {"metadata_agent.ini": {"DEFAULT": {"log_file_marker": MARKER}}}})
    carriers = {name for name, step in after.steps.items()
                if any(MARKER in f.content for f in step.files.values())}
    assert carriers >= {"openstack-nova-setup", "openstack-neutron-agents-controller"}
    for name in carriers:
        assert after.steps[name].stdin_is_secret, name
    assert not any(MARKER in step.create for step in after.steps.values())
    plain = [*itertools.chain.from_iterable(plain_strings(r.inputs)
                                            for r in after.monitor.registered),
             *plain_strings(after.outputs)]
    assert plain and not [s[:80] for s in plain if MARKER in s]


def test_a_bad_override_fails_before_any_resource(mock_lab):
    monitor = mock_lab({"overrides": json.dumps(
        {"nova": {"nova.conf": {"DEFAULT": {"debug": "true\n[database]"}}}})})
    with pytest.raises(ConfigError, match=r'openstack-lab:overrides\.nova\["nova\.conf"\]'
                                          r'\.DEFAULT\.debug: unprintable'):
        run_main()
    assert all(r.type == "pulumi:pulumi:Stack" for r in monitor.registered)
