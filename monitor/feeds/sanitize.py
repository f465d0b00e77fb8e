"""Feed HTML made safe (nh3) and turned into plain text."""
from __future__ import annotations

import html
import re

import nh3

SAFE_TAGS = {"p", "br", "b", "strong", "i", "em", "ul", "ol", "li", "blockquote", "a", "figure", "figcaption"}
_BLOCK_TAGS = re.compile(r"</?(p|br|div|li|ul|ol|blockquote|h[1-6]|figure|figcaption|tr|table)\b[^>]*>", re.I)
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def sanitize_html(fragment: str) -> str:
    """Keep a small set of formatting tags; drop scripts, styles, images, iframes and event handlers."""
    return nh3.clean(fragment or "", tags=SAFE_TAGS, attributes={"a": {"href", "title"}}, link_rel="noopener noreferrer nofollow")


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: block tags become line breaks, entities decoded, spaces folded."""
    with_breaks = _BLOCK_TAGS.sub("\n", fragment or "")
    # nh3 with no allowed tags removes every tag and the content of script/style
    stripped = nh3.clean(with_breaks, tags=set(), clean_content_tags={"script", "style"})
    text = html.unescape(stripped)
    text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
