"""The lab's own graph passes its guardrails (policy/) on every underlay.

The inputs are those the program sends to the engine (recorded under mocks, secret markers
included), handed to the pack's policies as its servicer would. This is the only place the
GCP underlay meets the policies with the program's real inputs: pulumi-gcp's plugin
cannot be had offline, so no real `pulumi preview` of it can run here.
"""

from __future__ import annotations

import pulumi
import pytest
from pulumi_policy import ResourceValidationArgs
from pulumi_policy.proxy import unknown_checking_proxy

from policy import guardrails
from tests.graph.test_underlay import GCP, METAL
from tests.harness import run_main, stack_outputs

STACKS = {"local-minimal": {"accel": "tcg"}, "local-standard": {"profile": "standard"},
          "metal": METAL, "gcp": GCP}
# What each underlay must actually put in front of the policies (so a passing run is not
# a run where nothing was checked).
EXPECTED = {
    "local-minimal": {"command:remote:Command", "libvirt:index/cloudInitDisk:CloudInitDisk"},
    "local-standard": {"command:remote:Command", "libvirt:index/cloudInitDisk:CloudInitDisk"},
    "metal": {"command:remote:Command", "libvirt:index/cloudInitDisk:CloudInitDisk"},
    "gcp": {"command:remote:Command", "gcp:compute/instance:Instance",
            "gcp:compute/firewall:Firewall"},
}
CHECKED_TYPES = {t for policy_types in (
    guardrails.REMOTE_TYPES, guardrails.SECRET_TYPES,
    ("gcp:compute/firewall:Firewall", "openstack:networking/secGroupRule:SecGroupRule"))
    for t in policy_types}


@pytest.mark.parametrize("stack", STACKS)
@pulumi.runtime.test
def test_the_lab_passes_every_guardrail(mock_lab, stack):
    monitor = mock_lab(STACKS[stack])
    run_main()

    def check(_):
        found, checked = [], set()
        for r in monitor.registered:
            if not r.custom:
                continue
            props = unknown_checking_proxy(guardrails.keep_secrets(r.inputs))
            args = ResourceValidationArgs(r.type, props, r.urn, r.name, None, None)
            for policy in guardrails.POLICIES:
                policy.validate(args, lambda message, urn=None, who=r.name, p=policy.name:
                                found.append(f"{p} on {who}: {message}"))
            if r.type in CHECKED_TYPES:
                checked.add(r.type)
        assert found == []
        assert checked >= EXPECTED[stack]
        return True

    return stack_outputs().apply(check)
