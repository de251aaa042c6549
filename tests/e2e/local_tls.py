"""The browser's trust path and page checks against a local HTTPS server, no lab needed: a
throwaway CA (components/certs.py, as the lab's own) signs the server's certificate for
127.0.0.1; Chromium must refuse the page with an empty NSS database and load it once the
CA is imported, and the helpers the Horizon test relies on (cookie flags, font faces, font
URLs from the CSS) must tell a served font from a missing one.

Run by tests/unit/test_browser.py (fast tier, when the e2e browser is installed) and
first in tests/e2e/test_horizon_e2e.py."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from components.certs import certificate_authority, issue
from tests.e2e.browser import Browser, PageError, font_statuses, trust_ca

PAGE = b"""<!doctype html>
<html><head><title>openstack-lab TLS check</title>
<link rel="stylesheet" href="/static/css/site.css"></head>
<body><form><input type="password" id="id_password"><span class="password-icon"></span>
<span class="gone"></span></form></body></html>"""
CSS = b"""/* fonts as Horizon's compressed CSS refers to them: relative, with ?v= and #id */
@import url("more.css");
@font-face { font-family: "LabIcons";
  src: url("../fonts/lab-icons.ttf?v=4.7.0#lab") format("truetype"); }
.password-icon::before { font-family: 'LabIcons'; content: "A"; }"""
MORE_CSS = b"""@font-face { font-family: Gone; src: url('../fonts/gone.woff2') format("woff2"); }
.gone::before { font-family: Gone; content: "B"; }"""


def _font() -> bytes:
    """Any TrueType font of this machine (Chromium's fontconfig pulls one in)."""
    found = sorted(Path("/usr/share/fonts").rglob("*.ttf"))
    assert found, "no .ttf under /usr/share/fonts to serve as the icon font"
    return found[0].read_bytes()


@contextmanager
def local_site(tmp: Path) -> Iterator[tuple[str, str]]:
    """(URL, CA PEM) of an HTTPS server on 127.0.0.1 with the page above; its login-page
    response sets a session cookie (Secure, HttpOnly) and a CSRF cookie (Secure)."""
    ca, ca_key = certificate_authority("openstack-lab throwaway CA")
    cert, key = issue(ca, ca_key, None, "127.0.0.1", sans=["127.0.0.1"])
    chain = tmp / "server.pem"
    chain.write_text(cert + key)
    files = {"/": (PAGE, "text/html"), "/static/css/site.css": (CSS, "text/css"),
             "/static/css/more.css": (MORE_CSS, "text/css"),
             "/static/fonts/lab-icons.ttf": (_font(), "font/ttf")}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            path = self.path.split("?", 1)[0]
            if path not in files:
                self.send_error(404)
                return
            body, kind = files[path]
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            if path == "/":
                self.send_header("Set-Cookie", "sessionid=s; Path=/; Secure; HttpOnly")
                self.send_header("Set-Cookie", "csrftoken=c; Path=/; Secure")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(chain)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/", ca
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def check_browser_trust(tmp: Path) -> None:
    with local_site(tmp) as (url, ca):
        untrusted = tmp / "untrusted"
        untrusted.mkdir()
        with Browser(untrusted, page_load_timeout=60) as browser:
            try:
                browser.get(url)
            except PageError as err:
                assert "ERR_CERT_AUTHORITY_INVALID" in " ".join(err.codes), err
            else:
                raise AssertionError(f"{url} loaded without its CA: {browser.title!r}")

        trusted = tmp / "trusted"
        trust_ca(trusted, ca)
        with Browser(trusted, page_load_timeout=60) as browser:
            browser.get(url)
            assert browser.title == "openstack-lab TLS check"
            assert browser.script("return window.isSecureContext;") is True
            flags = {c["name"]: (c["secure"], c["httpOnly"]) for c in browser.cookies()}
            assert flags == {"sessionid": (True, True), "csrftoken": (True, False)}, flags
            faces = {f["family"]: f["status"] for f in browser.font_faces()}
            assert faces == {"LabIcons": "loaded", "Gone": "error"}, faces
            glyph = browser.glyph("#id_password + .password-icon")
            assert glyph["family"] == "LabIcons" and glyph["content"] == '"A"', glyph
            assert browser.stylesheets() == [url + "static/css/site.css"]
            statuses = font_statuses(browser.stylesheets(),
                                     ssl.create_default_context(cadata=ca))
            assert statuses == {url + "static/fonts/lab-icons.ttf?v=4.7.0": 200,
                                url + "static/fonts/gone.woff2": 404}, statuses
