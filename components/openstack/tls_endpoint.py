"""The TLS endpoint for the public API and Horizon: nginx on the network node, on its
public address only, one server block per public port, each proxying to the controller.

The catalog's public URLs are https://<public_host>:<port>; the services themselves only
know http://controller:<port> (they build version documents and links from the Host they
are sent, and the catalog also carries the internal URLs). So every server block rewrites
every service's internal URL to its public one, in JSON bodies, HTML and Location headers:
a client outside the lab never sees an address it cannot reach (DESIGN §11: "public API
links carry internal IPs").

The CA and the server certificate are made once and kept as secrets in state (keys.py);
`ca_cert_pem` is what clients trust. The step ends by checking, through the proxy, that
GET /v3 and a token's catalog carry the public URLs and no internal one (for that it gets
the admin password in its bundle, like the controller's steps).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from components.keys import CertificateAuthority, IssuedCertificate
from components.openstack import keystone
from components.openstack.service import CloudFacts, Service, ServiceArgs
from components.openstack.spec import Port, ServiceSpec
from components.openstack.step import ConfigFile, InstallNode, Phase, Step
from components.render import render

HORIZON_PORT = 443
HORIZON_UPSTREAM_PORT = 80

# The APIs' (name, port) come from the services' specs (registry.proxied_ports): the
# port is the same on the public and the internal side.
ApiPorts = Sequence[tuple[str, int]]

CERT_DIR = "/etc/nginx/openstack-lab"
CA_CERT = f"{CERT_DIR}/ca.crt"
SERVER_CERT = f"{CERT_DIR}/server.crt"
SERVER_KEY = f"{CERT_DIR}/server.key"
SITE = "/etc/nginx/sites-available/openstack-lab.conf"
SITE_LINK = "/etc/nginx/sites-enabled/openstack-lab.conf"

# Types whose bodies nginx rewrites; text/html is always included (listing it again only
# earns a "duplicate MIME type" warning).
API_TYPES = ("application/json", "application/json-home")
HORIZON_TYPES = ("application/json",)


@dataclass(frozen=True)
class Rewrite:
    internal: str  # http://controller:<port>
    public: str  # https://<public_host>:<port>


@dataclass(frozen=True)
class ProxySite:
    """One nginx server block: listen on `port`, proxy to `upstream`."""

    name: str
    port: int
    upstream: str
    host_header: str  # what the upstream sees as Host
    forwarded_host: str
    types: tuple[str, ...]
    websocket: bool = False
    redirects: tuple[tuple[str, str], ...] = ()  # extra proxy_redirect pairs


def rewrites(cloud: CloudFacts, api_ports: ApiPorts) -> list[Rewrite]:
    """Every API's internal URL and its public one (each server block gets all of them:
    version documents and the catalog name other services' endpoints too)."""
    # Services that honour X-Forwarded-Proto (Keystone) build https://controller:<port>
    # from the Host they get: rewritten as well.
    return [Rewrite(internal, cloud.public_url(port)) for _, port in api_ports
            for internal in (cloud.internal_url(port),
                             cloud.internal_url(port).replace("http://", "https://", 1))]


def proxy_sites(cloud: CloudFacts, api_ports: ApiPorts) -> list[ProxySite]:
    """The APIs keep `Host: controller:<port>` so that whatever a service builds from it
    is an internal URL the rewrite catches (and one that honours X-Forwarded-* builds the
    public URL itself). noVNC and Horizon get the client's Host: nova's websocket proxy
    checks the browser's Origin against it, Django its CSRF origin."""
    sites = []
    for name, port in api_ports:
        novnc = name == "novnc"
        sites.append(ProxySite(
            name=name, port=port, upstream=cloud.internal_url(port),
            host_header="$host:$server_port" if novnc else "$proxy_host",
            forwarded_host="$host:$server_port", types=API_TYPES, websocket=novnc))
    sites.append(ProxySite(
        name="horizon", port=HORIZON_PORT,
        upstream=f"http://{cloud.controller}:{HORIZON_UPSTREAM_PORT}",
        host_header="$host", forwarded_host="$host", types=HORIZON_TYPES,
        # Apache turns relative redirects into absolute http:// ones with the Host it got.
        redirects=((f"http://{cloud.controller}/", "https://$host/"),
                   ("http://$host/", "https://$host/"))))
    return sites


def nginx_site(cloud: CloudFacts, node: str, listen: str, api_ports: ApiPorts) -> str:
    """/etc/nginx/sites-available/openstack-lab.conf for a network node that listens on
    `listen` (its public address)."""
    return render("tls/openstack-lab.conf.j2", cloud=cloud, node=node, listen=listen,
                  sites=proxy_sites(cloud, api_ports), rewrites=rewrites(cloud, api_ports),
                  server_cert=SERVER_CERT, server_key=SERVER_KEY)


def certificate_names(cloud: CloudFacts, node: InstallNode) -> list[str]:
    """The certificate's SANs: the public host first (clients use the address), then the
    node's own public address (if another) and its name."""
    names = [cloud.public_host, node.addresses.get("public", cloud.public_host), node.name]
    return list(dict.fromkeys(names))


def nginx_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode, *, ca_cert: str,
                cert: str, key: str, api_ports: ApiPorts) -> list[ConfigFile]:
    """The CA, the node's certificate and key, and the site. (The admin password the
    step checks the catalog with comes as a secret file: Service.step.)"""
    listen = node.addresses.get("public", cloud.public_host)
    return [
        ConfigFile(CA_CERT, ca_cert),
        ConfigFile(SERVER_CERT, cert),
        ConfigFile(SERVER_KEY, key, mode="0600"),
        ConfigFile(SITE, nginx_site(cloud, node.name, listen, api_ports)),
    ]


def step_context(cloud: CloudFacts, node: InstallNode,
                 api_ports: ApiPorts) -> dict[str, object]:
    listen = node.addresses.get("public", cloud.public_host)
    return {"listen": listen, "site": SITE, "site_link": SITE_LINK, "ca_cert": CA_CERT,
            "server_cert": SERVER_CERT, "server_key": SERVER_KEY,
            "keystone_port": keystone.PORT,
            "public_ports": [port for _, port in api_ports] + [HORIZON_PORT]}


class TlsEndpoint(Service):
    """`ca_cert_pem`: the CA clients trust; `ready`: the step on the node that holds the
    public host (the others, if any, are in `steps`)."""

    ca_cert_pem: pulumi.Output[str]
    ready: Step

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("TlsEndpoint", name, args, opts)
        cloud = args.facts
        child = pulumi.ResourceOptions(parent=self)
        self.ca = CertificateAuthority(f"{name}-ca",
                                       common_name=f"openstack-lab {pulumi.get_stack()} CA",
                                       opts=child)
        self.ca_cert_pem = self.ca.cert_pem
        self.certificates: dict[str, IssuedCertificate] = {}
        nodes = args.with_role("network")
        if not nodes:
            raise ValueError("the TLS endpoint needs a node with the network role")
        for node in nodes:
            names = certificate_names(cloud, node)
            cert = IssuedCertificate(f"{name}-cert-{node.name}", self.ca,
                                     common_name=names[0], sans=names, opts=child)
            self.certificates[node.name] = cert
            self._nginx(node, cert)
        home = next((n for n in nodes if n.addresses.get("public") == cloud.public_host),
                    nodes[0])
        self.ready = self.steps[f"nginx-{home.name}"]
        self.register_outputs({"steps": sorted(self.steps), "ca_cert_pem": self.ca_cert_pem})

    def _nginx(self, node: InstallNode, cert: IssuedCertificate) -> Step:
        api_ports = proxied_ports(self.args.services)
        return self.step(f"nginx-{node.name}", node, "tls/setup.sh.j2", Phase.SETUP,
                         context=step_context(self.args.facts, node, api_ports),
                         secrets=["admin"], files=nginx_files,
                         inputs={"ca_cert": self.ca.cert_pem, "cert": cert.cert_pem,
                                 "key": cert.key_pem, "api_ports": api_ports},
                         after=[self.args.after.packages_on(node)],
                         depends_on=self.args.after.running(keystone.SPEC))


def proxied_ports(services: Sequence[ServiceSpec]) -> list[tuple[str, int]]:
    """(name, port) of every API the endpoint serves, from the services' specs."""
    return [(p.name, p.number) for s in services for p in s.ports if p.proxied]


SPEC = ServiceSpec(
    "tls", TlsEndpoint, needs=(keystone.SPEC,),
    ports=(Port("tls", HORIZON_PORT, "TLS proxy (APIs, Horizon)"),),
    packages={"network": ("nginx",)})
