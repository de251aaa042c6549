"""Base node setup: the controller's APT cache, packages with preseeds and a start guard,
and time sync. Every node installs in parallel once the cache is up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from components.openstack import packages
from components.openstack.service import CloudFacts, Service, ServiceArgs
from components.openstack.spec import ServiceSpec
from components.openstack.step import ConfigFile, InstallNode, Phase
from components.render import render


def cache_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode) -> list[ConfigFile]:
    """The controller's APT cache."""
    return [ConfigFile("/etc/apt-cacher-ng/zz-openstack-lab.conf",
                       render("base/apt-cache.conf.j2", cloud=cloud, port=packages.CACHE_PORT))]


def packages_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode, *,
                   proxy: bool, services: Sequence[ServiceSpec]) -> list[ConfigFile]:
    """Every service's preseeds and, on a node that installs through the controller's
    cache (`proxy`), APT's proxy."""
    tunnel = node.addresses.get("underlay", node.addresses["management"])
    files = [ConfigFile("/etc/openstack-lab/preseed.txt",
                        packages.preseed(cloud, tunnel, services))]
    if proxy:
        files.append(ConfigFile("/etc/apt/apt.conf.d/01openstack-lab-proxy",
                                render("base/apt-proxy.conf.j2", cloud=cloud,
                                       port=packages.CACHE_PORT)))
    return files


def time_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode, *, server: bool,
               management_cidr: str) -> list[ConfigFile]:
    """chrony: the controller serves time to the management network, the others use it."""
    return [ConfigFile("/etc/chrony/conf.d/openstack-lab.conf",
                       render("base/chrony.conf.j2", cloud=cloud, server=server,
                              management_cidr=management_cidr))]


class NodeBase(Service):
    """`packages[node]` and `time[node]` are the steps later services build on."""

    def __init__(self, name: str, args: ServiceArgs, management_cidr: str,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("NodeBase", name, args, opts)
        ctl = args.controller()
        services = args.services
        cache = self.step("apt-cache", ctl, "base/apt-cache.sh.j2", Phase.PACKAGES,
                          context={"package": packages.CACHE, "port": packages.CACHE_PORT},
                          files=cache_files)
        self.packages = {}
        self.time = {}
        for node in args.nodes:
            proxy = node.name != ctl.name
            self.packages[node.name] = self.step(
                f"packages-{node.name}", node, "base/packages.sh.j2", Phase.PACKAGES,
                context={"packages": packages.for_roles(node.roles, services),
                         "proxy": proxy},
                files=packages_files, inputs={"proxy": proxy, "services": services},
                after=[cache] if proxy else [])
            self.time[node.name] = self.step(
                f"time-{node.name}", node, "base/chrony.sh.j2", Phase.SETUP,
                files=time_files,
                inputs={"server": not proxy, "management_cidr": management_cidr},
                after=[self.packages[node.name]])
            # Nothing builds on this step: it only stops what the node must not run, so
            # adding or changing it never re-runs the install.
            self.step(
                f"foreign-services-{node.name}", node, "base/foreign-services.sh.j2",
                Phase.PACKAGES,
                context={"foreign": packages.foreign_to(node.roles, services),
                         "own": packages.for_roles(node.roles, services)},
                after=[self.packages[node.name]])
        self.finish()
