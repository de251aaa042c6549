"""The lab's policy pack: `pulumi preview --policy-pack policy/run-pack` (see README).

Every policy is mandatory: a violation fails `preview` and `up`.
"""

import guardrails  # this directory is sys.path[0] when the pack runs as `python policy`
from pulumi_policy import EnforcementLevel, PolicyPack

guardrails.install_secret_keeping()

PolicyPack(
    name="openstack-lab-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=guardrails.POLICIES,
)
