"""Octavia (amphora provider): the API on the controller; worker, health manager and
housekeeping on each network node, which reaches the amphorae through `o-hm0`, an OVS
internal port on br-int plugged into the lb-management network (kept across OVS-agent
restarts and reboots by a small systemd unit). Two CAs and the controller's client
certificate are made with `cryptography` (components/keys.py) and kept stable in state.

The management resources (network, security groups, flavor, keypair, health-manager
ports) are created at install time on the controller; their IDs come back on that step's
stdout (`octavia-facts {json}`) and configure the API and network-node steps. The amphora
image is built from Debian packages on the machine that runs Pulumi and copied to the
controller (AmphoraImage, components/openstack/amphora_image.py); the `image` step uploads
it to Glance with tag `amphora`, owned by the `service` project.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from components.keys import CertificateAuthority, IssuedCertificate, SshKeyPair
from components.openstack import glance, keystone, neutron, nova, rabbitmq
from components.openstack.amphora_image import AmphoraImage, AmphoraImageArgs
from components.openstack.keystone import database_url
from components.openstack.rabbitmq import transport_url
from components.openstack.service import CloudFacts, Service, ServiceArgs, uwsgi_default
from components.openstack.spec import CatalogEntry, Port, ServiceSpec
from components.openstack.step import ConfigFile, InstallNode, Phase, Step
from components.render import render

PORT = 9876
HM_PORT = 5555  # UDP heartbeats from the amphorae
AGENT_PORT = 9443  # the amphora agent's REST API
CONFIG = "/etc/octavia/octavia.conf"
# The lb-management subnet; routed on the network nodes through o-hm0, so it must not
# overlap the nodes' own networks (lab defaults: 10.0.2/24, 192.168.1-2/24, 172.16.0/24).
LB_MGMT_CIDR = "172.31.255.0/24"
SECRETS = ["db-octavia", "user-octavia", "rabbit", "octavia-heartbeat-key",
           "octavia-ca-passphrase"]
NODE_UNITS = ("octavia-worker", "octavia-health-manager", "octavia-housekeeping")
# Octavia's regex for its certificate passphrases (octavia/certificates/common/local.py).
PASSPHRASE = re.compile(r"^[A-Za-z0-9\-_=]{32}$")

# The health-manager port on each network node.
HM_DEVICE = "o-hm0"
HM_BRIDGE = "br-int"
HM_UNIT = "octavia-hm-port.service"
HM_SCRIPT = "/usr/local/sbin/osl-octavia-hm-port"
HM_ENV = "/etc/octavia/o-hm0.env"

MGMT_HELPER = "/usr/local/sbin/osl-octavia-mgmt"
OCTAVIA_CLOUDS = "/etc/openstack-lab/octavia-clouds.yaml"
AMPHORA_PUBLIC_KEY = "/etc/openstack-lab/octavia-amphora.pub"
AMPHORA_PRIVATE_KEY = "/etc/octavia/amphora_ssh"  # for debugging amphorae from o-hm0
IMAGE_ENV = "/etc/openstack-lab/amphora-image.env"


@dataclass(frozen=True)
class AmphoraSpec:
    image_tag: str = "amphora"
    flavor: str = "amphora"  # the flavor's fixed ID (and name): known before it exists
    ram: int = 1024
    vcpus: int = 1
    disk: int = 3  # GiB; at least the image's virtual size (AMPHORA_IMAGE_SIZE, 2G)
    keypair: str = "octavia-amphora"


AMPHORA = AmphoraSpec()

# Octavia's API policy knows its own roles (a tenant needs load-balancer_member to create
# load balancers; plain `member` is not enough).
LB_ROLES = ("load-balancer_observer", "load-balancer_global_observer",
            "load-balancer_member", "load-balancer_quota_admin", "load-balancer_admin")


@dataclass(frozen=True)
class CertPaths:
    server_ca: str = "/etc/octavia/certs/server_ca.cert.pem"
    server_ca_key: str = "/etc/octavia/certs/server_ca.key.pem"  # encrypted (passphrase)
    client_ca: str = "/etc/octavia/certs/client_ca.cert.pem"
    client: str = "/etc/octavia/certs/client.cert-and-key.pem"

    def all(self) -> list[str]:
        return [self.server_ca, self.server_ca_key, self.client_ca, self.client]


CERTS = CertPaths()


@dataclass(frozen=True)
class Pki:
    """PEM texts: the server CA signs each amphora's certificate (the worker does it with
    the encrypted key); the client CA signed the controller's client certificate, and the
    amphorae trust only it."""

    server_ca_cert: str
    server_ca_key: str
    client_ca_cert: str
    client_cert: str
    client_key: str


@dataclass(frozen=True)
class HmPort:
    id: str
    mac: str
    ip: str


@dataclass(frozen=True)
class MgmtFacts:
    """What the resources step created, as it printed it."""

    project_id: str
    network_id: str
    cidr: str
    mtu: int
    amp_secgroup_id: str
    hm_ports: Mapping[str, HmPort]  # by network node

    @property
    def prefixlen(self) -> int:
        return ipaddress.IPv4Network(self.cidr).prefixlen


FACTS_MARKER = "octavia-facts "


def parse_facts(stdout: str | None) -> MgmtFacts:
    """The last `octavia-facts {json}` line of the resources step's output."""
    lines = [line for line in (stdout or "").splitlines() if line.startswith(FACTS_MARKER)]
    if not lines:
        raise ValueError("the octavia-resources step printed no `octavia-facts` line")
    raw = json.loads(lines[-1][len(FACTS_MARKER):])
    return MgmtFacts(project_id=raw["project_id"], network_id=raw["network_id"],
                     cidr=raw["cidr"], mtu=int(raw["mtu"]),
                     amp_secgroup_id=raw["amp_secgroup_id"],
                     hm_ports={host: HmPort(p["id"], p["mac"], p["ip"])
                               for host, p in raw["hm_ports"].items()})


def controller_ip_port_list(facts: MgmtFacts) -> str:
    """Every health manager the amphorae send heartbeats to."""
    return ", ".join(f"{facts.hm_ports[host].ip}:{HM_PORT}" for host in sorted(facts.hm_ports))


def check_passphrase(value: str) -> str:
    if not PASSPHRASE.match(value):
        raise ValueError("octavia's certificate passphrase must be 32 characters of "
                         "[A-Za-z0-9-_=]")
    return value


def octavia_conf(cloud: CloudFacts, node: str, facts: MgmtFacts,
                 s: Mapping[str, str]) -> str:
    """octavia.conf of one node: the same text for every step that writes it there (the
    minimal profile's controller is also its network node)."""
    port = facts.hm_ports.get(node)
    return render("octavia/octavia.conf.j2", cloud=cloud, node=node, mgmt=facts,
                  amphora=AMPHORA, certs=CERTS,
                  database=database_url("octavia", s["db-octavia"], cloud.controller),
                  transport_url=transport_url(s["rabbit"], cloud.controller),
                  password=s["user-octavia"],
                  passphrase=check_passphrase(s["octavia-ca-passphrase"]),
                  heartbeat_key=s["octavia-heartbeat-key"],
                  bind_ip=port.ip if port else "127.0.0.1", hm_port=HM_PORT,
                  controller_ip_port_list=controller_ip_port_list(facts))


def hm_env(port: HmPort, facts: MgmtFacts) -> str:
    """What the o-hm0 unit plugs: read by its script and by the worker step."""
    return (f"PORT_ID={port.id}\nMAC={port.mac}\nIP={port.ip}\nPREFIX={facts.prefixlen}\n"
            f"MTU={facts.mtu}\n")


def conf_file(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode,
              mgmt: MgmtFacts) -> ConfigFile:
    return ConfigFile(CONFIG, octavia_conf(cloud, node.name, mgmt, s), owner="root",
                      group="octavia", mode="0640")


def resource_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode, *,
                   public_key: str, network_nodes: Sequence[str]) -> list[ConfigFile]:
    """The management helper that makes the lb-management resources, its credentials and
    the amphorae's public key."""
    helper = render("octavia/osl-octavia-mgmt.py.j2", clouds=OCTAVIA_CLOUDS,
                    cidr=LB_MGMT_CIDR, agent_port=AGENT_PORT, hm_port=HM_PORT,
                    amphora=AMPHORA, public_key_file=AMPHORA_PUBLIC_KEY,
                    network_nodes=list(network_nodes))
    return [ConfigFile(OCTAVIA_CLOUDS, render("octavia/clouds.yaml.j2", cloud=cloud,
                                              password=s["user-octavia"]), mode="0600"),
            ConfigFile(MGMT_HELPER, helper, mode="0755"),
            ConfigFile(AMPHORA_PUBLIC_KEY, public_key.strip() + "\n")]


def api_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode, *,
              mgmt: MgmtFacts) -> list[ConfigFile]:
    """octavia.conf, and octavia-api on the management address only: the TLS endpoint
    owns the public port (on the same node in the minimal profile)."""
    return [conf_file(cloud, s, node, mgmt),
            uwsgi_default("octavia-api", "/etc/octavia/octavia-api-uwsgi.ini",
                          cloud.controller_ip, PORT)]


def worker_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode, *,
                 mgmt: MgmtFacts, pki: Pki, private_key: str) -> list[ConfigFile]:
    """A network node's: octavia.conf, the certificates, the o-hm0 port's unit and the
    amphorae's SSH key."""
    port = mgmt.hm_ports[node.name]
    private = {"owner": "root", "group": "octavia", "mode": "0640"}
    hm = {"device": HM_DEVICE, "bridge": HM_BRIDGE, "unit": HM_UNIT, "script": HM_SCRIPT,
          "env_file": HM_ENV}
    return [
        conf_file(cloud, s, node, mgmt),
        ConfigFile(CERTS.server_ca, pki.server_ca_cert, **private),
        ConfigFile(CERTS.server_ca_key, pki.server_ca_key, **private),
        ConfigFile(CERTS.client_ca, pki.client_ca_cert, **private),
        ConfigFile(CERTS.client, pki.client_cert + pki.client_key, **private),
        ConfigFile(HM_ENV, hm_env(port, mgmt)),
        ConfigFile(HM_SCRIPT, render("octavia/osl-octavia-hm-port.sh.j2", **hm), mode="0755"),
        ConfigFile(f"/etc/systemd/system/{HM_UNIT}",
                   render("octavia/octavia-hm-port.service.j2", **hm)),
        ConfigFile(AMPHORA_PRIVATE_KEY, private_key, mode="0600"),
    ]


def image_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode, *,
                path: str) -> list[ConfigFile]:
    """Where the amphora image was copied to on the controller."""
    return [ConfigFile(IMAGE_ENV, f"IMAGE_FILE={path}\n")]


class Octavia(Service):
    ready: Step
    amphora: dict[str, str]

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("Octavia", name, args, opts)
        ctl = args.controller()
        network_nodes = args.with_role("network")
        self.amphora = {"image_tag": AMPHORA.image_tag, "flavor": AMPHORA.flavor}
        pki, ssh_key = self._keys(name)

        register = keystone.register(self)
        resources = self.step(
            "resources", ctl, "octavia/resources.sh.j2", Phase.RESOURCES,
            files=resource_files, inputs={"public_key": ssh_key.public_key,
                                          "network_nodes": [n.name for n in network_nodes]},
            secret_files=[],  # secrets reach the node inside config files only
            secrets=["user-octavia"], context={"helper": MGMT_HELPER},
            after=[register, args.after.ready(neutron.SPEC), args.after.ready(nova.SPEC)])
        mgmt = resources.command.stdout.apply(parse_facts)
        api = self.step(
            "api", ctl, "octavia/api.sh.j2", Phase.SETUP, files=api_files,
            inputs={"mgmt": mgmt}, secrets=SECRETS,
            secret_files=["db-octavia"],  # ensure_db
            context={"port": PORT, "config": CONFIG},
            after=[resources], depends_on=args.after.running(rabbitmq.SPEC))
        workers = [self.step(
            f"worker-{node.name}", node, "octavia/worker.sh.j2", Phase.AGENTS,
            files=worker_files,
            inputs={"mgmt": mgmt, "pki": pki, "private_key": ssh_key.private_key},
            secret_files=[],  # secrets reach the node inside config files only
            secrets=SECRETS,
            context={"units": NODE_UNITS, "config": CONFIG, "certs": CERTS.all(),
                     "device": HM_DEVICE, "hm_unit": HM_UNIT, "hm_script": HM_SCRIPT,
                     "hm_env": HM_ENV, "hm_port": HM_PORT},
            after=[api, args.after.packages_on(node)]) for node in network_nodes]
        image = self._amphora_image(ctl, after=[register, args.after.ready(glance.SPEC)])
        self.ready = self.step("verify", ctl, "octavia/verify.sh.j2", Phase.VERIFY,
                               context={"hosts": [n.name for n in network_nodes],
                                        "amphora": self.amphora},
                               after=[api, image, *workers])
        self.finish()

    def _keys(self, name: str) -> tuple[pulumi.Output[Pki], SshKeyPair]:
        """The two CAs (keys encrypted with the 32-character passphrase), the client
        certificate, and the amphorae's SSH key: made once, kept as secrets in state."""
        child = pulumi.ResourceOptions(parent=self)
        passphrase = self.args.secrets.value("octavia-ca-passphrase")
        server_ca = CertificateAuthority(f"{name}-server-ca", "openstack-lab Octavia server CA",
                                         passphrase=passphrase, opts=child)
        client_ca = CertificateAuthority(f"{name}-client-ca", "openstack-lab Octavia client CA",
                                         passphrase=passphrase, opts=child)
        client = IssuedCertificate(f"{name}-client-cert", client_ca, "octavia-controller",
                                   usage="client", ca_passphrase=passphrase, opts=child)
        ssh_key = SshKeyPair(f"{name}-amphora-ssh", comment="octavia-amphora", opts=child)
        pki = pulumi.Output.all(server_ca.cert_pem, server_ca.key_pem, client_ca.cert_pem,
                                client.cert_pem, client.key_pem).apply(lambda v: Pki(*v))
        return pki, ssh_key

    def _amphora_image(self, ctl: InstallNode, after: Sequence[Step]) -> Step:
        """Build (cached; minutes the first time, in parallel with the install) and copy
        to the controller (AmphoraImage), then upload to Glance."""
        unit_start = self.args.facts.patience.amphora_unit_drop_in
        image = AmphoraImage(f"{self.name}-amphora",
                             AmphoraImageArgs(node=ctl, unit_start=unit_start),
                             pulumi.ResourceOptions(parent=self))
        return self.step(
            "image", ctl, "octavia/image.sh.j2", Phase.RESOURCES, files=image_files,
            inputs={"path": image.remote_path},
            secret_files=[],  # secrets reach the node inside config files only
            context={"tag": AMPHORA.image_tag, "image_env": IMAGE_ENV},
            after=after, depends_on=[image.copy])


SPEC = ServiceSpec(
    "octavia", Octavia,
    needs=(keystone.SPEC, glance.SPEC, nova.SPEC, neutron.SPEC, rabbitmq.SPEC),
    ports=(Port("octavia", PORT, "Octavia", proxied=True),),
    catalog=(CatalogEntry("octavia", "load-balancer", "OpenStack Load Balancing", PORT),),
    roles=LB_ROLES,
    secrets={"octavia-heartbeat-key": 32, "octavia-ca-passphrase": 32},
    database=True, service_user=True,
    packages={"controller": ("octavia-api", "python3-octaviaclient"),
              "network": NODE_UNITS})
