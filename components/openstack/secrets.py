"""Every password, key and passphrase of the install: generated once, kept as Pulumi
secrets in state, stable across runs (see keys.GeneratedSecret)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components.keys import GeneratedSecret

SERVICES = ("glance", "placement", "nova", "neutron", "cinder", "octavia")
DATABASES = ("keystone", *SERVICES)

# name -> length; Octavia's certificate passphrase must be exactly 32 characters.
NAMES: dict[str, int] = {
    "admin": 24,
    "demo": 24,
    "rabbit": 32,
    "metadata-proxy": 32,
    "horizon-secret-key": 48,
    "octavia-heartbeat-key": 32,
    "octavia-ca-passphrase": 32,
    **{f"db-{db}": 32 for db in DATABASES},
    **{f"user-{svc}": 32 for svc in SERVICES},
}


class OpenStackSecrets(pulumi.ComponentResource):
    """`values(*names)` gives one secret Output of {name: value} for templates."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:openstack:OpenStackSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.generated = {n: GeneratedSecret(f"{name}-{n}", length, opts=child)
                          for n, length in NAMES.items()}
        self.register_outputs({"names": sorted(self.generated)})

    def value(self, name: str) -> pulumi.Output[str]:
        return self.generated[name].value

    def values(self, names: Sequence[str]) -> pulumi.Output[dict[str, str]]:
        unknown = sorted(set(names) - set(self.generated))
        if unknown:
            raise KeyError(f"no generated secret named {unknown[0]}")
        if not names:  # Output.all() of nothing is a list, not a dict
            return pulumi.Output.from_input({})
        return pulumi.Output.secret(pulumi.Output.all(
            **{n: self.generated[n].value for n in names}))
