"""Feed HTML made safe (nh3) and turned into plain text, after bounding what the parser is handed."""
from __future__ import annotations

import html
import re
from collections import Counter
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

import nh3

SAFE_TAGS = {"p", "br", "b", "strong", "i", "em", "ul", "ol", "li", "blockquote", "a", "figure", "figcaption"}
VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                       "track", "wbr"})
# start tags that close an open element on top of the stack, as an HTML parser does (sloppy "<p>a<p>b" and
# "<li>a<li>b" markup would otherwise look deeply nested)
_CLOSES_SAME = frozenset({"p", "li", "dt", "dd", "tr", "td", "th", "option"})
_CLOSES_P = frozenset({"address", "article", "aside", "blockquote", "div", "dl", "fieldset", "figure", "footer", "form",
                       "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "p", "pre", "section",
                       "table", "ul"})
_BLOCK_TAGS = re.compile(r"</?(p|br|div|li|ul|ol|blockquote|h[1-6]|figure|figcaption|tr|table)\b[^>]*>", re.I)
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# A tag as the pre-pass keeps it: nothing between its "<" and ">" is "<" or ">", and the quantifiers are
# possessive, so a match attempt never reaches past the next "<" and never backtracks (linear time).
_TAG = re.compile(r"</?([A-Za-z][^\s/<>]*+)[^<>]*+>")
_BOGUS_COMMENT = re.compile(r"<[!?][^<>]*+>")  # <!DOCTYPE ...>, <?xml ...?>: comments to an HTML parser


class BoundedMarkup(NamedTuple):
    """Markup safe to hand to the sanitiser, and what was done to make it so."""

    html: str
    cut: bool  # longer than the limit: the end was cut off
    flattened: bool  # nested deeper than the limit: the deeper tags were dropped, their text kept


def bound_markup(fragment: str, max_chars: int, max_depth: int) -> BoundedMarkup:
    """Cut markup to `max_chars` and drop tags nested deeper than `max_depth`, in one linear pass.

    nh3's parser (html5ever) takes time quadratic in the nesting depth of block elements (470,000
    nested <div>s cost minutes), so the depth must be bounded before it sees the markup. This is
    hand-written on purpose: any HTML parser is what we are protecting, and the pass only needs to
    over-count nesting, never under-count it. Every "<" that does not start a tag it recognises is
    escaped, so the sanitiser cannot find a tag this pass did not count. Comments are dropped (nh3
    drops them too).
    """
    cut = len(fragment) > max_chars
    if cut:
        fragment = fragment[:max_chars]
        partial = fragment.rfind("<")
        if partial > fragment.rfind(">"):
            fragment = fragment[:partial]  # a tag cut in half would otherwise show as text
    pieces: list[str] = []
    open_tags: list[str] = []
    dropped: Counter[str] = Counter()
    flattened = False
    position = 0
    while (start := fragment.find("<", position)) >= 0:
        pieces.append(fragment[position:start])
        if fragment.startswith("<!--", start):
            end = fragment.find("-->", start + 4)
            position = len(fragment) if end < 0 else end + 3
            continue
        tag = _TAG.match(fragment, start)
        if tag is None:
            bogus = _BOGUS_COMMENT.match(fragment, start)
            if bogus is None:
                pieces.append("&lt;")
            position = bogus.end() if bogus else start + 1
            continue
        position = tag.end()
        name = tag[1].lower()
        if tag[0].startswith("</"):
            keep = _close(name, open_tags, dropped)
        else:
            keep = _open(name, open_tags, dropped, max_depth)
            flattened = flattened or not keep
        if keep:
            pieces.append(tag[0])
    pieces.append(fragment[position:])
    return BoundedMarkup("".join(pieces), cut, flattened)


def _open(name: str, open_tags: list[str], dropped: Counter[str], max_depth: int) -> bool:
    """Whether to keep a start tag; pushes it, or counts it as dropped when it is nested too deep."""
    if open_tags and ((open_tags[-1] == name and name in _CLOSES_SAME) or (open_tags[-1] == "p" and name in _CLOSES_P)):
        open_tags.pop()
    if name in VOID_TAGS:
        return True
    if len(open_tags) < max_depth:  # "<div/>" opens a div in HTML, so the slash is not looked at
        open_tags.append(name)
        return True
    dropped[name] += 1
    return False


def _close(name: str, open_tags: list[str], dropped: Counter[str]) -> bool:
    """Whether to keep an end tag; pops what it closes. An end tag with nothing open to close is dropped."""
    if dropped[name]:
        dropped[name] -= 1
        return False
    for index in range(len(open_tags) - 1, -1, -1):  # at most max_depth steps
        if open_tags[index] == name:
            del open_tags[index:]
            return True
    return False


# nh3.clean builds its sanitiser from the options on every call, which cost four times the cleaning of a
# typical item (about 20 of 25 us); a Cleaner is built once and reused
_TEXT_CLEANER = nh3.Cleaner(tags=set(), clean_content_tags={"script", "style"})  # every tag, script/style content


@lru_cache(maxsize=64)
def _safe_cleaner(base_url: str | None) -> nh3.Cleaner:
    """The sanitiser for markup whose relative links resolve against `base_url` (one per feed address, reused)."""
    def resolve_links(tag: str, attribute: str, value: str) -> str:
        if tag != "a" or attribute != "href" or not base_url:
            return value
        try:
            resolved = urljoin(base_url, value)
            return resolved if urlsplit(resolved).scheme in ("http", "https") else value
        except ValueError:
            return value

    return nh3.Cleaner(tags=SAFE_TAGS, attributes={"a": {"href", "title"}}, link_rel="noopener noreferrer nofollow",
                       attribute_filter=resolve_links if base_url else None)


def sanitize_html(fragment: str, base_url: str | None = None) -> str:
    """Keep a small set of formatting tags; drop scripts, styles, images, iframes and event handlers.

    Relative link targets are resolved against `base_url` when that gives an http(s) address (nh3 has
    already dropped javascript: and other unsafe targets before the filter sees them).
    """
    return _safe_cleaner(base_url).clean(fragment or "")


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: block tags become line breaks, entities decoded, spaces folded."""
    with_breaks = _BLOCK_TAGS.sub("\n", fragment or "")
    stripped = _TEXT_CLEANER.clean(with_breaks)
    text = html.unescape(stripped)
    text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
