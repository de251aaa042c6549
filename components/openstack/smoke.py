"""The install's last step: fails `pulumi up` unless the cloud really works."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components.openstack.service import Service, ServiceArgs
from components.openstack.step import ConfigFile, InstallNode, Step
from components.render import render

STATES_HELPER = "/usr/local/sbin/osl-service-states"


def expected_services(nodes: Sequence[InstallNode]) -> dict[str, list[tuple[str, str]]]:
    """Which binaries must report up on which hosts, from the node roles."""
    expected: dict[str, list[tuple[str, str]]] = {"compute": [], "network": [], "volume": []}
    for n in nodes:
        if n.has("controller"):
            expected["compute"] += [("nova-scheduler", n.name), ("nova-conductor", n.name)]
            expected["volume"].append(("cinder-scheduler", n.name))
        if n.has("compute"):
            expected["compute"].append(("nova-compute", n.name))
            expected["network"].append(("neutron-openvswitch-agent", n.name))
        if n.has("network"):
            expected["network"] += [(f"neutron-{a}-agent", n.name)
                                    for a in ("openvswitch", "l3", "dhcp", "metadata")]
        if n.has("storage"):
            expected["volume"].append(("cinder-volume", n.name))
    return expected


class SmokeCheck(Service):
    check: Step

    def __init__(self, name: str, args: ServiceArgs, amphora: dict | None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("SmokeCheck", name, args, opts)
        self.check = self.step("check", args.controller(), "smoke/check.sh.j2",
                               context={"expected_services": expected_services(args.nodes),
                                        "amphora": amphora, "states": STATES_HELPER},
                               files=lambda _secrets: [ConfigFile(
                                   STATES_HELPER, render("smoke/osl-service-states.py.j2"),
                                   mode="0755")],
                               after=list(args.after.values()))
        self.finish()
