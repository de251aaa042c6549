"""RabbitMQ on the controller with one `openstack` user for every service."""

from __future__ import annotations

import pulumi

from components.openstack.service import Service, ServiceArgs
from components.openstack.step import ConfigFile, Step
from components.render import render

ENV = "/etc/rabbitmq/rabbitmq-env.conf"
USER = "openstack"


class RabbitMq(Service):
    ready: Step

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("RabbitMq", name, args, opts)
        env = render("rabbitmq/rabbitmq-env.conf.j2", cloud=args.facts)
        self.ready = self.step("setup", args.controller(), "rabbitmq/setup.sh.j2",
                               context={"env": ENV, "user": USER}, secrets=["rabbit"],
                               files=lambda _: [ConfigFile(ENV, env)],
                               after=[args.after["packages"]])
        self.finish()


def transport_url(password: str, host: str) -> str:
    return f"rabbit://{USER}:{password}@{host}:5672/"
