"""The install's last step: fails `pulumi up` unless the cloud really works. It waits
for the `ready` step of every service whose spec says `smoke` and for every node's time
sync."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from components.openstack.registry import expected_reports
from components.openstack.service import CloudFacts, Service, ServiceArgs
from components.openstack.spec import ServiceSpec
from components.openstack.step import ConfigFile, InstallNode, Phase, Step
from components.render import render

STATES_HELPER = "/usr/local/sbin/osl-service-states"


def expected_services(nodes: Sequence[InstallNode],
                      services: Sequence[ServiceSpec]) -> dict[str, list[tuple[str, str]]]:
    """Which binaries must report up on which hosts, from the node roles and the services'
    specs (ServiceSpec.reports)."""
    return expected_reports(services, [(n.name, n.roles) for n in nodes])


def check_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode) -> list[ConfigFile]:
    return [ConfigFile(STATES_HELPER, render("smoke/osl-service-states.py.j2"), mode="0755")]


class SmokeCheck(Service):
    check: Step

    def __init__(self, name: str, args: ServiceArgs, amphora: dict | None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("SmokeCheck", name, args, opts)
        self.check = self.step("check", args.controller(), "smoke/check.sh.j2", Phase.VERIFY,
                               context={"expected_services": expected_services(
                                            args.nodes, args.services),
                                        "amphora": amphora, "states": STATES_HELPER},
                               files=check_files,
                               after=[*args.after.services.values(),
                                      *args.after.time.values()])
        self.finish()
