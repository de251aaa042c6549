"""Keystone: database, fernet keys, bootstrap (admin, roles, the identity endpoints), the
`service` project, and the admin credentials the other steps use on the controller."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.openstack import mariadb, memcached
from components.openstack.service import (CloudFacts, Service, ServiceArgs, config_file,
                                          uwsgi_default)
from components.openstack.spec import Port, ServiceSpec
from components.openstack.step import ConfigFile, InstallNode, Phase, Step
from components.render import render

ADMIN_CLOUDS = "/etc/openstack-lab/clouds.yaml"
PORT = 5000


def database_url(user: str, password: str, host: str, database: str | None = None) -> str:
    return f"mysql+pymysql://{user}:{password}@{host}/{database or user}"


def setup_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode) -> list[ConfigFile]:
    """The controller's Keystone config, uwsgi defaults, the admin's credentials and the
    identity and API helpers the other steps use."""
    return [
        config_file("/etc/keystone/keystone.conf", "keystone/keystone.conf.j2", "keystone",
                    cloud=cloud,
                    database=database_url("keystone", s["db-keystone"], cloud.controller)),
        ConfigFile(ADMIN_CLOUDS, render("keystone/clouds.yaml.j2", cloud=cloud,
                                        password=s["admin"]), mode="0600"),
        ConfigFile("/root/admin-openrc", render("keystone/admin-openrc.j2", cloud=cloud,
                                                password=s["admin"]), mode="0600"),
        uwsgi_default("keystone", "/etc/keystone/keystone-uwsgi.ini", cloud.controller_ip, PORT),
        ConfigFile("/usr/local/sbin/osl-identity", render("keystone/osl-identity.py.j2"),
                   mode="0755"),
        ConfigFile("/usr/local/sbin/osl-api", render("keystone/osl-api.py.j2"), mode="0755"),
    ]


class Keystone(Service):
    ready: Step

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("Keystone", name, args, opts)
        ctl = args.controller()
        setup = self.step("setup", ctl, "keystone/setup.sh.j2", Phase.SETUP,
                          context={"port": PORT}, secrets=["admin", "db-keystone"],
                          files=setup_files, after=[args.after.packages_on(ctl)],
                          depends_on=args.after.running(mariadb.SPEC, memcached.SPEC))
        self.ready = self.step("register", ctl, "keystone/register.sh.j2", Phase.REGISTER,
                               after=[setup])
        self.finish()


def register(service: Service) -> Step:
    """`service`'s Keystone user and catalog entries (shared template), and the roles its
    API policy knows beyond Keystone's defaults, all from its spec."""
    spec = service.args.spec
    assert spec is not None, "a registering service is built from its spec"
    user = spec.name if spec.service_user else None
    return service.step("register", service.args.controller(), "lib/register.sh.j2",
                        Phase.REGISTER,
                        context={"user": user, "entries": list(spec.catalog),
                                 "roles": list(spec.roles)},
                        secrets=[f"user-{user}"] if user else [],
                        after=[service.args.after.ready(SPEC)])


SPEC = ServiceSpec(
    "keystone", Keystone, needs=(mariadb.SPEC, memcached.SPEC),
    ports=(Port("keystone", PORT, "Keystone", proxied=True),),
    secrets={"admin": 24, "demo": 24}, database=True,
    packages={"controller": ("keystone",)}, smoke=False)
