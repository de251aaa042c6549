"""The lab's policy pack: `pulumi preview --policy-pack policy/run-pack` (see README).

Every policy is mandatory: a violation fails `preview` and `up`.
"""

import sys
from pathlib import Path

# This directory is sys.path[0] when the pack runs as `python policy`; the repository's
# root gives the guardrails the services' ports (components/openstack/registry.py).
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import guardrails  # noqa: E402
from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

guardrails.install_secret_keeping()

PolicyPack(
    name="openstack-lab-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=guardrails.POLICIES,
)
