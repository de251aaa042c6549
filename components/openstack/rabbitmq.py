"""RabbitMQ on the controller with one `openstack` user for every service."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping

import pulumi

from components.openstack.service import CloudFacts, Service, ServiceArgs
from components.openstack.spec import Port, ServiceSpec
from components.openstack.step import ConfigFile, InstallNode, Phase, Step
from components.render import render

ENV = "/etc/rabbitmq/rabbitmq-env.conf"
# rabbitmqctl reads it as the rabbitmq user: root:rabbitmq 0640, like the packages' files.
DEFINITIONS = "/etc/rabbitmq/openstack-lab-definitions.json"
USER = "openstack"
PORT = 5672


def setup_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode) -> list[ConfigFile]:
    return [ConfigFile(ENV, render("rabbitmq/rabbitmq-env.conf.j2", cloud=cloud)),
            ConfigFile(DEFINITIONS, definitions(s["rabbit"]), group="rabbitmq", mode="0640")]


class RabbitMq(Service):
    ready: Step

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("RabbitMq", name, args, opts)
        ctl = args.controller()
        self.ready = self.step("setup", ctl, "rabbitmq/setup.sh.j2", Phase.SETUP,
                               context={"env": ENV, "definitions": DEFINITIONS},
                               secrets=["rabbit"], files=setup_files,
                               after=[args.after.packages_on(ctl)])
        self.finish()


def transport_url(password: str, host: str) -> str:
    return f"rabbit://{USER}:{password}@{host}:{PORT}/"


def password_hash(password: str) -> str:
    """RabbitMQ's salted SHA-256 (rabbit_password_hashing_sha256). The salt is derived from
    the password, so the same password gives the same file and re-runs change nothing."""
    salt = hashlib.sha256(b"openstack-lab rabbitmq salt" + password.encode()).digest()[:4]
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def definitions(password: str) -> str:
    """The `openstack` user and its permissions as a definitions file: imported by the
    step, so the password is in neither argv nor a prompt (rabbitmqctl's stdin prompt
    hangs when run non-interactively)."""
    return json.dumps({
        "users": [{"name": USER, "password_hash": password_hash(password),
                   "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []}],
        "vhosts": [{"name": "/"}],
        "permissions": [{"user": USER, "vhost": "/", "configure": ".*", "write": ".*",
                         "read": ".*"}],
    }, indent=2, sort_keys=True) + "\n"


SPEC = ServiceSpec("rabbitmq", RabbitMq, ports=(Port("rabbitmq", PORT, "RabbitMQ"),), secrets={"rabbit": 32},
                   packages={"controller": ("rabbitmq-server",)}, smoke=False)
