"""Horizon (Apache + mod_wsgi on the controller), pointed at Keystone, sessions in
memcached, with the Octavia dashboard plugin; reached through the TLS endpoint."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.openstack import keystone, memcached
from components.openstack.service import CloudFacts, Service, ServiceArgs, config_file
from components.openstack.spec import ServiceSpec
from components.openstack.step import ConfigFile, InstallNode, Phase, Step
from components.render import render

SETTINGS = "/etc/openstack-dashboard/local_settings.d/_90_openstack_lab.py"
APACHE_CONF = "openstack-lab-horizon"
# Dashboard plugins, installed by this step rather than with the controller's packages
# (packages.py): those feed the offline node image and the controller's packages step, so
# a new one there rebuilds the image and re-runs every step of the node; here it re-runs
# this step only. octavia-dashboard: Project > Network > Load Balancers.
PLUGINS = ("python3-octavia-dashboard",)
# The plugins' package versions, which Apache is (re)started with (`converge`).
PLUGIN_STAMP = "/var/lib/openstack-lab/horizon-plugins"


def setup_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode) -> list[ConfigFile]:
    # Horizon runs as www-data (the WSGI daemon of the Debian Apache site).
    return [config_file(SETTINGS, "horizon/local_settings.py.j2", "www-data", cloud=cloud,
                        secret_key=s["horizon-secret-key"]),
            ConfigFile(f"/etc/apache2/conf-available/{APACHE_CONF}.conf",
                       render("horizon/apache.conf.j2"))]


class Horizon(Service):
    ready: Step

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("Horizon", name, args, opts)
        self.ready = self.step("setup", args.controller(), "horizon/setup.sh.j2", Phase.SETUP,
                               context={"settings": SETTINGS, "apache_conf": APACHE_CONF,
                                        "plugins": PLUGINS, "plugin_stamp": PLUGIN_STAMP},
                               secrets=["horizon-secret-key"], files=setup_files,
                               after=[args.after.ready(keystone.SPEC)],
                               depends_on=args.after.running(memcached.SPEC))
        self.finish()


SPEC = ServiceSpec(
    "horizon", Horizon, needs=(keystone.SPEC, memcached.SPEC),
    secrets={"horizon-secret-key": 48},
    packages={"controller": ("openstack-dashboard-apache",)})
