"""memcached on the controller: Keystone's token cache and Horizon's sessions."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.openstack.service import CloudFacts, Service, ServiceArgs
from components.openstack.spec import Port, ServiceSpec
from components.openstack.step import ConfigFile, InstallNode, Phase, Step
from components.render import render

CONFIG = "/etc/memcached.conf"


def setup_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode) -> list[ConfigFile]:
    return [ConfigFile(CONFIG, render("memcached/memcached.conf.j2", cloud=cloud))]


class Memcached(Service):
    ready: Step

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("Memcached", name, args, opts)
        ctl = args.controller()
        self.ready = self.step("setup", ctl, "memcached/setup.sh.j2", Phase.SETUP,
                               context={"config": CONFIG}, files=setup_files,
                               after=[args.after.packages_on(ctl)])
        self.finish()


SPEC = ServiceSpec("memcached", Memcached, ports=(Port("memcached", 11211, "memcached"),),
                   packages={"controller": ("memcached", "python3-memcache")}, smoke=False)
