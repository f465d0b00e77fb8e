"""Feed autodiscovery: find a site's RSS/Atom feeds from its `<link rel="alternate">` tags."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml"}


class _AlternateLinks(HTMLParser):
    # the stdlib parser is enough for <link> tags in <head>; no HTML library is needed for this
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag != "link":
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in FEED_TYPES and values.get("href"):
            self.links.append((values["href"], values.get("title", "")))


def discover_feed_links(html_text: str, base_url: str) -> list[tuple[str, str]]:
    """Absolute feed URLs and their titles announced by a page, in page order, without repeats."""
    parser = _AlternateLinks()
    parser.feed(html_text)
    seen, found = set(), []
    for href, title in parser.links:
        url = urljoin(base_url, href)
        if url not in seen:
            seen.add(url)
            found.append((url, title))
    return found
