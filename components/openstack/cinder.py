"""Cinder: API and scheduler on the controller; cinder-volume on thin LVM with an iSCSI
target (LIO, with discard) on the storage role; a unique iSCSI initiator name on every node
that attaches."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.openstack import keystone, rabbitmq
from components.openstack.keystone import database_url
from components.openstack.rabbitmq import transport_url
from components.openstack.service import (CloudFacts, Service, ServiceArgs, config_file,
                                          uwsgi_default)
from components.openstack.spec import CatalogEntry, Port, Report, ServiceSpec
from components.openstack.step import ConfigFile, InstallNode, Phase, Step
from components.render import render

PORT = 8776
VOLUME_GROUP = "cinder-volumes"
# The storage role's second disk as libvirt attaches it (virtio, after the root disk).
LVM_DEVICE = "/dev/vdb"
INITIATOR_PREFIX = "iqn.2026-11.internal.lab"
SECRETS = ["db-cinder", "user-cinder", "rabbit"]


def initiator_name(node: str) -> str:
    """Per node, never the image's: cloned images share one, and the target then mixes up
    which host a LUN belongs to."""
    return f"{INITIATOR_PREFIX}:{node}"


def cinder_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode) -> list[ConfigFile]:
    """cinder.conf, and the API's uwsgi defaults on the controller and LVM's config and
    the LIO helper on a storage node: the same for every step on one node."""
    files = [config_file(
        "/etc/cinder/cinder.conf", "cinder/cinder.conf.j2", "cinder", cloud=cloud,
        node=node, my_ip=node.addresses["management"],
        database=database_url("cinder", s["db-cinder"], cloud.controller),
        transport_url=transport_url(s["rabbit"], cloud.controller),
        password=s["user-cinder"], vg=VOLUME_GROUP)]
    if node.has("controller"):
        files.append(uwsgi_default("cinder-api", "/etc/cinder/cinder-api-uwsgi.ini",
                                   cloud.controller_ip, PORT))
    if node.has("storage"):
        files += [
            ConfigFile("/etc/lvm/lvmlocal.conf",
                       render("cinder/lvmlocal.conf.j2", device=LVM_DEVICE)),
            ConfigFile("/usr/local/sbin/osl-cinder-rtstool",
                       render("cinder/osl-cinder-rtstool.py.j2"), mode="0755"),
        ]
    return files


# LIO's kernel side. rtslib (cinder-rtstool) writes /sys/kernel/config/target/dbroot
# before it would load anything, so without these the first export fails with
# FileNotFoundError (seen on the lab: every attach failed).
LIO_MODULES = ("target_core_mod", "target_core_iblock", "iscsi_target_mod")


def volume_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode) -> list[ConfigFile]:
    """What cinder-volume's step installs: the node's cinder files, and LIO's modules
    loaded at every boot."""
    return [*cinder_files(cloud, s, node),
            ConfigFile("/etc/modules-load.d/openstack-lab-lio.conf",
                       "".join(f"{m}\n" for m in LIO_MODULES))]


def initiator_files(cloud: CloudFacts, s: Mapping[str, str],
                    node: InstallNode) -> list[ConfigFile]:
    return [ConfigFile("/etc/iscsi/initiatorname.iscsi",
                       f"InitiatorName={initiator_name(node.name)}\n", mode="0600")]


class Cinder(Service):
    ready: Step

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("Cinder", name, args, opts)
        ctl = args.controller()
        register = keystone.register(self)
        api = self.step("api", ctl, "cinder/api.sh.j2", Phase.SETUP, context={"port": PORT},
                        secrets=SECRETS, files=cinder_files,
                        after=[register], depends_on=args.after.running(rabbitmq.SPEC))
        initiators = [self.step(f"initiator-{n.name}", n, "cinder/initiator.sh.j2", Phase.AGENTS,
                                files=initiator_files, after=[args.after.packages_on(n)])
                      for n in args.nodes if n.has("compute") or n.has("storage")]
        volumes = [self.step(f"volume-{n.name}", n, "cinder/volume.sh.j2", Phase.AGENTS,
                             context={"vg": VOLUME_GROUP, "device": LVM_DEVICE,
                                      "lio_modules": LIO_MODULES},
                             secrets=SECRETS, files=volume_files,
                             after=[args.after.packages_on(n)],
                             depends_on=[api.command, *[i.command for i in initiators]])
                   for n in args.with_role("storage")]
        self.ready = self.step("verify", ctl, "cinder/verify.sh.j2", Phase.VERIFY,
                               context={"hosts": [n.name for n in args.with_role("storage")]},
                               after=[api, *volumes, *initiators])
        self.finish()


SPEC = ServiceSpec(
    "cinder", Cinder, needs=(keystone.SPEC, rabbitmq.SPEC),
    ports=(Port("cinder", PORT, "Cinder", proxied=True), Port("iscsi", 3260, "iSCSI")),
    catalog=(CatalogEntry("cinderv3", "volumev3", "OpenStack Block Storage", PORT,
                          "/v3/%(project_id)s"),),
    database=True, service_user=True,
    packages={"controller": ("cinder-api", "cinder-scheduler", "python3-cinderclient"),
              "compute": ("open-iscsi",),
              "storage": ("cinder-volume", "lvm2", "thin-provisioning-tools", "tgt",
                          "open-iscsi")},
    reports=(Report("volume", "cinder-scheduler", "controller"),
             Report("volume", "cinder-volume", "storage")))
