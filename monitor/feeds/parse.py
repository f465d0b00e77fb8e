"""Feed bytes to plain entries with feedparser, keeping what ill-formed feeds still hold.

Parsing is split in two so that the costly part runs only for items not stored yet: `parse_feed`
reads the document (identity, link, dates, raw markup of each item) and `entry_content` sanitises
one item's markup into storable HTML and text.
"""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import feedparser

from monitor.config import ParseSettings
from monitor.feeds.dates import parse_indonesian_date, register_with_feedparser, struct_to_datetime
from monitor.feeds.sanitize import bound_markup, html_to_text, sanitize_html
from monitor.feeds.urls import article_url, canonical_url

register_with_feedparser()

FUTURE_TOLERANCE = timedelta(hours=1)
QUOTE_CHARS = 80  # how much of a bad value a warning repeats


class NotAFeedError(Exception):
    """The document is not a feed (an HTML page, an error page, binary data)."""


@dataclass(frozen=True)
class ParsedEntry:
    """One feed item as read, before its markup is sanitised (`entry_content` does that)."""

    guid: str  # the item's GUID, else its link
    url: str  # an absolute http(s) link, or "" when the item has none usable
    canonical_url: str | None  # of the link; None for an item without one
    title_html: str
    body_html: str
    base_url: str  # what relative links in the body are resolved against
    author: str | None
    language: str | None
    published_at: datetime | None
    source: Any = field(repr=False, compare=False)  # feedparser's entry: `raw_entry` reads it for new items only


@dataclass(frozen=True)
class EntryContent:
    """An item's sanitised HTML, plain text and content hash."""

    title: str
    summary_html: str
    summary_text: str
    content_hash: str | None  # None when the item has no text of its own (title-only or empty)
    warnings: list[str]


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


def quote(value: str) -> str:
    """A value from a feed as a warning shows it: repr, cut short."""
    text = repr(value)
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def _capped(value, max_chars: int):
    """The entry as JSON-able data with long strings cut (the whole document is kept in raw_documents); a value
    JSON has no type for becomes its text."""
    if isinstance(value, str):
        return value[:max_chars]
    if isinstance(value, dict):
        return {key: _capped(item, max_chars) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_capped(item, max_chars) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


def raw_entry(entry: ParsedEntry, max_chars: int) -> dict:
    """The item as the parser read it, JSON-able, long strings cut to `max_chars` (stored with new items)."""
    return _capped({key: value for key, value in entry.source.items() if not key.endswith("_parsed")}, max_chars)


def _entry_html(entry) -> tuple[str, str]:
    """The item's body markup (content wins over summary) and the xml:base it was written under."""
    for content in entry.get("content") or []:
        if content.get("value"):
            return content["value"], content.get("base") or ""
    detail = entry.get("summary_detail") or {}
    return entry.get("summary", "") or "", detail.get("base") or ""


def _published(entry, fetched_at: datetime, warnings: list[str]) -> datetime | None:
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if not raw:
            continue
        value = struct_to_datetime(entry.get(f"{key}_parsed")) or parse_indonesian_date(raw)
        if value is None:
            warnings.append(f"tanggal tidak terbaca: {quote(raw)}")
            continue
        if value > fetched_at + FUTURE_TOLERANCE:
            warnings.append(f"tanggal di masa depan diganti waktu ambil: {quote(raw)}")
            return fetched_at
        return value
    return None


def parse_feed(
    body: bytes,
    headers: dict[str, str] | None,
    url: str,
    fetched_at: datetime | None = None,
    limits: ParseSettings = ParseSettings(),
) -> ParsedFeed:
    """Parse feed bytes with the response headers (so the declared charset is seen).

    Keeps the first `limits.max_items_per_document` items. Items are not sanitised here (see
    `entry_content`). Raises NotAFeedError when the document holds no feed at all; an ill-formed
    feed that still yields entries is returned with a warning instead.
    """
    fetched_at = fetched_at or datetime.now(UTC)
    # keyword arguments: feedparser 7 changes the positional ones; BytesIO so bytes are never taken for a path.
    # resolve_relative_uris=False: feedparser's resolver re-parses every item's markup in pure Python on
    # every poll (about 2.5 s of CPU per MB of nested markup); sanitize_html resolves links of new items instead.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=dict(headers or {}), sanitize_html=False,
                              resolve_relative_uris=False)
    warnings: list[str] = []
    if parsed.bozo:
        warnings.append(f"feed tidak rapi ({type(parsed.bozo_exception).__name__}): {parsed.bozo_exception}")
    version = parsed.get("version") or ""  # absent (not "") when the body is empty
    if not version and not parsed.entries:
        raise NotAFeedError(_not_a_feed_reason(body, headers))
    result = ParsedFeed(
        title=parsed.feed.get("title", ""), link=parsed.feed.get("link", ""), version=version, warnings=warnings
    )
    limit = limits.max_items_per_document
    if len(parsed.entries) > limit:
        warnings.append(
            f"dokumen berisi {len(parsed.entries)} item; hanya {limit} item pertama yang diproses "
            "(batas WASPADA_MAX_ITEMS_PER_DOCUMENT)"
        )
    for position, entry in enumerate(parsed.entries[:limit], start=1):
        item = _read_entry(entry, position, url, parsed.feed.get("language"), fetched_at, warnings)
        if item is not None:
            result.entries.append(item)
    return result


def _read_entry(entry, position: int, url: str, feed_language: str | None, fetched_at: datetime,
                warnings: list[str]) -> ParsedEntry | None:
    """One item's identity, link, dates and raw markup; None (with a warning) for an item that cannot be identified."""
    given_link = entry.get("link") or ""
    link = article_url(given_link, url) or ""
    if given_link and not link:
        warnings.append(f"item #{position}: tautan bukan alamat http(s), diabaikan: {quote(given_link)}")
    guid = entry.get("id") or link
    if not guid:
        warnings.append(f"item #{position} tanpa GUID dan tanpa tautan http(s) dilewati")
        return None
    body_html, body_base = _entry_html(entry)
    return ParsedEntry(
        guid=guid,
        url=link,
        canonical_url=canonical_url(link) if link else None,
        title_html=entry.get("title", "") or "",
        body_html=body_html,
        base_url=urljoin(url, body_base) if body_base else url,
        author=entry.get("author"),
        language=entry.get("language") or feed_language,
        published_at=_published(entry, fetched_at, warnings),
        source=entry,
    )


def entry_content(entry: ParsedEntry, limits: ParseSettings = ParseSettings()) -> EntryContent:
    """Sanitise an item's markup, bounded first in size and nesting depth (the costly step of parsing)."""
    warnings: list[str] = []
    title_markup = _bounded(entry, "judul", entry.title_html, limits, warnings)
    body_markup = _bounded(entry, "isi", entry.body_html, limits, warnings)
    title = html_to_text(title_markup)
    text = html_to_text(body_markup)
    return EntryContent(
        title=title,
        summary_html=sanitize_html(body_markup, base_url=entry.base_url),
        summary_text=text,
        content_hash=content_hash(title, text) if text else None,
        warnings=warnings,
    )


def _bounded(entry: ParsedEntry, part: str, markup: str, limits: ParseSettings, warnings: list[str]) -> str:
    bounded = bound_markup(markup, limits.max_item_html_chars, limits.max_item_html_depth)
    label = entry.url or entry.guid
    if bounded.cut:
        warnings.append(f"{part} item {quote(label)} lebih dari {limits.max_item_html_chars} karakter: dipotong "
                        "(batas WASPADA_MAX_ITEM_HTML_CHARS)")
    if bounded.flattened:
        warnings.append(f"{part} item {quote(label)} bersarang lebih dari {limits.max_item_html_depth} tingkat: "
                        "tag yang lebih dalam dibuang, teksnya disimpan (batas WASPADA_MAX_ITEM_HTML_DEPTH)")
    return bounded.html


def read_document(body: bytes, headers: dict[str, str] | None, url: str, fetched_at: datetime,
                  limits: ParseSettings = ParseSettings()) -> ParsedFeed | str:
    """The parsed document (see `parse_feed`), or why it is no feed."""
    try:
        return parse_feed(body, headers, url, fetched_at=fetched_at, limits=limits)
    except NotAFeedError as exc:
        return str(exc)


def _not_a_feed_reason(body: bytes, headers: dict[str, str] | None) -> str:
    content_type = {k.lower(): v for k, v in (headers or {}).items()}.get("content-type", "")
    head = body[:512].lstrip().lower()
    if not body.strip():
        return "dokumen kosong, bukan feed"
    if b"<html" in head or b"<!doctype html" in head or "html" in content_type:
        return "halaman HTML, bukan feed RSS/Atom (coba `waspada feeds add` untuk mencari feed-nya)"
    return "dokumen bukan feed RSS/Atom yang dikenali"
