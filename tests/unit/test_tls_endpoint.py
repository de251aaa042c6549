"""The TLS endpoint's nginx site and step script (DESIGN §11: public API links carry
internal IPs, so the proxy must rewrite them). No nginx on the test host: the site is
parsed here, `nginx -t` runs on the node before nginx is (re)started."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass

import pytest

from components.openstack import registry
from components.openstack import tls_endpoint as tls
from components.openstack.service import CloudFacts
from components.openstack.step import LOG_DIR, SECRET_DIR, InstallNode, bundle, step_script

PUBLIC = "10.0.2.11"
CLOUD = CloudFacts.plan(controller_ip="192.168.1.11", public_host=PUBLIC,
                        external_cidr="172.16.0.0/24", mtu=1500, tenant_mtu=1450)
PORTS = registry.proxied_ports(registry.SERVICES)
API = dict(PORTS)
ALL_PORTS = [*API.values(), tls.HORIZON_PORT]


def node(name: str = "network", public: str = PUBLIC) -> InstallNode:
    return InstallNode(name=name, roles=("network",), target=None, instance="i", ready=None,
                       addresses={"public": public, "management": "192.168.1.12"})


# --- a small nginx config parser (enough for this site: no includes, no lua) -----------

@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None = None

    def all(self, name: str) -> list[Directive]:
        return [d for d in self.block or [] if d.name == name]

    def one(self, name: str) -> Directive:
        found = self.all(name)
        assert len(found) == 1, f"{self.name} {self.args}: {len(found)} {name} directives"
        return found[0]


TOKEN = re.compile(r"""\s+|\#[^\n]*|'[^']*'|"[^"]*"|[{};]|[^\s{};'"]+""")


def tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        assert m, f"cannot tokenize at {text[pos:pos + 40]!r}"
        tok = m.group(0)
        pos = m.end()
        if tok.isspace() or tok.startswith("#"):
            continue
        if tok[0] in "'\"":
            tok = tok[1:-1]
        out.append(tok)
    return out


def parse(text: str) -> list[Directive]:
    toks = tokens(text)
    pos = 0

    def block(depth: int) -> list[Directive]:
        nonlocal pos
        items: list[Directive] = []
        words: list[str] = []
        while pos < len(toks):
            tok = toks[pos]
            pos += 1
            if tok == ";":
                assert words, "empty directive"
                items.append(Directive(words[0], words[1:]))
                words = []
            elif tok == "{":
                assert words, "block without a name"
                items.append(Directive(words[0], words[1:], block(depth + 1)))
                words = []
            elif tok == "}":
                assert depth > 0 and not words, "unbalanced }"
                return items
            else:
                words.append(tok)
        assert depth == 0 and not words, "unterminated block or directive"
        return items

    return block(0)


@pytest.fixture(scope="module")
def site() -> list[Directive]:
    return parse(tls.nginx_site(CLOUD, "network", PUBLIC, PORTS))


def servers(directives: list[Directive]) -> dict[int, Directive]:
    found: dict[int, Directive] = {}
    for server in (d for d in directives if d.name == "server"):
        (listen,) = server.all("listen")
        port = listen.args[0].rsplit(":", 1)[1]
        assert int(port) not in found, f"two server blocks on port {port}"
        found[int(port)] = server
    return found


def location(server: Directive) -> Directive:
    (loc,) = server.all("location")
    assert loc.args == ["/"]
    return loc


def headers(loc: Directive) -> dict[str, str]:
    return {d.args[0]: d.args[1] for d in loc.all("proxy_set_header")}


# --- the nginx site ---------------------------------------------------------------------

def test_public_ports_are_the_catalog_ports():
    assert API == {"keystone": 5000, "glance": 9292, "placement": 8778, "nova": 8774,
                   "novnc": 6080, "neutron": 9696, "cinder": 8776, "octavia": 9876}
    assert (tls.HORIZON_PORT, tls.HORIZON_UPSTREAM_PORT) == (443, 80)


def test_only_map_and_server_blocks_at_top_level(site):
    assert sorted({d.name for d in site}) == ["map", "server"]
    (ws,) = [d for d in site if d.name == "map"]
    assert ws.args == ["$http_upgrade", "$openstack_lab_connection"]


def test_one_server_block_per_public_port(site):
    assert sorted(servers(site)) == sorted(ALL_PORTS)


def test_listens_on_the_public_address_only_with_tls(site):
    for port, server in servers(site).items():
        assert server.one("listen").args == [f"{PUBLIC}:{port}", "ssl"]
        assert server.one("ssl_certificate").args == [tls.SERVER_CERT]
        assert server.one("ssl_certificate_key").args == [tls.SERVER_KEY]
        assert server.one("ssl_protocols").args == ["TLSv1.2", "TLSv1.3"]
    # No other listen anywhere (the default site is removed by the step).
    text = tls.nginx_site(CLOUD, "network", PUBLIC, PORTS)
    assert len(re.findall(r"^\s*listen\s", text, re.M)) == len(ALL_PORTS)
    assert "default_server" not in text and "0.0.0.0" not in text and "[::]" not in text


def test_upstreams_are_the_controller(site):
    by_port = servers(site)
    for port in API.values():
        assert location(by_port[port]).one("proxy_pass").args == [f"http://controller:{port}"]
    assert location(by_port[443]).one("proxy_pass").args == ["http://controller:80"]


@pytest.mark.parametrize("port", ALL_PORTS)
def test_every_block_rewrites_every_api_url(site, port):
    loc = location(servers(site)[port])
    subs = {d.args[0]: d.args[1] for d in loc.all("sub_filter")}
    redirects = {d.args[0]: d.args[1] for d in loc.all("proxy_redirect")}
    for api_port in API.values():
        assert subs[f"http://controller:{api_port}"] == f"https://{PUBLIC}:{api_port}"
        assert redirects[f"http://controller:{api_port}/"] == f"https://{PUBLIC}:{api_port}/"
    assert loc.one("sub_filter_once").args == ["off"]
    types = loc.one("sub_filter_types").args
    assert "application/json" in types
    # nginx always filters text/html; naming it again only earns a warning.
    assert "text/html" not in types
    assert headers(loc)["Accept-Encoding"] == ""
    assert headers(loc)["X-Forwarded-Proto"] == "https"
    assert loc.one("proxy_http_version").args == ["1.1"]


def test_rewrite_targets_never_point_inside(site):
    for server in servers(site).values():
        for d in location(server).all("sub_filter") + location(server).all("proxy_redirect"):
            assert d.args[1].startswith("https://"), d.args
            assert "controller" not in d.args[1] and "192.168." not in d.args[1]


def test_host_headers(site):
    by_port = servers(site)
    # APIs: the upstream's own name, so the links they build are ones the rewrite knows.
    for name, port in API.items():
        host = headers(location(by_port[port]))["Host"]
        assert host == ("$host:$server_port" if name == "novnc" else "$proxy_host")
    # Horizon: the client's host (Django CSRF origin checks), its redirects made https.
    horizon = location(by_port[443])
    assert headers(horizon)["Host"] == "$host"
    redirects = {d.args[0]: d.args[1] for d in horizon.all("proxy_redirect")}
    assert redirects["http://$host/"] == "https://$host/"
    assert redirects["http://controller/"] == "https://$host/"


def test_novnc_upgrades_websockets_and_only_novnc(site):
    for name, port in [*API.items(), ("horizon", 443)]:
        h = headers(location(servers(site)[port]))
        if name == "novnc":
            assert h["Upgrade"] == "$http_upgrade"
            assert h["Connection"] == "$openstack_lab_connection"
        else:
            assert "Upgrade" not in h and "Connection" not in h


def test_large_bodies_pass(site):
    for server in servers(site).values():
        assert server.one("client_max_body_size").args == ["0"]


def test_second_network_node_listens_on_its_own_address_but_rewrites_to_the_public_host():
    other = parse(tls.nginx_site(CLOUD, "network-2", "10.0.2.13", PORTS))
    for port, server in servers(other).items():
        assert server.one("listen").args == [f"10.0.2.13:{port}", "ssl"]
        subs = {d.args[1] for d in location(server).all("sub_filter")}
        assert subs == {f"https://{PUBLIC}:{p}" for p in API.values()}


def test_certificate_names():
    assert tls.certificate_names(CLOUD, node()) == [PUBLIC, "network"]
    assert tls.certificate_names(CLOUD, node("network-2", "10.0.2.13")) == [
        PUBLIC, "10.0.2.13", "network-2"]


def test_files_key_is_root_only_and_bundle_shaped():
    files = tls.nginx_files(CLOUD, {}, node(), ca_cert="CA", cert="CERT", key="KEY",
                            api_ports=PORTS)
    by_path = {f.path: f for f in files}
    assert by_path[tls.SERVER_KEY].mode == "0600"
    assert by_path[tls.SERVER_KEY].content == "KEY"
    assert by_path[tls.SERVER_CERT].mode == by_path[tls.CA_CERT].mode == "0644"
    assert all(f.path.startswith(tls.CERT_DIR) for f in files
               if f.path.endswith((".crt", ".key")))
    assert by_path[tls.SITE].content == tls.nginx_site(CLOUD, "network", PUBLIC, PORTS)
    for line in bundle(files).splitlines():
        assert line.startswith("file ") and len(line.split()) == 6


# --- the step script ---------------------------------------------------------------------

def script(n: InstallNode) -> str:
    return step_script(f"openstack-tls-nginx-{n.name}", "tls/setup.sh.j2", node=n.name,
                       log_dir=LOG_DIR, secret_dir=SECRET_DIR, cloud=CLOUD,
                       **tls.step_context(CLOUD, n, PORTS))


def body(text: str) -> str:
    return text.split("<<'OPENSTACK_LAB_STEP'\n", 1)[1].split("\nOPENSTACK_LAB_STEP\n", 1)[0]


# The wrapper's quoted heredoc hides the step from shellcheck, so the step itself is checked
# too. SC2016 (info) is the shared wait_http helper's `sh -c '...$1'`, which is meant.
@pytest.mark.parametrize("n", [node(), node("network-2", "10.0.2.13")], ids=lambda n: n.name)
def test_step_script_passes_shellcheck(tmp_path, n):
    for name, text, extra in (("wrapper.sh", script(n), []),
                              ("step.sh", body(script(n)), [])):
        path = tmp_path / name
        path.write_text(text)
        done = subprocess.run(["shellcheck", "-s", "bash", *extra, str(path)],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout


def test_step_script_order_and_checks():
    text = body(script(node()))
    assert "set -euo pipefail" in text
    assert text.count("sleep") == 2  # retry's and wait_http's own, no bare waits
    order = ["install_bundle\n", "rm -f /etc/nginx/sites-enabled/default",
             "nginx -t -q", "converge nginx", f"url=https://{PUBLIC}:5000/v3",
             "retry 30 2 fetch", "expect_public \"GET", "retry 10 10 issue_token",
             "expect_public \"POST"]
    positions = [text.index(s) for s in order]
    assert positions == sorted(positions), order
    assert f"--cacert {tls.CA_CERT}" in text
    assert f'grep -qF "https://{PUBLIC}:5000"' in text
    assert 'grep -qF "http://controller"' in text
    assert f"ln -sfn {tls.SITE} {tls.SITE_LINK}" in text
    for port in ALL_PORTS:
        assert f" {port}" in text.split("for port in", 1)[1].split(";", 1)[0]


def test_step_script_holds_no_secret_and_builds_valid_json():
    text = body(script(node()))
    assert "-----BEGIN" not in text and "PRIVATE KEY" not in text
    (fmt,) = re.findall(r"printf '(\{\"auth\".*)' \"\$\(secret admin\)\"", text)
    request = json.loads(fmt.replace("%s", "pw"))
    assert request["auth"]["identity"]["password"]["user"]["password"] == "pw"
    assert request["auth"]["scope"]["project"]["name"] == "admin"


def test_second_network_node_checks_itself_by_name():
    text = body(script(node("network-2", "10.0.2.13")))
    assert "url=https://network-2:5000/v3" in text
    assert '--resolve "network-2:5000:10.0.2.13"' in text
