"""Feed bytes to plain entries with feedparser, keeping what ill-formed feeds still hold."""
from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import feedparser

from monitor.feeds.dates import parse_indonesian_date, register_with_feedparser, struct_to_datetime
from monitor.feeds.sanitize import html_to_text, sanitize_html
from monitor.feeds.urls import canonical_url, strip_tracking

register_with_feedparser()

FUTURE_TOLERANCE = timedelta(hours=1)


class NotAFeedError(Exception):
    """The document is not a feed (an HTML page, an error page, binary data)."""


@dataclass(frozen=True)
class ParsedEntry:
    """One feed item in plain, storable form."""

    guid: str
    url: str
    canonical_url: str
    title: str
    summary_html: str
    summary_text: str
    author: str | None
    language: str | None
    published_at: datetime | None
    content_hash: str
    raw: dict


@dataclass
class ParsedFeed:
    """A parsed document: its entries and every warning the parser raised."""

    title: str
    link: str
    version: str
    entries: list[ParsedEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def content_hash(title: str, text: str) -> str:
    """Hash of the normalised title and text: equal for the same item re-published under another URL."""
    normal = re.sub(r"\W+", " ", f"{title}\n{text}".lower()).strip()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def _entry_html(entry) -> str:
    contents = entry.get("content") or []
    for content in contents:
        if content.get("value"):
            return content["value"]
    return entry.get("summary", "") or ""


def _published(entry, fetched_at: datetime, warnings: list[str]) -> datetime | None:
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if not raw:
            continue
        value = struct_to_datetime(entry.get(f"{key}_parsed")) or parse_indonesian_date(raw)
        if value is None:
            warnings.append(f"tanggal tidak terbaca: {raw!r}")
            continue
        if value > fetched_at + FUTURE_TOLERANCE:
            warnings.append(f"tanggal di masa depan diganti waktu ambil: {raw!r}")
            return fetched_at
        return value
    return None


def parse_feed(body: bytes, headers: dict[str, str] | None, url: str, fetched_at: datetime | None = None) -> ParsedFeed:
    """Parse feed bytes with the response headers (so the declared charset is seen).

    Raises NotAFeedError when the document holds no feed at all; an ill-formed feed that still
    yields entries is returned with a warning instead.
    """
    fetched_at = fetched_at or datetime.now(timezone.utc)
    # keyword arguments: feedparser 7 changes the positional ones; BytesIO so bytes are never taken for a path
    parsed = feedparser.parse(io.BytesIO(body), response_headers=dict(headers or {}), sanitize_html=False, resolve_relative_uris=True)
    warnings: list[str] = []
    if parsed.bozo:
        warnings.append(f"feed tidak rapi ({type(parsed.bozo_exception).__name__}): {parsed.bozo_exception}")
    version = parsed.get("version") or ""  # absent (not "") when the body is empty
    if not version and not parsed.entries:
        raise NotAFeedError(_not_a_feed_reason(body, headers))
    feed_language = parsed.feed.get("language")
    result = ParsedFeed(
        title=parsed.feed.get("title", ""), link=parsed.feed.get("link", ""), version=version, warnings=warnings
    )
    for position, entry in enumerate(parsed.entries):
        link = strip_tracking(entry.get("link") or "")
        title = html_to_text(entry.get("title", ""))
        raw_html = _entry_html(entry)
        text = html_to_text(raw_html)
        if not (link or title or text):
            warnings.append(f"item #{position + 1} kosong dilewati")
            continue
        guid = entry.get("id") or link or content_hash(title, text)
        result.entries.append(
            ParsedEntry(
                guid=guid,
                url=link,
                canonical_url=canonical_url(link) if link else f"guid:{guid}",
                title=title,
                summary_html=sanitize_html(raw_html),
                summary_text=text,
                author=entry.get("author"),
                language=entry.get("language") or feed_language,
                published_at=_published(entry, fetched_at, warnings),
                content_hash=content_hash(title, text),
                raw=_jsonable({k: v for k, v in entry.items() if not k.endswith("_parsed")}),
            )
        )
    return result


def _not_a_feed_reason(body: bytes, headers: dict[str, str] | None) -> str:
    content_type = {k.lower(): v for k, v in (headers or {}).items()}.get("content-type", "")
    head = body[:512].lstrip().lower()
    if not body.strip():
        return "dokumen kosong, bukan feed"
    if b"<html" in head or b"<!doctype html" in head or "html" in content_type:
        return "halaman HTML, bukan feed RSS/Atom (coba `waspada feeds add` untuk mencari feed-nya)"
    return "dokumen bukan feed RSS/Atom yang dikenali"
