"""URL canonicalisation: one spelling per article so the same story is stored once."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "_ga", "ga_")
TRACKING_NAMES = {
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "ref", "ref_src", "source", "src",
    "cmpid", "campaign", "_hsenc", "_hsmi", "mkt_tok", "page", "amp", "outputtype",
}


def strip_tracking(url: str) -> str:
    """Remove tracking parameters (utm_*, fbclid, ...) and the fragment; keep everything else as given."""
    parts = urlsplit(url.strip())
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith(TRACKING_PREFIXES) and key.lower() not in TRACKING_NAMES
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, doseq=True), ""))


def canonical_url(url: str) -> str:
    """Canonical form: lower-case scheme and host, no default port, no tracking, no trailing slash or AMP suffix."""
    parts = urlsplit(strip_tracking(url))
    scheme = (parts.scheme or "http").lower()
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path or "/"
    for suffix in ("/amp", "/amp/"):
        if path.endswith(suffix):
            path = path[: -len(suffix)] or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)), doseq=True)
    return urlunsplit(("https" if scheme in ("http", "https") else scheme, netloc, path, query, ""))


def article_url(link: str, base: str) -> str | None:
    """An item's link resolved against the document's address, without tracking parameters, if it is
    an http(s) address with a host; None for anything else (javascript:, data:, file:, vbscript:, mailto:, ...)."""
    link = (link or "").strip()
    if not link:
        return None
    try:
        absolute = urljoin(base, link)
        parts = urlsplit(absolute)
        parts.port  # noqa: B018 - raises ValueError for a port out of range, as canonical_url would later
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return strip_tracking(absolute)
