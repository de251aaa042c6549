"""memcached on the controller: Keystone's token cache and Horizon's sessions."""

from __future__ import annotations

import pulumi

from components.openstack.service import Service, ServiceArgs
from components.openstack.spec import Port, ServiceSpec
from components.openstack.step import ConfigFile, Step
from components.render import render

CONFIG = "/etc/memcached.conf"


class Memcached(Service):
    ready: Step

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("Memcached", name, args, opts)
        conf = render("memcached/memcached.conf.j2", cloud=args.facts)
        self.ready = self.step("setup", args.controller(), "memcached/setup.sh.j2",
                               context={"config": CONFIG},
                               files=lambda _: [ConfigFile(CONFIG, conf)],
                               after=[args.after.packages_on(args.controller())])
        self.finish()


SPEC = ServiceSpec("memcached", Memcached, ports=(Port("memcached", 11211, "memcached"),),
                   packages={"controller": ("memcached", "python3-memcache")}, smoke=False)
