"""Which link targets may be written into a page, an email or an SVG: http(s) only."""
from __future__ import annotations

from urllib.parse import urlsplit


def safe_href(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) address or a path on the same site ('/peringatan/3'), else None.

    Anything else (javascript:, data:, vbscript:, '//other.host', control characters) is refused, so
    a link built from stored data can never run script or leave for an unexpected scheme.
    """
    if not url or any(ord(c) < 32 or ord(c) == 127 for c in url) or url != url.strip():
        return None
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url
    return None
