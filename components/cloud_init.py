"""cloud-init NoCloud seed of a node, as pure functions: user-data, meta-data and
network-config v2 (static addresses per NIC, matched by MAC)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from components.network_plan import Nic
from components.render import render

USER = "debian"


@dataclass(frozen=True)
class HostEntry:
    address: str
    name: str


@dataclass(frozen=True)
class Seed:
    """Everything that shapes a node's first boot, except the private half of its host key
    (the public half identifies it), so the digest is stable and not a secret."""

    hostname: str
    domain: str
    operator_public_key: str
    host_public_key: str
    nics: tuple[Nic, ...]
    hosts: tuple[HostEntry, ...]
    nameservers: tuple[str, ...]

    def network_config(self) -> str:
        return render("cloud-init/network-config.yaml.j2", nics=self.nics,
                      nameservers=self.nameservers)

    def user_data(self, host_private_key: str) -> str:
        return render("cloud-init/user-data.yaml.j2", seed=self, user=USER,
                      host_private_key=host_private_key)

    def digest(self) -> str:
        text = self.user_data("<the private key of host_public_key>") + self.network_config()
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def instance_id(self) -> str:
        """cloud-init re-provisions only when this changes, so it follows the content."""
        return f"iid-{self.hostname}-{self.digest()}"

    def meta_data(self) -> str:
        return render("cloud-init/meta-data.yaml.j2", instance_id=self.instance_id(),
                      hostname=self.hostname)
