"""Glance: image API on the controller, file store."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.openstack import keystone
from components.openstack.keystone import database_url
from components.openstack.service import CloudFacts, Service, ServiceArgs, config_file
from components.openstack.spec import CatalogEntry, Port, ServiceSpec
from components.openstack.step import ConfigFile, InstallNode, Phase, Step

PORT = 9292
CONFIG = "/etc/glance/glance-api.conf"


def setup_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode) -> list[ConfigFile]:
    return [config_file(CONFIG, "glance/glance-api.conf.j2", "glance", cloud=cloud,
                        database=database_url("glance", s["db-glance"], cloud.controller),
                        password=s["user-glance"])]


class Glance(Service):
    ready: Step

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("Glance", name, args, opts)
        register = keystone.register(self)
        self.ready = self.step("setup", args.controller(), "glance/setup.sh.j2", Phase.SETUP,
                               context={"port": PORT, "config": CONFIG},
                               secrets=["db-glance", "user-glance"], files=setup_files,
                               after=[register])
        self.finish()


SPEC = ServiceSpec(
    "glance", Glance, needs=(keystone.SPEC,),
    ports=(Port("glance", PORT, "Glance", proxied=True),),
    catalog=(CatalogEntry("glance", "image", "OpenStack Image", PORT),),
    database=True, service_user=True, packages={"controller": ("glance",)})
