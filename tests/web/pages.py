"""Helpers of the page tests: read a page's elements, check that nothing in it can run script."""
from __future__ import annotations

from html.parser import HTMLParser

URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "data", "poster")


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each <script>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.script_text.append(data)


def elements(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    parser.close()
    return parser


def links(page: str) -> list[str]:
    """Every href of the page, in order."""
    return [attrs["href"] for tag, attrs in elements(page).tags if "href" in attrs]


def assert_inert(page: str) -> None:
    """No script but Waspada's own static files, no event handler attribute, no javascript:/data: address."""
    parsed = elements(page)
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    assert all(attrs.get("src", "").startswith("/static/") for attrs in scripts), scripts
    assert parsed.script_text == []
    handlers = [(tag, name) for tag, attrs in parsed.tags for name in attrs if name.lower().startswith("on")]
    assert handlers == []
    for tag, attrs in parsed.tags:
        for name in URL_ATTRIBUTES:
            value = "".join(attrs.get(name, "").split()).lower()
            assert not value.startswith(("javascript:", "vbscript:", "data:")), (tag, name, attrs[name])
    assert not any(tag in ("iframe", "object", "embed", "base") for tag, _ in parsed.tags)
