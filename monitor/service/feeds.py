"""News sources for every front door: add one by site address (feed discovery, tested and validated
before feeds.yaml is written), enable or disable one, and every source's health."""
from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from monitor.config import Settings
from monitor.db.models import Article, Feed, present
from monitor.db.session import session_scope
from monitor.feeds.discover import discover_feed_links
from monitor.feeds.fetch import Fetcher
from monitor.feeds.parse import NotAFeedError, parse_feed
from monitor.feeds.registry import (
    ID_PATTERN,
    REGION_PATTERN,
    FeedsFileError,
    FeedSource,
    append_feed,
    load_feeds,
    sync_feeds,
)
from monitor.service import audit

HEALTH_DAYS = 7  # items per day are counted over this many days


@dataclass(frozen=True)
class AddFeedResult:
    """What adding a source did: the new source, or why nothing was written (Indonesian, with the form field)."""

    ok: bool
    message: str
    field: str | None = None  # url | feed_id | region, when the problem is one field's
    feed_id: str = ""
    feed_url: str = ""
    n_entries: int = 0


@dataclass(frozen=True)
class FeedChange:
    """The outcome of enabling or disabling a source."""

    ok: bool
    message: str


@dataclass(frozen=True)
class FeedHealth:
    """One source as the admin page lists it."""

    id: str
    name: str
    url: str
    outlet: str
    region: str
    enabled: bool
    verified: bool
    last_success_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    disabled_reason: str
    error_count: int
    next_check_at: datetime | None
    items_per_day: float  # articles stored from it per day over the last HEALTH_DAYS days


def slug(text: str) -> str:
    """A feed id made from a title: lower-case letters, digits and '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "feed"


async def _discover(settings: Settings, url: str):
    """Fetch `url`; if it is not a feed, try the feeds its page announces. Returns (result, feed URL, parsed)."""
    async with Fetcher(settings.fetch) as fetcher:
        first = await fetcher.fetch(url)
        if first.outcome != "ok":
            return first, None, None
        try:
            body = present(first.body)  # an "ok" fetch has a body
            return first, first.final_url or url, parse_feed(body, first.headers, first.final_url or url)
        except NotAFeedError:
            links = discover_feed_links(body.decode("utf-8", "replace"), first.final_url or url)
            for link, _title in links:
                candidate = await fetcher.fetch(link)
                if candidate.outcome == "ok":
                    try:
                        return candidate, link, parse_feed(present(candidate.body), candidate.headers, link)
                    except NotAFeedError:
                        continue
            return first, None, None


def _run(coroutine):
    """asyncio.run, also from a thread whose event loop is already running (then in a thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _write_validated(path: Path, source: FeedSource) -> list[str]:
    """Append `source`; append_feed validates the whole new file first and replaces it atomically.

    Returns the problems of the would-be file (empty when it was written).
    """
    try:
        append_feed(path, source)
        return []
    except FeedsFileError as exc:
        return exc.problems


def add_feed(engine: Engine, settings: Settings, url: str, *, feed_id: str | None = None, region: str = "62",
             actor: str = "", address: str = "") -> AddFeedResult:
    """Find a site's feed (the URL itself or its `<link rel="alternate">`), test it, append it to feeds.yaml
    after validating the result, and sync it into the database; audited."""
    url, region, feed_id = (url or "").strip(), (region or "62").strip(), (feed_id or "").strip() or None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return AddFeedResult(False, "Alamat harus lengkap dan diawali http:// atau https://.", "url")
    if not REGION_PATTERN.match(region):
        return AddFeedResult(False, "Wilayah harus 62 atau kode kabupaten/kota seperti 62.02.", "region")
    if feed_id is not None and not ID_PATTERN.match(feed_id):
        return AddFeedResult(False, "Id sumber 2-100 karakter: huruf kecil, angka, '-' atau '_'.", "feed_id")
    path = Path(settings.feeds_path)
    try:
        existing = load_feeds(path)
    except FeedsFileError as exc:
        return AddFeedResult(False, f"Berkas sumber {path} bermasalah: " + "; ".join(exc.problems))
    result, feed_url, parsed = _run(_discover(settings, url))
    if feed_url is None:
        reason = result.error_message or "tidak ada <link rel=alternate> yang berisi feed"
        return AddFeedResult(False, f"Tidak menemukan feed di {url}: {reason}", "url")
    title = (parsed.title or feed_url)[:200]
    new_id = feed_id or slug(title)
    if not ID_PATTERN.match(new_id):
        return AddFeedResult(False, f"Id '{new_id}' dari judul feed tidak sah; isi id sumber sendiri.", "feed_id")
    if any(s.id == new_id or s.url == feed_url for s in existing):
        return AddFeedResult(False, f"Sumber {new_id} ({feed_url}) sudah ada di {path}",
                             "feed_id" if any(s.id == new_id for s in existing) else "url")
    source = FeedSource(id=new_id, name=title, url=feed_url, outlet=title, region=region, interval_minutes=60,
                        enabled=True, verified=True, notes=f"Ditambahkan lewat penemuan feed dari {url}.")
    problems = _write_validated(path, source)
    if problems:
        return AddFeedResult(False, f"Sumber tidak ditambahkan; {path} akan menjadi tidak sah: " + "; ".join(problems))
    with session_scope(engine) as session:
        sync_feeds(session, load_feeds(path))
        audit.record(session, actor, "feed.add", f"feed:{new_id}",
                     {"url": feed_url, "site": url, "region": region, "entries": len(parsed.entries)}, address)
    return AddFeedResult(True, f"Ditambahkan: {new_id} -> {feed_url} ({len(parsed.entries)} item)", None,
                         new_id, feed_url, len(parsed.entries))


def set_feed_enabled(engine: Engine, settings: Settings, feed_id: str, enabled: bool, *, actor: str = "",
                     address: str = "") -> FeedChange:
    """Enable a source (clearing the reason it was disabled) or disable it with the actor as the reason; audited.

    A source disabled in feeds.yaml itself stays disabled: the file is the configuration.
    """
    with session_scope(engine) as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            return FeedChange(False, f"Feed {feed_id} tidak ada")
        if enabled:
            configured = _configured(settings, feed_id)
            if configured is not None and not configured.enabled:
                return FeedChange(False, f"Feed {feed_id} dimatikan di {settings.feeds_path} (enabled: false); "
                                         "ubah berkas itu untuk mengaktifkannya.")
            feed.disabled_reason, feed.enabled, feed.error_count = None, True, 0
            feed.next_check_at = datetime.now(UTC)
        else:
            # a disabled_reason keeps it disabled when feeds.yaml is synced again
            feed.enabled, feed.disabled_reason = False, f"dinonaktifkan oleh {actor or 'admin'}"
        audit.record(session, actor, "feed.enable" if enabled else "feed.disable", f"feed:{feed_id}", {}, address)
    return FeedChange(True, f"Feed {feed_id} aktif lagi." if enabled else f"Feed {feed_id} dinonaktifkan.")


def _configured(settings: Settings, feed_id: str) -> FeedSource | None:
    try:
        return next((s for s in load_feeds(settings.feeds_path) if s.id == feed_id), None)
    except FeedsFileError:
        return None


def feed_health(session: Session, now: datetime | None = None) -> list[FeedHealth]:
    """Every source with its health and its items per day over the last HEALTH_DAYS days, by id."""
    now = now or datetime.now(UTC)
    counts = dict(session.execute(
        select(Article.feed_id, func.count()).where(Article.fetched_at >= now - timedelta(days=HEALTH_DAYS))
        .group_by(Article.feed_id)).all())
    return [FeedHealth(f.id, f.name, f.url, f.outlet, f.region, f.enabled, f.verified, f.last_success_at,
                       f.last_error or "", f.last_error_at, f.disabled_reason or "", f.error_count, f.next_check_at,
                       round(counts.get(f.id, 0) / HEALTH_DAYS, 1))
            for f in session.scalars(select(Feed).order_by(Feed.id))]


def feed_names(session: Session) -> dict[str, str]:
    """Every source's id -> name, by name (for pickers)."""
    return dict(session.execute(select(Feed.id, Feed.name).order_by(Feed.name, Feed.id)).all())
