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

SMOKE_HELPER = "/usr/local/sbin/osl-smoke"
# How long each kind of service may take to report up: 30 × 5 s (its agents report every
# 30 s, and after a checkpoint's restore their last reports look stale first).
ATTEMPTS, INTERVAL = 30, 5


def expected_services(nodes: Sequence[InstallNode],
                      services: Sequence[ServiceSpec]) -> dict[str, list[tuple[str, str]]]:
    """Which binaries must report up on which hosts, from the node roles and the services'
    specs (ServiceSpec.reports)."""
    return expected_reports(services, [(n.name, n.roles) for n in nodes])


def check_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode, *,
                expected: Mapping[str, Sequence[tuple[str, str]]],
                amphora: Mapping[str, str] | None) -> list[ConfigFile]:
    """The API checks as one program (osl-smoke): one client, one token."""
    return [ConfigFile(SMOKE_HELPER, render("smoke/osl-smoke.py.j2",
                                            expected_services=expected, amphora=amphora,
                                            attempts=ATTEMPTS, interval=INTERVAL),
                       mode="0755")]


class SmokeCheck(Service):
    check: Step

    def __init__(self, name: str, args: ServiceArgs, amphora: dict | None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("SmokeCheck", name, args, opts)
        expected = expected_services(args.nodes, args.services)
        self.check = self.step("check", args.controller(), "smoke/check.sh.j2", Phase.VERIFY,
                               context={"helper": SMOKE_HELPER}, files=check_files,
                               inputs={"expected": expected, "amphora": amphora},
                               after=[*args.after.services.values(),
                                      *args.after.time.values()])
        self.finish()
