"""Horizon in a real browser on the running dev lab and its overlay (`make up` first):
headless Chromium (scripts/setup/browser.sh) that trusts the lab's CA only through its own
NSS database (~/.openstack-lab/cloud/dev/ca.pem imported with certutil; no certificate
check is switched off), so every page below is also a check of the public TLS endpoint.

- the login page loads over TLS, every font its CSS refers to answers 200 and the
  password field's icon glyph comes from a loaded icon font;
- a wrong password gets Horizon's own login error, not a server error;
- the admin and the tenant user `demo` log in; their session cookie is Secure and
  HttpOnly, the CSRF cookie Secure;
- as demo: web-1 and web-2 ACTIVE (Project > Compute > Instances), the load balancer
  web-lb and its members web-1 and web-2 (octavia-dashboard), the network topology with
  demo-net and both servers, the volume demo-volume attached to web-1; as the admin,
  both servers among all projects' instances.

Pages are paths under Horizon's webroot, found from where the horizon URL redirects to
(<webroot>auth/login/): Debian's openstack-dashboard-apache serves Horizon at `/`, so
Project > Compute > Instances is /project/instances/ here, not /dashboard/....

A screenshot of every page goes to bench/results/horizon/<time>/ (the path is printed).
The tenant checks skip when the overlay is not up (test_overlay_e2e.py destroys it at
its end: run `make up` again). `make e2e`, or on its own:
`scripts/setup/browser.sh && scripts/test.sh -m e2e tests/e2e/test_horizon_e2e.py`."""

from __future__ import annotations

import itertools
import re
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from components.paths import cloud_dir
from labctl.workspace import open_stack
from tests.conftest import REPO_ROOT
from tests.e2e.browser import (INSTALL_HINT, Browser, font_statuses, missing_tools,
                               trust_ca)
from tests.e2e.local_tls import check_browser_trust

pytestmark = pytest.mark.e2e

UNDERLAY, OVERLAY = "dev", "dev-overlay"
CA = cloud_dir(UNDERLAY) / "ca.pem"  # written by `make up` (labctl/access.py)
TENANT_CLOUD = f"openstack-lab-{OVERLAY}"  # its entry in the tenant's clouds.yaml
ARTEFACTS = REPO_ROOT / "bench" / "results" / "horizon"  # ignored by git
# What the overlay makes (components/overlay/): servers, Octavia names, volume, network.
SERVERS = ("web-1", "web-2")
LB, POOL = "web-lb", "web-lb-pool"
VOLUME, VOLUME_SERVER = "demo-volume", "web-1"
NETWORK = "demo-net"
# A TCG controller's Horizon can take minutes for a page that asks Nova and Neutron.
WAIT = 900
ERROR_TITLES = ("Server error", "Internal Server Error", "Page Not Found", "Forbidden",
                "Bad Gateway", "Service Unavailable", "Gateway Time-out")
LOGIN_ERROR = "Invalid credentials."  # openstack_auth's message for a refused password


def _say(request: pytest.FixtureRequest, text: str) -> None:
    """A line on the terminal even while pytest captures output."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write_line(text)
    else:
        print(text)


@dataclass
class Lab:
    url: str  # the `openstack.horizon_url` output
    admin: dict
    ca_pem: str

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.ca_pem)


@dataclass
class Shots:
    directory: Path
    count: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def take(self, browser: Browser, name: str) -> Path:
        return browser.screenshot(self.directory / f"{next(self.count):02d}-{name}.png")


@pytest.fixture(scope="module")
def tools():
    missing = missing_tools()
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: {INSTALL_HINT}")


@pytest.fixture(scope="module")
def shots(request) -> Shots:
    directory = ARTEFACTS / time.strftime("%Y%m%d-%H%M%S")
    directory.mkdir(parents=True, exist_ok=True)
    _say(request, f"\nHorizon screenshots: {directory}")
    return Shots(directory)


@pytest.fixture(scope="module")
def lab(tools) -> Lab:
    if not CA.exists():
        pytest.skip(f"the {UNDERLAY} lab is not up ({CA} missing): run `make up` first")
    openstack = open_stack(UNDERLAY).outputs()["openstack"].value
    return Lab(url=openstack["horizon_url"], admin=openstack["admin"], ca_pem=CA.read_text())


@pytest.fixture(scope="module")
def tenant() -> dict:
    """The tenant's Keystone credentials, from the overlay's clouds.yaml output."""
    outputs = open_stack(OVERLAY).outputs()
    if "tenant_clouds_yaml" not in outputs:
        pytest.skip(f"the overlay {OVERLAY} is not up: run `make up` first")
    return yaml.safe_load(outputs["tenant_clouds_yaml"].value)["clouds"][TENANT_CLOUD]["auth"]


@pytest.fixture(scope="module")
def home(tmp_path_factory, lab) -> Path:
    """The browser's HOME: an NSS database that trusts the lab's CA and nothing else."""
    home = tmp_path_factory.mktemp("browser-home")
    trust_ca(home, lab.ca_pem)
    return home


def _assert_not_an_error_page(browser: Browser) -> None:
    title = browser.title
    assert not title.startswith(ERROR_TITLES), \
        f"{browser.url}: {title!r}: {browser.text()[:500]!r}"


@dataclass
class Session:
    """A browser logged into Horizon as one user; pages are paths under its webroot."""

    browser: Browser
    webroot: str
    who: str
    shots: Shots

    @contextmanager
    def page(self, path: str, name: str) -> Iterator[Browser]:
        """Opens the page; screenshots it when the checks inside are done (or failed)."""
        url = path if path.startswith("https://") else self.webroot + path
        try:
            self.browser.get(url)
            _assert_not_an_error_page(self.browser)
            yield self.browser
        finally:
            self.shots.take(self.browser, f"{self.who}-{name}")

    def rows(self, table: str) -> dict[str, str]:
        """A Horizon data table's rows: display name -> the row's text."""
        return dict(self.browser.script(
            "return Array.from(document.querySelectorAll("
            "  'table#' + arguments[0] + ' tbody tr[data-display]'))"
            ".map(function (r) { return [r.getAttribute('data-display'), r.innerText]; });",
            table))

    def link(self, text: str) -> str:
        """The URL of the link showing exactly `text`, once the page has it."""
        found = self.browser.wait(
            lambda: self.browser.find_xpath(f"//a[normalize-space()='{text}']"),
            f"a link {text!r}", WAIT)
        return self.browser.property(found, "href")

    def tab(self, heading: str) -> None:
        """Opens a tab of an Angular (uib-tabset) details page; clicks again until its
        tab is the active one (a click before Angular bound it does nothing)."""
        xpath = f"//ul[contains(@class, 'nav-tabs')]/li[.//a[normalize-space()='{heading}']]"

        def active() -> bool:
            tab = self.browser.find_xpath(xpath)
            if "active" in self.browser.property(tab, "className").split():
                return True
            self.browser.click(self.browser.find_xpath(f"{xpath}//a"))
            return False
        self.browser.wait(active, f"the {heading!r} tab open", WAIT, every=2)


def webroot(browser: Browser, horizon_url: str) -> str:
    """Where Horizon lives: the horizon URL sends a visitor to <webroot>auth/login/."""
    browser.get(horizon_url)
    url = browser.url
    assert "/auth/login/" in url, f"{horizon_url} led to {url}, not Horizon's login page"
    return url.split("auth/login/", 1)[0]


def log_in(browser: Browser, root: str, user: str, password: str) -> str:
    """Submits the login form; the page's outcome: "" when logged in, else the error
    the login form shows."""
    browser.get(root + "auth/login/")
    _assert_not_an_error_page(browser)
    browser.type(browser.find("#id_username"), user)
    browser.type(browser.find("#id_password"), password)
    browser.click(browser.find("#loginBtn"))

    def outcome():
        path, error = browser.script(
            "var e = document.querySelector('form .alert-danger, .messages .alert-danger');"
            "return [location.pathname, e ? e.innerText.trim() : ''];")
        if error:
            return ("error", error)
        return ("in", "") if "/auth/login/" not in path else None
    state, error = browser.wait(outcome, f"the outcome of {user}'s login", WAIT)
    _assert_not_an_error_page(browser)
    return error if state == "error" else ""


def assert_secure_cookies(browser: Browser) -> dict[str, dict]:
    cookies = {c["name"]: c for c in browser.cookies()}
    print("cookies:", {n: (c["secure"], c["httpOnly"]) for n, c in cookies.items()})
    assert "sessionid" in cookies and "csrftoken" in cookies, sorted(cookies)
    assert cookies["sessionid"]["secure"] and cookies["sessionid"]["httpOnly"], \
        cookies["sessionid"] | {"value": "..."}
    assert cookies["csrftoken"]["secure"], cookies["csrftoken"] | {"value": "..."}
    return cookies


@contextmanager
def session(home: Path, lab: Lab, shots: Shots, who: str, user: str,
            password: str) -> Iterator[Session]:
    with Browser(home, page_load_timeout=WAIT) as browser:
        root = webroot(browser, lab.url)
        error = log_in(browser, root, user, password)
        assert not error, f"{user} could not log in: {error}"
        shots.take(browser, f"{who}-home")
        yield Session(browser, root, who, shots)


@pytest.fixture(scope="module")
def admin(home, lab, shots) -> Iterator[Session]:
    with session(home, lab, shots, "admin", lab.admin["username"],
                 lab.admin["password"]) as s:
        yield s


@pytest.fixture(scope="module")
def demo(home, lab, shots, tenant) -> Iterator[Session]:
    with session(home, lab, shots, "demo", tenant["username"], tenant["password"]) as s:
        yield s


# --- no lab needed ----------------------------------------------------------------------------

def test_the_browser_trusts_only_the_ca_it_is_given(tools, tmp_path):
    check_browser_trust(tmp_path)


# --- the login page -----------------------------------------------------------------------------

def test_login_page_over_tls_with_its_fonts_and_password_icon(home, lab, shots):
    with Browser(home, page_load_timeout=WAIT) as browser:
        root = webroot(browser, lab.url)  # an untrusted certificate fails here
        assert browser.script("return window.isSecureContext;") is True
        _assert_not_an_error_page(browser)
        try:
            statuses = font_statuses(browser.stylesheets(), lab.tls())
            print("fonts:", statuses)
            assert statuses, f"{root}: no stylesheet of the login page refers to a font"
            assert {u: s for u, s in statuses.items() if s != 200} == {}

            glyph = browser.wait(lambda: browser.glyph("#id_password + .password-icon"),
                                 "the password field's reveal icon", WAIT)
            assert glyph["visible"] and glyph["content"] not in ("none", "normal", '""'), glyph
            faces = browser.font_faces()
            print("password icon:", glyph, "font faces:", faces)
            assert [f for f in faces if f["status"] == "error"] == []
            assert "loaded" in {f["status"] for f in faces if f["family"] == glyph["family"]}, \
                f"the icon font {glyph['family']!r} is not loaded: {faces}"
            csrf = {c["name"]: c for c in browser.cookies()}.get("csrftoken")
            assert csrf and csrf["secure"], csrf and csrf | {"value": "..."}
        finally:
            shots.take(browser, "login")


def test_a_wrong_password_gets_horizon_s_login_error(home, lab, shots):
    with Browser(home, page_load_timeout=WAIT) as browser:
        root = webroot(browser, lab.url)
        try:
            error = log_in(browser, root, lab.admin["username"], "not-" + lab.admin["password"])
            assert LOGIN_ERROR in error, error
            assert browser.find_all("#loginBtn"), "the login form is gone"
        finally:
            shots.take(browser, "wrong-password")


# --- the admin --------------------------------------------------------------------------------

def test_the_admin_logs_in_with_secure_session_cookies(admin):
    assert_secure_cookies(admin.browser)
    with admin.page("admin/", "admin-overview") as browser:
        assert browser.wait_for_text("Overview", timeout=WAIT)


def test_the_admin_sees_both_servers_among_all_instances(admin, tenant):
    with admin.page("admin/instances/", "instances") as browser:
        rows = browser.wait(lambda: _active(admin.rows("instances")),
                            f"{', '.join(SERVERS)} ACTIVE", WAIT)
        print("admin instances:", rows)


# --- the tenant --------------------------------------------------------------------------------

def _active(rows: dict[str, str]) -> dict[str, str] | None:
    wanted = {s: rows.get(s, "") for s in SERVERS}
    return wanted if all(re.search(r"\bActive\b", t) for t in wanted.values()) else None


def test_demo_logs_in_with_secure_session_cookies(demo):
    assert_secure_cookies(demo.browser)


def test_demo_sees_web_1_and_web_2_active(demo):
    with demo.page("project/instances/", "instances") as browser:
        rows = browser.wait(lambda: _active(demo.rows("instances")),
                            f"{', '.join(SERVERS)} ACTIVE", WAIT)
        print("instances:", rows)


def test_demo_sees_the_load_balancer_and_its_members(demo):
    with demo.page("project/load_balancer/", "load-balancers"):
        lb = demo.link(LB)
    with demo.page(lb, "load-balancer"):
        demo.tab("Pools")
        pool = demo.link(POOL)
    with demo.page(pool, "pool-members") as browser:
        demo.tab("Members")
        members = browser.wait_for_text(*SERVERS, timeout=WAIT, css=".tab-content .tab-pane.active")
        print("members:", members)


def test_demo_network_topology_renders(demo):
    names = (NETWORK, *SERVERS)

    def drawn() -> str | None:
        # The SVG the topology scripts draw from the panel's JSON (labels included).
        text = demo.browser.script(
            "var t = ''; document.querySelectorAll('svg').forEach("
            "  function (s) { t += ' ' + s.textContent; }); return t;")
        return text if all(n in text for n in names) else None

    with demo.page("project/network_topology/", "network-topology") as browser:
        text = browser.wait(drawn, f"{', '.join(names)} in the topology", WAIT)
        print("topology:", " ".join(text.split())[:300])


def test_demo_sees_its_volume_attached_to_web_1(demo):
    def attached() -> str | None:
        row = demo.rows("volumes").get(VOLUME, "")
        return row if VOLUME_SERVER in row else None

    with demo.page("project/volumes/", "volumes") as browser:
        row = browser.wait(attached, f"{VOLUME} attached to {VOLUME_SERVER}", WAIT)
        print("volume:", row)
