"""Every password, key and passphrase of the install: generated once, kept as Pulumi
secrets in state, stable across runs (see keys.GeneratedSecret). Which ones: the
services' specs say (registry.secret_lengths)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from components.keys import GeneratedSecret


class OpenStackSecrets(pulumi.ComponentResource):
    """`values(*names)` gives one secret Output of {name: value} for templates.
    `lengths`: name -> length of each secret (Octavia's certificate passphrase must be
    exactly 32 characters)."""

    def __init__(self, name: str, lengths: Mapping[str, int],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:openstack:OpenStackSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.generated = {n: GeneratedSecret(f"{name}-{n}", length, opts=child)
                          for n, length in lengths.items()}
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
