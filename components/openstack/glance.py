"""Glance: image API on the controller, file store."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.openstack.keystone import database_url
from components.openstack.service import CatalogEntry, Service, ServiceArgs
from components.openstack.step import ConfigFile, Step

PORT = 9292
CONFIG = "/etc/glance/glance-api.conf"


class Glance(Service):
    ready: Step

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("Glance", name, args, opts)
        cloud = args.facts

        def files(s: Mapping[str, str]) -> list[ConfigFile]:
            return [self.ini(CONFIG, "glance/glance-api.conf.j2", "glance", cloud=cloud,
                             database=database_url("glance", s["db-glance"],
                                                   cloud.controller),
                             password=s["user-glance"])]

        register = self.register("glance", [CatalogEntry("glance", "image", "OpenStack Image",
                                                         PORT)])
        self.ready = self.step("setup", args.controller(), "glance/setup.sh.j2",
                               context={"port": PORT, "config": CONFIG},
                               secrets=["db-glance", "user-glance"], files=files,
                               after=[register])
        self.finish()
