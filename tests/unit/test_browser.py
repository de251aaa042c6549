"""The e2e tier's browser helpers (tests/e2e/browser.py): which fonts a stylesheet points
at, and, where the e2e browser is installed (scripts/setup/browser.sh), headless Chromium
against a local HTTPS server: refused without the throwaway CA, loaded with it in its NSS
database, and the cookie, font-face and font-URL checks tell good from broken."""

import pytest

from tests.e2e.browser import INSTALL_HINT, css_refs, missing_tools
from tests.e2e.local_tls import check_browser_trust

BASE = "https://10.0.2.11/static/dashboard/css/abc123.css"


def test_font_urls_resolve_against_the_sheet_and_drop_fragments():
    css = """/* url("commented-out.woff") */
    @import url("theme.css"); @import 'print.css';
    @font-face { font-family: FontAwesome;
      src: url('../../horizon/lib/font_awesome/fonts/fontawesome-webfont.eot?v=4.7.0');
      src: url("../../horizon/lib/font_awesome/fonts/fontawesome-webfont.eot?#iefix&v=4.7.0")
             format("embedded-opentype"),
           url(../../horizon/lib/font_awesome/fonts/fontawesome-webfont.woff2?v=4.7.0),
           url( "/static/fonts/fontawesome-webfont.svg?v=4.7.0#fontawesomeregular" ) format("svg"); }
    @font-face { font-family: Inline; src: url(data:font/woff2;base64,AAAA) format("woff2"); }
    .logo { background: url("../img/logo.svg#x") } .x { background-image: url("../img/bg.png") }"""
    fonts, imports = css_refs(css, BASE)
    lib = "https://10.0.2.11/static/horizon/lib/font_awesome/fonts/fontawesome-webfont"
    assert imports == ["https://10.0.2.11/static/dashboard/css/theme.css",
                       "https://10.0.2.11/static/dashboard/css/print.css"]
    # Only @font-face sources: the SVG logo and the PNG are images.
    assert fonts == [f"{lib}.eot?v=4.7.0", f"{lib}.eot", f"{lib}.woff2?v=4.7.0",
                     "https://10.0.2.11/static/fonts/fontawesome-webfont.svg?v=4.7.0"]


def test_chromium_trusts_a_ca_only_through_its_own_nss_database(tmp_path):
    missing = missing_tools()
    if missing:
        pytest.skip(f"the e2e browser is not installed ({', '.join(missing)}): {INSTALL_HINT}")
    check_browser_trust(tmp_path)
