"""MariaDB on the controller, listening on the management network."""

from __future__ import annotations

import pulumi

from components.openstack.service import Service, ServiceArgs
from components.openstack.spec import Port, ServiceSpec
from components.openstack.step import ConfigFile, Step
from components.render import render

CONFIG = "/etc/mysql/mariadb.conf.d/99-openstack.cnf"


class MariaDb(Service):
    ready: Step

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("MariaDb", name, args, opts)
        ctl = args.controller()
        cnf = render("mariadb/99-openstack.cnf.j2", cloud=args.facts)
        self.ready = self.step("setup", ctl, "mariadb/setup.sh.j2", context={"config": CONFIG},
                               files=lambda _: [ConfigFile(CONFIG, cnf)],
                               after=[args.after.packages_on(args.controller())])
        self.finish()


SPEC = ServiceSpec("mariadb", MariaDb, ports=(Port("mariadb", 3306, "MariaDB"),),
                   packages={"controller": ("mariadb-server", "python3-pymysql")}, smoke=False)
