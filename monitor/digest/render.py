"""The digest as HTML email, plain text and a web-page fragment (Jinja2 templates in monitor/digest/templates/).

HTML templates autoescape every value, so feed content (a title with <script>, an onerror=
attribute, a javascript: address) is shown as text; links pass `safe_href` (http(s) or a
same-site path) before they are written.
"""
from __future__ import annotations

import re
from datetime import datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from monitor.alerts.coverage import kabupaten_names
from monitor.digest.compose import Digest
from monitor.render.charts import sparkline_svg
from monitor.render.dates import long_date, short_date
from monitor.render.links import safe_href
from monitor.render.map import kabupaten_map_svg
from monitor.render.style import style_of
from monitor.timezones import WIB

MAP_CID = "peta-tingkat"  # the Content-ID part before the domain; see send.build_message


def _wib(value: datetime | None) -> str:
    if value is None:
        return "-"
    local = value.astimezone(WIB)
    return f"{short_date(local.date())} {local:%H.%M} WIB"


def _oneline(value: object) -> str:
    return re.sub(r"\s+", " ", str(value)).strip()


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("monitor.digest", "templates"),
                      autoescape=select_autoescape(enabled_extensions=("html",), default=False),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(long_date=long_date, short_date=short_date, wib=_wib, oneline=_oneline,
                       level_style=style_of, href=lambda url: safe_href(url) or "")
    return env


_ENV = _environment()


def subject_line(digest: Digest) -> str:
    """'Ringkasan deteksi dini Waspada 7 Desember 2026: 3 peringatan baru'."""
    count = len(digest.alerts)
    news = f"{count} peringatan baru" if count else "tidak ada peringatan baru"
    return f"Ringkasan deteksi dini Waspada {long_date(digest.day)}: {news}"


def map_alt_text(digest: Digest) -> str:
    """The map in words, for mail clients that block images and for screen readers."""
    names = kabupaten_names()  # the map shows every kabupaten, also those outside a subscription
    raised = [f"{names.get(code, code)} {style_of(level).label}" for code, level in sorted(digest.map_levels.items())
              if level != "normal"]
    if not raised:
        return "Peta tingkat kewaspadaan: semua kabupaten/kota Kalimantan Tengah Normal."
    return f"Peta tingkat kewaspadaan: {'; '.join(raised)}; kabupaten/kota lain Normal."


def render_digest_text(digest: Digest) -> str:
    """The plain-text digest (the email's text part and `waspada digest`)."""
    return _ENV.get_template("digest.txt").render(d=digest)


def render_digest_email_html(digest: Digest, map_cid: str = MAP_CID) -> str:
    """The whole HTML email; the map is the inline image `cid:{map_cid}`."""
    return _ENV.get_template("email.html").render(d=digest, subject=subject_line(digest), map_cid=map_cid,
                                                  map_alt=map_alt_text(digest))


def _sparkline(values) -> Markup:
    return Markup(sparkline_svg(list(values), width=84, height=18))


def render_digest_page_html(digest: Digest, kabupaten_links: dict[str, str] | None = None) -> Markup:
    """An HTML fragment for the web app's /ringkasan page: the digest with the map as inline SVG.

    The map's kabupaten link to `kabupaten_links[code]` when given, else to their alert list.
    """
    links = kabupaten_links if kabupaten_links is not None else {
        code: f"{digest.base_url}/peringatan?kabupaten={code}" for code in digest.map_levels}
    caption = f"Peta tingkat kewaspadaan kabupaten/kota Kalimantan Tengah, {long_date(digest.covered_day)}"
    svg = Markup(kabupaten_map_svg(digest.map_levels, links, caption=caption))
    return Markup(_ENV.get_template("page.html").render(d=digest, map_svg=svg, sparkline=_sparkline))

