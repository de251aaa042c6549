"""Headless Chromium for the e2e tier, driven through Debian's chromedriver over the W3C
WebDriver protocol with the standard library alone (no Selenium: a session is a handful of
JSON requests to a local port).

Trust is the browser's own: HOME is a private directory whose NSS database
(~/.pki/nssdb, which Chromium on Linux reads) holds the one CA the test hands it, imported
with certutil. Nothing disables certificate checks, so a page that loads is a page whose
certificate chains to that CA (`scripts/setup/browser.sh` installs the three tools)."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CERTUTIL = "/usr/bin/certutil"
TOOLS = (CHROMIUM, CHROMEDRIVER, CERTUTIL)
INSTALL_HINT = "scripts/setup/browser.sh installs them (`make e2e` runs it)"
# W3C WebDriver's key for element references.
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def missing_tools() -> list[str]:
    return [t for t in TOOLS if not os.access(t, os.X_OK)]


def trust_ca(home: Path, ca_pem: str, nickname: str = "openstack-lab") -> Path:
    """A fresh NSS database under HOME with `ca_pem` as its one trusted CA (for TLS
    servers: trust "C,,"); returns the database directory."""
    db = home / ".pki" / "nssdb"
    db.mkdir(parents=True, exist_ok=True, mode=0o700)
    ca = home / f"{nickname}.pem"
    ca.write_text(ca_pem)
    env = {**os.environ, "HOME": str(home)}
    for args in (["-N", "--empty-password"],
                 ["-A", "-t", "C,,", "-n", nickname, "-i", str(ca)]):
        done = subprocess.run([CERTUTIL, "-d", f"sql:{db}", *args], env=env,
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"certutil {' '.join(args)}: {done.stdout}{done.stderr}")
    listed = subprocess.run([CERTUTIL, "-d", f"sql:{db}", "-L"], env=env, capture_output=True,
                            text=True, timeout=60, check=True).stdout
    if not re.search(rf"^{re.escape(nickname)}\s+C,,", listed, re.M):
        raise RuntimeError(f"{nickname} is not a trusted CA in {db}:\n{listed}")
    return db


class WebDriverError(RuntimeError):
    def __init__(self, error: str, message: str) -> None:
        super().__init__(f"{error}: {message}")
        self.error = error
        self.message = message


class PageError(RuntimeError):
    """Chromium showed its own error page (an interstitial) instead of the page."""

    def __init__(self, url: str, shown: str) -> None:
        codes = re.findall(r"\b(?:NET::)?ERR_[A-Z_]+", shown)
        super().__init__(f"{url}: Chromium could not load it "
                         f"({', '.join(codes) or 'no error code shown'}): {shown[:300]!r}")
        self.url = url
        self.codes = codes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One Chromium session. `home` becomes the browser's HOME (its NSS database: see
    trust_ca) and holds its profile and chromedriver's log."""

    def __init__(self, home: Path, *, size: tuple[int, int] = (1400, 1000),
                 page_load_timeout: float = 600, start_timeout: float = 120) -> None:
        self.home = home
        self.log = home / "chromedriver.log"
        self._port = _free_port()
        self._base = f"http://127.0.0.1:{self._port}"
        self._timeout = page_load_timeout
        self._driver = subprocess.Popen(
            [CHROMEDRIVER, f"--port={self._port}", f"--log-path={self.log}"],
            env={**os.environ, "HOME": str(home)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._session = ""
        try:
            self._wait_for_driver(start_timeout)
            args = ["--headless", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--no-default-browser-check", "--lang=en-US",
                    f"--window-size={size[0]},{size[1]}",
                    f"--user-data-dir={home / f'profile-{self._port}'}"]
            if os.geteuid() == 0:
                args.append("--no-sandbox")  # Chromium refuses root with its sandbox on
            caps = {"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "acceptInsecureCerts": False,
                "pageLoadStrategy": "normal",
                "timeouts": {"implicit": 0, "pageLoad": int(page_load_timeout * 1000),
                             "script": int(page_load_timeout * 1000)},
                "goog:chromeOptions": {"binary": CHROMIUM, "args": args,
                                       "prefs": {"intl.accept_languages": "en-US,en"}},
            }}}
            self._session = self._raw("POST", "/session", caps)["sessionId"]
        except BaseException:
            self.close()
            raise

    # --- protocol --------------------------------------------------------------------------

    def _wait_for_driver(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self._raw("GET", "/status").get("ready"):
                    return
            except OSError:
                pass
            if self._driver.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chromedriver did not start; its log: {self.log}")
            time.sleep(0.2)

    def _raw(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self._base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self._timeout + 60) as resp:
                answer = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as err:
            with err:
                answer = json.loads(err.read() or b"{}")
            value = answer.get("value") or {}
            raise WebDriverError(value.get("error", str(err.code)),
                                 value.get("message", "")) from None
        return answer.get("value")

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        return self._raw(method, f"/session/{self._session}{path}", body)

    def close(self) -> None:
        if self._session:
            try:
                self._raw("DELETE", f"/session/{self._session}")
            except (OSError, WebDriverError):
                pass
            self._session = ""
        if self._driver.poll() is None:
            self._driver.terminate()
            try:
                self._driver.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._driver.kill()
                self._driver.wait()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- pages -----------------------------------------------------------------------------

    def get(self, url: str) -> None:
        """Navigates and waits for the load event. A page Chromium could not load (an
        untrusted certificate: its interstitial, NET::ERR_CERT_...; a refused connection)
        raises PageError with what Chromium showed instead."""
        self._call("POST", "/url", {"url": url})
        shown = self.script("return [location.href, document.body ? document.body.innerText : ''];")
        if shown[0].startswith("chrome-error://"):
            raise PageError(url, shown[1])

    @property
    def url(self) -> str:
        return self._call("GET", "/url")

    @property
    def title(self) -> str:
        return self._call("GET", "/title")

    def script(self, source: str, *args: Any) -> Any:
        """JavaScript run as a function body (`return` gives the value)."""
        return self._call("POST", "/execute/sync", {"script": source, "args": list(args)})

    def async_script(self, source: str, *args: Any) -> Any:
        """JavaScript whose last argument is the callback that gives the value."""
        return self._call("POST", "/execute/async", {"script": source, "args": list(args)})

    def find(self, css: str) -> str:
        return self._call("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def find_all(self, css: str) -> list[str]:
        found = self._call("POST", "/elements", {"using": "css selector", "value": css})
        return [e[ELEMENT] for e in found]

    def find_xpath(self, xpath: str) -> str:
        return self._call("POST", "/element", {"using": "xpath", "value": xpath})[ELEMENT]

    def property(self, element: str, name: str) -> Any:
        """A DOM property of an element (`href` comes back absolute)."""
        return self._call("GET", f"/element/{element}/property/{name}")

    def type(self, element: str, text: str) -> None:
        self._call("POST", f"/element/{element}/clear", {})
        self._call("POST", f"/element/{element}/value", {"text": text})

    def click(self, element: str) -> None:
        self._call("POST", f"/element/{element}/click", {})

    def text(self, element: str | None = None) -> str:
        """The rendered text of an element, or of the whole page."""
        if element is None:
            return self.script("return document.body ? document.body.innerText : '';")
        return self._call("GET", f"/element/{element}/text")

    def cookies(self) -> list[dict[str, Any]]:
        """The cookies the browser holds for the current page (name, value, domain, path,
        secure, httpOnly, sameSite, expiry)."""
        return self._call("GET", "/cookie")

    def delete_cookies(self) -> None:
        self._call("DELETE", "/cookie")

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self._call("GET", "/screenshot")))
        return path

    def wait(self, condition: Callable[[], Any], what: str, timeout: float = 300,
             every: float = 1) -> Any:
        """Polls `condition` until it gives something true (returned) or `timeout` runs
        out (AssertionError naming `what`, the page's URL and the last error)."""
        deadline = time.monotonic() + timeout
        last: object = None
        while True:
            try:
                value = condition()
                if value:
                    return value
                last = value
            except WebDriverError as err:
                last = err
            if time.monotonic() > deadline:
                raise AssertionError(f"after {timeout:.0f} s, still waiting for {what} "
                                     f"(at {self.url}; last: {last!r})")
            time.sleep(every)

    def wait_for_text(self, *texts: str, timeout: float = 300,
                      css: str | None = None) -> str:
        """Waits until the page (or the element `css`) shows every one of `texts`."""
        def shown() -> str | None:
            if css:
                found = self.script("var e = document.querySelector(arguments[0]);"
                                    "return e ? e.innerText : null;", css)
            else:
                found = self.text()
            return found if found and all(t in found for t in texts) else None
        return self.wait(shown, f"{', '.join(map(repr, texts))} on the page", timeout)

    # --- what a page loads -----------------------------------------------------------------

    def stylesheets(self) -> list[str]:
        """Absolute URLs of the page's <link rel=stylesheet> sheets."""
        return self.script(
            "return Array.from(document.querySelectorAll('link[rel~=\"stylesheet\"]'))"
            ".map(function (l) { return l.href; }).filter(function (h) { return h; });")

    def font_faces(self, timeout_ms: int = 60000) -> list[dict[str, str]]:
        """Every @font-face of the page with its load status ("loaded", "error",
        "unloaded": not used), once the fonts the page uses have settled."""
        return self.async_script(
            "var done = arguments[arguments.length - 1];"
            "var report = function () { var out = [];"
            "  document.fonts.forEach(function (f) {"
            "    out.push({family: f.family.replace(/^[\"']|[\"']$/g, ''), status: f.status}); });"
            "  done(out); };"
            "var timer = setTimeout(report, arguments[0]);"
            "document.fonts.ready.then(function () { clearTimeout(timer); report(); });",
            timeout_ms)

    def glyph(self, css: str, pseudo: str = "::before") -> dict[str, str]:
        """The icon font family and the content of an element's pseudo-element."""
        return self.script(
            "var e = document.querySelector(arguments[0]);"
            "if (!e) { return null; }"
            "var s = getComputedStyle(e, arguments[1]);"
            "return {family: s.fontFamily.split(',')[0].trim().replace(/^[\"']|[\"']$/g, ''),"
            "        content: s.content, visible: e.offsetWidth > 0 && e.offsetHeight > 0};",
            css, pseudo)


# --- CSS: the fonts a page's stylesheets point at ----------------------------------------------

_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]+))\s*\)""", re.I)
_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?["']?([^"')\s;]+)""", re.I)
_FONT_FACE = re.compile(r"@font-face\s*\{([^}]*)\}", re.I)


def css_refs(css: str, base: str) -> tuple[list[str], list[str]]:
    """(font URLs: those of @font-face rules, imported stylesheet URLs) of a stylesheet,
    resolved against the sheet's own URL, fragments dropped (an SVG font's #id, the
    ?#iefix trick), data: URIs skipped."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    imports = [urljoin(base, m) for m in _IMPORT.findall(css)]
    fonts: list[str] = []
    for face in _FONT_FACE.findall(css):
        for groups in _URL.findall(face):
            ref = next(g for g in groups if g)
            url = urldefrag(urljoin(base, ref)).url
            if not ref.startswith("data:") and url not in fonts:
                fonts.append(url)
    return fonts, imports


def fetch(url: str, tls: ssl.SSLContext, timeout: float = 120) -> tuple[int, bytes]:
    """GET with the given trust; (status, body), HTTP errors included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=tls) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read()


def font_statuses(stylesheets: Iterable[str], tls: ssl.SSLContext) -> dict[str, int]:
    """The HTTP status of every font the stylesheets (and the sheets they import) refer
    to; a sheet that does not answer 200 is reported under its own URL."""
    statuses: dict[str, int] = {}
    todo, seen = list(stylesheets), set()
    while todo:
        sheet = todo.pop(0)
        if sheet in seen:
            continue
        seen.add(sheet)
        status, body = fetch(sheet, tls)
        if status != 200:
            statuses[sheet] = status
            continue
        fonts, imports = css_refs(body.decode("utf-8", "replace"), sheet)
        todo.extend(imports)
        for font in fonts:
            if font not in statuses:
                statuses[font] = fetch(font, tls)[0]
    return statuses
