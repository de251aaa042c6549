"""Neutron ML2/OVS: API, RPC server and periodic workers on the controller; OVS agent with
VXLAN tenant networks on network and compute nodes; L3, DHCP (isolated metadata) and
metadata agents on the network node; the flat provider network `physnet` on br-ex, and the
shared external network for floating IPs and load balancer VIPs."""

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

PORT = 9696
PHYSNET = "physnet"
EXTERNAL_BRIDGE = "br-ex"
EXTERNAL_NIC = "external"  # the node's NIC on the external network (named by cloud-init)
EXTERNAL_NETWORK = "external"
SERVER_UNITS = ("neutron-api", "neutron-rpc-server", "neutron-periodic-workers")
NETWORK_AGENTS = ("neutron-l3-agent", "neutron-dhcp-agent", "neutron-metadata-agent")
SECRETS = ["db-neutron", "user-neutron", "user-nova", "rabbit", "metadata-proxy"]
ML2 = "/etc/neutron/plugins/ml2/ml2_conf.ini"
# /etc/init.d/neutron-api sources /etc/default/$NAME with NAME=neutron-server.
API_DEFAULTS = "neutron-server"
OVS_AGENT = "/etc/neutron/plugins/ml2/openvswitch_agent.ini"


def _conf(cloud: CloudFacts, node: InstallNode) -> dict[str, object]:
    return dict(cloud=cloud, node=node, physnet=PHYSNET, bridge=EXTERNAL_BRIDGE)


def _common_files(cloud: CloudFacts, s: Mapping[str, str],
                  node: InstallNode) -> list[ConfigFile]:
    """neutron.conf (with the database on the controller only), and on the controller the
    server's ML2 config and uwsgi defaults: the same text for every step there."""
    conf = _conf(cloud, node)
    files = [config_file(
        "/etc/neutron/neutron.conf", "neutron/neutron.conf.j2", "neutron", mode="0660",
        database=(database_url("neutron", s["db-neutron"], cloud.controller)
                  if node.has("controller") else None),
        transport_url=transport_url(s["rabbit"], cloud.controller),
        password=s["user-neutron"], nova_password=s["user-nova"], **conf)]
    if node.has("controller"):
        files += [config_file(ML2, "neutron/ml2_conf.ini.j2", "neutron", **conf),
                  uwsgi_default("neutron-api", "/etc/neutron/neutron-api-uwsgi.ini",
                                cloud.controller_ip, PORT, init_name=API_DEFAULTS)]
    return files


def server_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode) -> list[ConfigFile]:
    """The controller's API, RPC server and periodic workers."""
    return _common_files(cloud, s, node)


def agent_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode) -> list[ConfigFile]:
    """The OVS agent's on every network and compute node; L3, DHCP and metadata agents' on
    a network node."""
    conf = _conf(cloud, node)
    files = [*_common_files(cloud, s, node),
             config_file(OVS_AGENT, "neutron/openvswitch_agent.ini.j2", "neutron",
                         tunnel_ip=node.addresses["underlay"], **conf)]
    if node.has("network"):
        files += [
            config_file("/etc/neutron/l3_agent.ini", "neutron/l3_agent.ini.j2", "neutron",
                        **conf),
            config_file("/etc/neutron/dhcp_agent.ini", "neutron/dhcp_agent.ini.j2", "neutron",
                        **conf),
            config_file("/etc/neutron/metadata_agent.ini", "neutron/metadata_agent.ini.j2",
                        "neutron", metadata_secret=s["metadata-proxy"], **conf)]
    return files


class Neutron(Service):
    ready: Step
    agents: dict[str, Step]

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("Neutron", name, args, opts)
        ctl = args.controller()
        register = keystone.register(self)
        server = self.step("server", ctl, "neutron/server.sh.j2", Phase.SETUP,
                           context={"port": PORT, "units": SERVER_UNITS, "ml2": ML2,
                                    "defaults": f"/etc/default/{API_DEFAULTS}"},
                           secrets=SECRETS, files=server_files,
                           after=[register], depends_on=args.after.running(rabbitmq.SPEC))
        self.agents = {}
        for node in args.nodes:
            if not (node.has("network") or node.has("compute")):
                continue
            self.agents[node.name] = self.step(
                f"agents-{node.name}", node, "neutron/agents.sh.j2", Phase.AGENTS,
                context={"network": node.has("network"), "agents": NETWORK_AGENTS,
                         "bridge": EXTERNAL_BRIDGE, "nic": EXTERNAL_NIC, "ovs_agent": OVS_AGENT},
                secrets=SECRETS, files=agent_files,
                after=[args.after.packages_on(node)], depends_on=[server.command])
        self.ready = self.step(
            "external", ctl, "neutron/external.sh.j2", Phase.RESOURCES,
            context={"network": EXTERNAL_NETWORK, "physnet": PHYSNET,
                     "hosts": sorted(self.agents)},
            after=[server, *self.agents.values()])
        self.finish()


SPEC = ServiceSpec(
    "neutron", Neutron, needs=(keystone.SPEC, rabbitmq.SPEC),
    ports=(Port("neutron", PORT, "Neutron", proxied=True),),
    catalog=(CatalogEntry("neutron", "network", "OpenStack Networking", PORT),),
    database=True, service_user=True,
    packages={"controller": SERVER_UNITS,
              "network": ("openvswitch-switch", "neutron-openvswitch-agent", *NETWORK_AGENTS),
              "compute": ("openvswitch-switch", "neutron-openvswitch-agent")},
    reports=(Report("network", "neutron-openvswitch-agent", "compute"),
             *(Report("network", f"neutron-{a}-agent", "network")
               for a in ("openvswitch", "l3", "dhcp", "metadata"))))
