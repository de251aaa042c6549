"""MariaDB on the controller, listening on the management network."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.openstack.service import CloudFacts, Service, ServiceArgs
from components.openstack.spec import Port, ServiceSpec
from components.openstack.step import ConfigFile, InstallNode, Phase, Step
from components.render import render

CONFIG = "/etc/mysql/mariadb.conf.d/99-openstack.cnf"


def setup_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode) -> list[ConfigFile]:
    return [ConfigFile(CONFIG, render("mariadb/99-openstack.cnf.j2", cloud=cloud))]


class MariaDb(Service):
    ready: Step

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("MariaDb", name, args, opts)
        ctl = args.controller()
        self.ready = self.step("setup", ctl, "mariadb/setup.sh.j2", Phase.SETUP,
                               context={"config": CONFIG}, files=setup_files,
                               after=[args.after.packages_on(ctl)])
        self.finish()


SPEC = ServiceSpec("mariadb", MariaDb, ports=(Port("mariadb", 3306, "MariaDB"),),
                   packages={"controller": ("mariadb-server", "python3-pymysql")}, smoke=False)
