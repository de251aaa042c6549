"""Placement: resource inventory for the scheduler, uwsgi on the controller."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.openstack import keystone
from components.openstack.keystone import database_url
from components.openstack.service import (CloudFacts, Service, ServiceArgs, config_file,
                                          uwsgi_default)
from components.openstack.spec import CatalogEntry, Port, ServiceSpec
from components.openstack.step import ConfigFile, InstallNode, Phase, Step

PORT = 8778
CONFIG = "/etc/placement/placement.conf"


def setup_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode) -> list[ConfigFile]:
    return [config_file(CONFIG, "placement/placement.conf.j2", "placement", cloud=cloud,
                        database=database_url("placement", s["db-placement"],
                                              cloud.controller),
                        password=s["user-placement"]),
            uwsgi_default("placement-api", "/etc/placement/placement-api-uwsgi.ini",
                          cloud.controller_ip, PORT)]


class Placement(Service):
    ready: Step

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("Placement", name, args, opts)
        register = keystone.register(self)
        self.ready = self.step("setup", args.controller(), "placement/setup.sh.j2",
                               Phase.SETUP, context={"port": PORT, "config": CONFIG},
                               secrets=["db-placement", "user-placement"], files=setup_files,
                               after=[register])
        self.finish()


SPEC = ServiceSpec(
    "placement", Placement, needs=(keystone.SPEC,),
    ports=(Port("placement", PORT, "Placement", proxied=True),),
    catalog=(CatalogEntry("placement", "placement", "Placement API", PORT),),
    database=True, service_user=True,
    packages={"controller": ("placement-api", "python3-osc-placement")}, smoke=False)
