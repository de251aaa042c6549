"""The program carries one Patience from the underlay to every step: a local lab's from
its host's acceleration, gcp's KVM, a metal host's from `accel` (auto: TCG's, since its
acceleration is probed only after the templates are rendered)."""

from __future__ import annotations

import pytest

from components.patience import KVM, TCG
from tests.graph.test_underlay import GCP, METAL
from tests.install_capture import Install, capture

CASES = {
    "local-kvm": ({"profile": "minimal", "accel": "kvm"}, KVM),
    "local-tcg": ({"profile": "minimal", "accel": "tcg"}, TCG),
    # The mocked metal host reports a real KVM (tests.harness): its nodes get KVM domains,
    # but with accel auto the install still waits as under TCG.
    "metal-auto": ({**METAL, "profile": "minimal"}, TCG),
    "metal-kvm": ({**METAL, "profile": "minimal", "accel": "kvm"}, KVM),
    "gcp": (GCP, KVM),
}


def files(install: Install, path: str) -> list[str]:
    found = [s.files[path].content for s in install.steps.values() if path in s.files]
    assert found, f"no step writes {path}"
    return found


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_step_waits_with_the_underlays_patience(case):
    config, p = CASES[case]
    install = capture(config.get("profile", "standard"), config)
    for step in install.steps.values():
        assert f"TimeoutStartSec={p.unit_start}\\n'" in step.body, step.name
        assert f"budget=${{2:-{p.api_answer}}}" in step.body, step.name
    for text in files(install, "/etc/nova/nova.conf"):
        assert f"\nrpc_response_timeout = {p.rpc_response}\n" in text
    for text in files(install, "/etc/octavia/octavia.conf"):
        assert f"\nconnection_max_retries = {p.amphora_connect_retries}\n" in text
        assert f"\namp_active_retries = {p.amphora_active_retries}\n" in text
    for text in files(install, "/etc/nginx/sites-available/openstack-lab.conf"):
        assert f"proxy_read_timeout {p.proxy}s;" in text
