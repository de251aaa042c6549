"""Nova: API, metadata API, conductor, scheduler and noVNC proxy on the controller (cells
v2), nova-compute on every compute node with `virt_type` chosen on the node itself (kvm when
it has a usable /dev/kvm, else qemu), then host discovery."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.openstack import glance, keystone, placement, rabbitmq
from components.openstack.keystone import database_url
from components.openstack.rabbitmq import transport_url
from components.openstack.service import (CloudFacts, Service, ServiceArgs, config_file,
                                          uwsgi_default)
from components.openstack.spec import CatalogEntry, Port, Report, ServiceSpec
from components.openstack.step import ConfigFile, InstallNode, Phase, Step

PORT = 8774
METADATA_PORT = 8775
NOVNC_PORT = 6080
CONFIG = "/etc/nova/nova.conf"
SECRETS = ["db-nova", "user-nova", "user-placement", "user-neutron", "rabbit",
           "metadata-proxy"]
CONTROLLER_UNITS = ("nova-api", "nova-api-metadata", "nova-conductor", "nova-scheduler",
                    "nova-novncproxy")


def nova_conf(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode,
              role: str) -> ConfigFile:
    """nova.conf of the controller or of a compute node (`role`)."""
    return config_file(
        CONFIG, "nova/nova.conf.j2", "nova", cloud=cloud, role=role,
        my_ip=node.addresses["management"],
        transport_url=transport_url(s["rabbit"], cloud.controller),
        database=database_url("nova", s["db-nova"], cloud.controller),
        api_database=database_url("nova", s["db-nova"], cloud.controller, "nova_api"),
        cell0_database=database_url("nova", s["db-nova"], cloud.controller, "nova_cell0"),
        password=s["user-nova"], placement_password=s["user-placement"],
        neutron_password=s["user-neutron"], metadata_secret=s["metadata-proxy"],
        novnc_port=NOVNC_PORT)


def setup_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode) -> list[ConfigFile]:
    """The controller's: nova.conf and the uwsgi defaults of both APIs."""
    return [nova_conf(cloud, s, node, "controller"),
            uwsgi_default("nova-api", "/etc/nova/nova-api-uwsgi.ini", cloud.controller_ip, PORT),
            # Debian's ini runs 32 threads per worker, but nova's WSGI apps are
            # eventlet-patched: on the lab every metadata request hung ("greenlet.error:
            # cannot switch to a different thread") and guests without a config drive
            # never got their metadata.
            uwsgi_default("nova-api-metadata", "/etc/nova/nova-api-metadata-uwsgi.ini",
                          cloud.controller_ip, METADATA_PORT, threads=1)]


def compute_files(cloud: CloudFacts, s: Mapping[str, str],
                  node: InstallNode) -> list[ConfigFile]:
    return [nova_conf(cloud, s, node, "compute")]


class Nova(Service):
    ready: Step

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("Nova", name, args, opts)
        ctl = args.controller()
        register = keystone.register(self)
        setup = self.step("setup", ctl, "nova/controller.sh.j2", Phase.SETUP,
                          context={"port": PORT, "config": CONFIG, "units": CONTROLLER_UNITS},
                          secrets=SECRETS, files=setup_files, after=[register],
                          depends_on=args.after.running(placement.SPEC, glance.SPEC,
                                                        rabbitmq.SPEC))
        computes = [self.step(f"compute-{node.name}", node, "nova/compute.sh.j2", Phase.AGENTS,
                              context={"config": CONFIG}, secrets=SECRETS,
                              files=compute_files, after=[args.after.packages_on(node)],
                              depends_on=[setup.command])
                    for node in args.with_role("compute")]
        self.ready = self.step("discover", ctl, "nova/discover.sh.j2", Phase.VERIFY,
                               context={"hosts": [n.name for n in args.with_role("compute")]},
                               after=[setup, *computes])
        self.finish()


SPEC = ServiceSpec(
    "nova", Nova, needs=(keystone.SPEC, placement.SPEC, glance.SPEC, rabbitmq.SPEC),
    ports=(Port("nova", PORT, "Nova", proxied=True),
           Port("novnc", NOVNC_PORT, "noVNC", proxied=True),
           Port("nova-metadata", METADATA_PORT, "Nova metadata")),
    catalog=(CatalogEntry("nova", "compute", "OpenStack Compute", PORT, "/v2.1"),),
    secrets={"metadata-proxy": 32}, database=True, service_user=True,
    packages={"controller": ("nova-api", "nova-conductor", "nova-scheduler",
                             "nova-consoleproxy"),
              "compute": ("nova-compute", "nova-compute-qemu")},
    reports=(Report("compute", "nova-scheduler", "controller"),
             Report("compute", "nova-conductor", "controller"),
             Report("compute", "nova-compute", "compute")))
