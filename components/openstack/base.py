"""Base node setup: the controller's APT cache, packages with preseeds and a start guard,
and time sync. Every node installs in parallel once the cache is up."""

from __future__ import annotations

import pulumi

from components.openstack import packages
from components.openstack.service import Service, ServiceArgs
from components.openstack.step import ConfigFile, InstallNode
from components.render import render


class NodeBase(Service):
    """`packages[node]` and `time[node]` are the steps later services build on."""

    def __init__(self, name: str, args: ServiceArgs, management_cidr: str,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("NodeBase", name, args, opts)
        cloud = args.facts
        ctl = args.controller()
        port = packages.CACHE_PORT
        services = args.services
        cache = self.step("apt-cache", ctl, "base/apt-cache.sh.j2",
                          context={"package": packages.CACHE, "port": port},
                          files=lambda _: [ConfigFile(
                              "/etc/apt-cacher-ng/zz-openstack-lab.conf",
                              render("base/apt-cache.conf.j2", cloud=cloud, port=port))])
        self.packages = {}
        self.time = {}
        for node in args.nodes:
            proxy = node.name != ctl.name
            files = self._node_files(node, proxy, port)
            self.packages[node.name] = self.step(
                f"packages-{node.name}", node, "base/packages.sh.j2",
                context={"packages": packages.for_roles(node.roles, services),
                         "proxy": proxy},
                files=lambda _, f=files: f, after=[cache] if proxy else [])
            chrony = render("base/chrony.conf.j2", cloud=cloud, server=not proxy,
                            management_cidr=management_cidr)
            self.time[node.name] = self.step(
                f"time-{node.name}", node, "base/chrony.sh.j2",
                files=lambda _, c=chrony: [ConfigFile(
                    "/etc/chrony/conf.d/openstack-lab.conf", c)],
                after=[self.packages[node.name]])
            # Nothing builds on this step: it only stops what the node must not run, so
            # adding or changing it never re-runs the install.
            self.step(
                f"foreign-services-{node.name}", node, "base/foreign-services.sh.j2",
                context={"foreign": packages.foreign_to(node.roles, services),
                         "own": packages.for_roles(node.roles, services)},
                after=[self.packages[node.name]])
        self.finish()

    def _node_files(self, node: InstallNode, proxy: bool, port: int) -> list[ConfigFile]:
        cloud = self.args.facts
        tunnel = node.addresses.get("underlay", node.addresses["management"])
        files = [ConfigFile("/etc/openstack-lab/preseed.txt",
                            packages.preseed(cloud, tunnel, self.args.services))]
        if proxy:
            files.append(ConfigFile("/etc/apt/apt.conf.d/01openstack-lab-proxy",
                                    render("base/apt-proxy.conf.j2", cloud=cloud, port=port)))
        return files
