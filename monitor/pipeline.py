"""The ingest flow: fetch (or read a file) -> parse -> dedupe -> store, one transaction per document.

The same functions run from the scheduler, from `waspada fetch`/`waspada ingest` and from tests.
"""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from monitor.config import ParseSettings, Settings
from monitor.db.models import Feed, FetchAttempt
from monitor.db.session import session_scope
from monitor.db.statistics import note_new_articles
from monitor.feeds import polling
from monitor.feeds.fetch import AddressPolicy, Fetcher, FetchResult, is_public_address
from monitor.feeds.parse import NotAFeedError, parse_feed
from monitor.feeds.store import store_document, store_raw_document

FEED_FILE_SUFFIXES = {".xml", ".rss", ".atom", ".rdf", ".feed"}


@dataclass(frozen=True)
class FeedOutcome:
    """What happened to one feed or file in a cycle."""

    feed_id: str
    outcome: str
    n_entries: int = 0
    n_new: int = 0
    n_failed: int = 0
    message: str | None = None


def due_feeds(session: Session, now: datetime, only_due: bool = True) -> list[Feed]:
    """Enabled feeds whose next check has come (or all enabled feeds)."""
    query = select(Feed).where(Feed.enabled.is_(True))
    if only_due:
        query = query.where((Feed.next_check_at.is_(None)) | (Feed.next_check_at <= now))
    return list(session.scalars(query.order_by(Feed.next_check_at, Feed.id)))


def record_fetch_result(engine: Engine, feed_id: str, result: FetchResult, settings: Settings) -> FeedOutcome:
    """Store one fetch result and update the feed's health, all in one transaction."""
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        feed = session.get(Feed, feed_id)
        attempt = FetchAttempt(
            feed_id=feed_id, started_at=now, source="http", url=result.url, final_url=result.final_url,
            outcome=result.outcome, http_status=result.status, error_kind=result.error_kind,
            error_message=result.error_message, warnings=[],
            bytes_received=len(result.body or b""),
        )
        session.add(attempt)
        session.flush()
        if result.permanent_redirect:
            feed.url = result.permanent_redirect
            attempt.warnings = [f"pengalihan permanen: alamat feed diganti ke {result.permanent_redirect}"]
        outcome = _apply_result(session, feed, attempt, result, settings, now)
        attempt.finished_at = datetime.now(timezone.utc)
        return outcome


def record_store_failure(engine: Engine, feed_id: str, result: FetchResult, error: Exception, settings: Settings) -> FeedOutcome:
    """The document's transaction was rolled back: record the failure in a fresh one and back off."""
    message = f"gagal menyimpan: {type(error).__name__}: {error}"[:1000]
    now = datetime.now(timezone.utc)
    try:
        with session_scope(engine) as session:
            session.add(FetchAttempt(
                feed_id=feed_id, started_at=now, finished_at=now, source="http", url=result.url,
                final_url=result.final_url, outcome="error", http_status=result.status, error_kind="store_failed",
                error_message=message, warnings=[], bytes_received=len(result.body or b""),
            ))
            polling.record_failure(session.get(Feed, feed_id), message, now, settings.poll)
    except Exception as second:  # the database itself is unreachable: report, never raise out of the cycle
        message = f"{message}; pencatatan galat juga gagal: {type(second).__name__}"
    return FeedOutcome(feed_id, "error", message=message)


def _record(engine: Engine, feed_id: str, result: FetchResult, settings: Settings) -> FeedOutcome:
    """Record one fetch result; a storage failure of one feed is recorded too and never ends the cycle."""
    try:
        return record_fetch_result(engine, feed_id, result, settings)
    except Exception as exc:
        return record_store_failure(engine, feed_id, result, exc, settings)


def _apply_result(session, feed: Feed, attempt: FetchAttempt, result: FetchResult, settings: Settings, now) -> FeedOutcome:
    poll = settings.poll
    if result.outcome == "not_modified":
        polling.record_not_modified(feed, now, poll)
        return FeedOutcome(feed.id, "not_modified")
    if result.outcome == "gone":
        polling.record_failure(feed, result.error_message, now, poll, permanent=True)
        return FeedOutcome(feed.id, "gone", message=result.error_message)
    if result.outcome in ("rate_limited", "error"):
        polling.record_failure(feed, result.error_message, now, poll, retry_after=result.retry_after)
        return FeedOutcome(feed.id, result.outcome, message=result.error_message)
    try:
        parsed = parse_feed(result.body, result.headers, result.final_url or result.url, fetched_at=now, limits=settings.parse)
    except NotAFeedError as exc:
        attempt.outcome, attempt.error_kind, attempt.error_message = "error", "not_a_feed", str(exc)
        polling.record_failure(feed, str(exc), now, poll)
        return FeedOutcome(feed.id, "error", message=str(exc))
    outcome = _store_parsed(session, feed, attempt, parsed, result.headers, result.body, now, settings.parse)
    feed.etag, feed.last_modified = result.etag, result.last_modified
    polling.record_success(feed, outcome.n_new, now, poll)
    return outcome


def _store_parsed(session, feed: Feed, attempt: FetchAttempt, parsed, headers: dict, body: bytes, now,
                  limits: ParseSettings) -> FeedOutcome:
    """Raw bytes, then the new items; the attempt records the counts and warnings."""
    raw = store_raw_document(session, attempt.final_url or attempt.url, headers, body, now)
    counts = store_document(session, feed, parsed, raw, attempt, now, limits)
    attempt.n_entries, attempt.n_new, attempt.n_failed = counts.n_entries, counts.n_new, counts.n_failed
    attempt.warnings = list(attempt.warnings or []) + counts.warnings
    return FeedOutcome(feed.id, "ok", counts.n_entries, counts.n_new, counts.n_failed,
                       "; ".join(counts.warnings)[:300] or None)


async def fetch_cycle(
    engine: Engine,
    settings: Settings,
    only_due: bool = True,
    feed_ids: Iterable[str] | None = None,
    on_done: Callable[[FeedOutcome], None] | None = None,
    transport=None,
    address_allowed: AddressPolicy = is_public_address,
) -> list[FeedOutcome]:
    """Fetch the due (or all enabled, or the named) feeds concurrently and store each result as it arrives."""
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        feeds = due_feeds(session, now, only_due)
        if feed_ids is not None:
            wanted = set(feed_ids)
            feeds = [feed for feed in feeds if feed.id in wanted]
        jobs = [(feed.id, feed.url, feed.etag, feed.last_modified) for feed in feeds]
    outcomes: list[FeedOutcome] = []
    async with Fetcher(settings.fetch, transport=transport, address_allowed=address_allowed) as fetcher:

        async def one(feed_id, url, etag, last_modified):
            return feed_id, await fetcher.fetch(url, etag, last_modified)

        for finished in asyncio.as_completed([one(*job) for job in jobs]):
            feed_id, result = await finished
            # parsing, sanitising and storing are CPU and database work: a worker thread keeps the event
            # loop free, so the other feeds' requests go on (and meet their timeouts) meanwhile
            outcome = await asyncio.to_thread(_record, engine, feed_id, result, settings)
            note_new_articles(engine, outcome.n_new)
            outcomes.append(outcome)
            if on_done:
                on_done(outcome)
    return outcomes


def run_fetch_cycle(engine: Engine, settings: Settings, **kwargs) -> list[FeedOutcome]:
    """Synchronous wrapper of `fetch_cycle` for the CLI and the scheduler."""
    return asyncio.run(fetch_cycle(engine, settings, **kwargs))


def feed_files(path: Path) -> list[Path]:
    """A saved feed file, or the feed files in a folder (sorted, recursive)."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FEED_FILE_SUFFIXES)
    return [path]


def _file_feed_id(path: Path) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:80] or "file"
    return f"file-{slug}"


def ingest_file(engine: Engine, path: Path, feed_id: str | None = None, outlet: str | None = None,
                limits: ParseSettings = ParseSettings()) -> FeedOutcome:
    """Ingest one saved feed file through the same parse-dedupe-store path as a fetch."""
    path = Path(path)
    now = datetime.now(timezone.utc)
    feed_id = feed_id or _file_feed_id(path)
    try:
        body = path.read_bytes()
    except OSError as exc:
        return FeedOutcome(feed_id, "error", message=f"berkas tidak bisa dibaca: {exc}")
    with session_scope(engine) as session:
        feed = session.get(Feed, feed_id)
        try:
            parsed = parse_feed(body, {}, path.resolve().as_uri(), fetched_at=now, limits=limits)
        except NotAFeedError as exc:
            parsed, error = None, str(exc)
        if feed is None:
            title = parsed.title if parsed and parsed.title else path.stem
            feed = Feed(
                id=feed_id, name=title, url=path.resolve().as_uri(), configured_url=path.resolve().as_uri(),
                outlet=outlet or title, region="62", enabled=False, verified=False,
                notes="Dibuat dari berkas feed tersimpan (waspada ingest).", error_count=0,
                poll_interval_seconds=3600, current_interval_seconds=3600,
            )
            session.add(feed)
            session.flush()
        attempt = FetchAttempt(feed_id=feed.id, started_at=now, source="file", url=path.resolve().as_uri(),
                               outcome="ok", warnings=[], bytes_received=len(body))
        session.add(attempt)
        session.flush()
        if parsed is None:
            attempt.outcome, attempt.error_kind, attempt.error_message = "error", "not_a_feed", error
            attempt.finished_at = datetime.now(timezone.utc)
            return FeedOutcome(feed.id, "error", message=f"{path}: {error}")
        outcome = _store_parsed(session, feed, attempt, parsed, {}, body, now, limits)
        attempt.finished_at = datetime.now(timezone.utc)
    note_new_articles(engine, outcome.n_new)
    return outcome
