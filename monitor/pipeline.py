"""The ingest flow: fetch (or read a file) -> parse -> dedupe -> store, one transaction per document.

The same functions run from the scheduler, from `waspada fetch`/`waspada ingest` and from tests.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from monitor.config import ParseSettings, PollSettings, Settings
from monitor.db.models import Feed, FetchAttempt, RawDocument
from monitor.db.session import begin_writing, session_scope
from monitor.db.statistics import note_new_articles
from monitor.feeds import polling
from monitor.feeds.fetch import AddressPolicy, Fetcher, FetchResult, is_public_address
from monitor.feeds.parse import ParsedFeed, read_document
from monitor.feeds.read_ahead import ReadAhead
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


@dataclass(frozen=True)
class Claim:
    """A feed claimed for fetching, with what its fetch needs."""

    feed_id: str
    url: str
    etag: str | None
    last_modified: str | None
    latest_sha256: str | None  # the bytes of the feed's latest attempt with a kept body
    latest_raw_document_id: int | None  # where those bytes are kept
    latest_gave_nothing_new: bool  # whether that attempt read them and nothing new came of them

    @property
    def unchanged_sha256(self) -> str | None:
        """The bytes that need no reading if they come again (the condition of `_unchanged_since`)."""
        return self.latest_sha256 if self.latest_gave_nothing_new else None


@dataclass(frozen=True)
class Fetched:
    """A fetch result on its way to be stored, with its document if it was read ahead (see `ReadAhead`)."""

    claim: Claim
    result: FetchResult
    read: ParsedFeed | str | None = None

    @property
    def feed_id(self) -> str:
        return self.claim.feed_id


def claim_feeds(engine: Engine, cycle_start: datetime, poll: PollSettings, only_due: bool = True,
                feed_ids: Iterable[str] | None = None) -> list[Claim]:
    """Claim enabled feeds for this process.

    Due feeds (next check at or before `cycle_start`) are claimed `poll.claim_batch` at a time; all
    enabled (or the named) feeds at once when `only_due` is False. A claim moves the feed's next check
    a lease ahead, in the transaction that selected it with FOR UPDATE SKIP LOCKED (PostgreSQL), so
    concurrent workers never take the same feed; recording the fetch result sets the real next check.
    A worker that dies leaves the lease to run out, and the feed is due again.
    """
    with session_scope(engine) as session:
        query = select(Feed).where(Feed.enabled.is_(True))
        if feed_ids is not None:
            query = query.where(Feed.id.in_(list(feed_ids)))
        if only_due:
            query = query.where((Feed.next_check_at.is_(None)) | (Feed.next_check_at <= cycle_start))
            query = query.limit(poll.claim_batch)
        feeds = list(session.scalars(query.order_by(Feed.next_check_at, Feed.id).with_for_update(skip_locked=True)))
        lease_until = datetime.now(UTC) + timedelta(seconds=poll.claim_lease_seconds)
        for feed in feeds:
            feed.next_check_at = lease_until
        latest = _latest_bodies(session, [feed.id for feed in feeds])
        return [Claim(feed.id, feed.url, feed.etag, feed.last_modified, *latest.get(feed.id, (None, None, False)))
                for feed in feeds]


def _latest_bodies(session: Session, feed_ids: list[str]) -> dict[str, tuple[str, int, bool]]:
    """For each feed, the sha256 and raw document of the bytes its latest attempt with a kept body received, and
    whether nothing new came of them (`_nothing_new_came`); in one query for all the feeds."""
    if not feed_ids:
        return {}
    latest_ids = (select(func.max(FetchAttempt.id))
                  .where(FetchAttempt.feed_id.in_(feed_ids), FetchAttempt.raw_document_id.is_not(None))
                  .group_by(FetchAttempt.feed_id))
    rows = session.execute(select(FetchAttempt.feed_id, FetchAttempt.outcome, FetchAttempt.n_new,
                                  FetchAttempt.n_failed, RawDocument.sha256, RawDocument.id)
                           .join(RawDocument, RawDocument.id == FetchAttempt.raw_document_id)
                           .where(FetchAttempt.id.in_(latest_ids)))
    return {row.feed_id: (row.sha256, row.id, _nothing_new_came(row)) for row in rows}


def _nothing_new_came(attempt) -> bool:
    """Whether a recorded attempt (a FetchAttempt or a row of its columns) read its document fully and stored
    nothing new from it."""
    return attempt.outcome == "ok" and attempt.n_new == 0 and attempt.n_failed == 0


def keep_raw(engine: Engine, url: str, headers: dict, body: bytes, received_at: datetime,
             kept_sha256: str | None = None) -> int | None:
    """Keep a received body in a transaction of its own, before anything parses it; its id (None if the
    database refused it: the fetch is then stored as before, without the raw copy)."""
    try:
        with session_scope(engine) as session:
            return store_raw_document(session, url, headers, body, received_at, kept_sha256)
    except Exception:  # noqa: BLE001 - the store step below records what is wrong with the database
        return None


def keep_bodies(engine: Engine, fetched: list[Fetched]) -> list[int | None]:
    """Keep the received bodies of a batch of fetches in one transaction of their own, before anything parses
    them; their ids (None for a fetch without a body). If that transaction fails, each is kept alone (see
    `keep_raw`), so one body the database refuses costs no other body its copy."""
    now = datetime.now(UTC)
    bodies = [_body_to_keep(one, now) for one in fetched]
    try:
        with session_scope(engine) as session:
            return [store_raw_document(session, *body) if body else None for body in bodies]
    except Exception:  # noqa: BLE001 - kept one by one instead
        return [keep_raw(engine, *body) if body else None for body in bodies]


def _body_to_keep(one: Fetched, now: datetime) -> tuple[str, dict, bytes, datetime, str | None] | None:
    """`store_raw_document`'s arguments after the session for a fetch's body (None without one); the feed's
    latest bytes are named as probably kept already."""
    result = one.result
    if result.outcome != "ok" or result.body is None:
        return None
    return result.final_url or result.url, result.headers, result.body, now, one.claim.latest_sha256


def record_fetch_result(session: Session, one: Fetched, settings: Settings, raw_id: int | None = None) -> FeedOutcome:
    """Store one fetch result and update the feed's health, in the caller's transaction (`one.read`: its document
    already parsed, else it is parsed here when needed).

    The attempt joins the session when new items need its id, else at the end with its final values: one
    INSERT instead of an INSERT and an UPDATE for the usual document with nothing new.
    """
    now = datetime.now(UTC)
    result = one.result
    feed = session.get_one(Feed, one.feed_id)
    attempt = FetchAttempt(
        feed_id=one.feed_id, started_at=now, source="http", url=result.url, final_url=result.final_url,
        outcome=result.outcome, http_status=result.status, error_kind=result.error_kind,
        error_message=result.error_message, warnings=[],
        bytes_received=len(result.body or b""), raw_document_id=raw_id,
    )
    if result.permanent_redirect:
        feed.url = result.permanent_redirect
        attempt.warnings = [f"pengalihan permanen: alamat feed diganti ke {result.permanent_redirect}"]
    outcome = _apply_result(session, feed, attempt, one, settings, now)
    attempt.finished_at = datetime.now(UTC)
    session.add(attempt)
    return outcome


def record_store_failure(session: Session, feed_id: str, result: FetchResult, error: Exception, settings: Settings,
                         raw_id: int | None = None) -> FeedOutcome:
    """Storing the document failed and was rolled back: record the failure as a `store_failed` attempt and back
    off, in the caller's transaction."""
    message = _store_failure_message(error)
    now = datetime.now(UTC)
    session.add(FetchAttempt(
        feed_id=feed_id, started_at=now, finished_at=now, source="http", url=result.url,
        final_url=result.final_url, outcome="error", http_status=result.status, error_kind="store_failed",
        error_message=message, warnings=[], bytes_received=len(result.body or b""), raw_document_id=raw_id,
    ))
    polling.record_failure(session.get_one(Feed, feed_id), message, now, settings.poll)
    return FeedOutcome(feed_id, "error", message=message)


def _store_failure_message(error: Exception) -> str:
    return f"gagal menyimpan: {type(error).__name__}: {error}"[:1000]


def record_results(engine: Engine, fetched: list[Fetched], settings: Settings) -> list[FeedOutcome]:
    """Keep the bodies (see `keep_bodies`), then record every fetch result of the batch in one transaction.

    Each document is stored in a savepoint of its own: one that fails is rolled back alone and recorded as
    a `store_failed` attempt (its body stays kept for `waspada reprocess`), and the others are kept. If
    the batch's transaction fails as a whole, each document is recorded again in a transaction of its
    own. A failure never ends the cycle.
    """
    raw_ids = keep_bodies(engine, fetched)
    try:
        with session_scope(engine) as session:
            begin_writing(session)  # one transaction for the batch, each document in a savepoint of it
            # the batch's feeds in one query, held here (the session keeps only weak references) so that each
            # document's lookup of its feed finds it in the session instead of asking the database again
            feeds = session.scalars(select(Feed).where(Feed.id.in_({one.feed_id for one in fetched}))).all()
            outcomes = [_record_in_savepoint(session, one, settings, raw_id)
                        for one, raw_id in zip(fetched, raw_ids, strict=True)]
            del feeds  # held until every document was recorded
            return outcomes
    except Exception:  # noqa: BLE001 - the batch's transaction failed: each document alone, as below
        return [_record_alone(engine, one, settings, raw_id) for one, raw_id in zip(fetched, raw_ids, strict=True)]


def _record_in_savepoint(session: Session, one: Fetched, settings: Settings, raw_id: int | None) -> FeedOutcome:
    try:
        with session.begin_nested():
            return record_fetch_result(session, one, settings, raw_id)
    except Exception as exc:  # noqa: BLE001 - whatever failed while storing is recorded as this feed's failure
        return record_store_failure(session, one.feed_id, one.result, exc, settings, raw_id)


def _record_alone(engine: Engine, one: Fetched, settings: Settings, raw_id: int | None) -> FeedOutcome:
    feed_id, result = one.feed_id, one.result
    try:
        with session_scope(engine) as session:
            return record_fetch_result(session, one, settings, raw_id)
    except Exception as exc:  # noqa: BLE001 - whatever failed while storing is recorded as this feed's failure
        error = exc
    try:
        with session_scope(engine) as session:
            return record_store_failure(session, feed_id, result, error, settings, raw_id)
    except Exception as second:  # noqa: BLE001 - the database itself is unreachable: report, never raise
        message = f"{_store_failure_message(error)}; pencatatan galat juga gagal: {type(second).__name__}"
        return FeedOutcome(feed_id, "error", message=message)


def _apply_result(session: Session, feed: Feed, attempt: FetchAttempt, one: Fetched, settings: Settings,
                  now: datetime) -> FeedOutcome:
    poll, result, read = settings.poll, one.result, one.read
    if result.outcome == "not_modified":
        polling.record_not_modified(feed, now, poll)
        return FeedOutcome(feed.id, "not_modified")
    failure = result.error_message or result.outcome  # the fetcher words every failure
    if result.outcome == "gone":
        polling.record_failure(feed, failure, now, poll, permanent=True)
        return FeedOutcome(feed.id, "gone", message=result.error_message)
    if result.outcome in ("rate_limited", "error"):
        polling.record_failure(feed, failure, now, poll, retry_after=result.retry_after)
        return FeedOutcome(feed.id, result.outcome, message=result.error_message)
    unchanged = _unchanged_since(session, feed, attempt, one)
    if unchanged is not None:
        outcome = _repeat(feed, attempt, unchanged)
        feed.etag, feed.last_modified = result.etag, result.last_modified
        polling.record_success(feed, 0, now, poll)
        return outcome
    parsed = read if read is not None else read_document(result.body or b"", result.headers,
                                                         result.final_url or result.url, now, settings.parse)
    if isinstance(parsed, str):  # why it is no feed; the body stays kept (see `keep_bodies`)
        attempt.outcome, attempt.error_kind, attempt.error_message = "error", "not_a_feed", parsed
        polling.record_failure(feed, parsed, now, poll)
        return FeedOutcome(feed.id, "error", message=parsed)
    outcome = _store_parsed(session, feed, attempt, parsed, now, settings.parse)
    feed.etag, feed.last_modified = result.etag, result.last_modified
    polling.record_success(feed, outcome.n_new, now, poll)
    return outcome


def _unchanged_since(session: Session, feed: Feed, attempt: FetchAttempt, one: Fetched) -> FetchAttempt | None:
    """The feed's latest earlier attempt, if it received these very bytes and stored nothing new, failed nothing.

    Parsing the same bytes again would find the same items, all known (none was stored since): the same
    counts and the same warnings, so the document need not be read again.
    """
    claim = one.claim
    if (attempt.raw_document_id is None or not claim.latest_gave_nothing_new
            or attempt.raw_document_id != claim.latest_raw_document_id):
        return None  # the claim found no attempt with these bytes that gave nothing new: no lookup needed
    # the attempt is not in the session yet (see `record_fetch_result`): the latest stored one is the one before
    latest = session.scalar(select(FetchAttempt)
                            .where(FetchAttempt.feed_id == feed.id, FetchAttempt.raw_document_id.is_not(None))
                            .order_by(FetchAttempt.id.desc()).limit(1))
    if latest is not None and latest.raw_document_id == attempt.raw_document_id and _nothing_new_came(latest):
        return latest
    return None


def _repeat(feed: Feed, attempt: FetchAttempt, earlier: FetchAttempt) -> FeedOutcome:
    """Record on the attempt what reading the unchanged document gave last time."""
    attempt.n_entries, attempt.n_new, attempt.n_failed = earlier.n_entries, 0, 0
    attempt.warnings = list(attempt.warnings or []) + list(earlier.warnings or [])
    return FeedOutcome(feed.id, "ok", earlier.n_entries, 0, 0, "; ".join(earlier.warnings or [])[:300] or None)


def _store_parsed(session: Session, feed: Feed, attempt: FetchAttempt, parsed: ParsedFeed, now: datetime,
                  limits: ParseSettings) -> FeedOutcome:
    """The new items (naming the attempt's kept raw document); the attempt records the counts and warnings."""
    def attempt_id() -> int:  # asked for only when the document has new items, which name their attempt
        session.add(attempt)
        session.flush()
        return attempt.id

    counts = store_document(session, feed, parsed, attempt.raw_document_id, attempt_id, now, limits)
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
    """Fetch the due (or all enabled, or the named) feeds concurrently and store the results as they arrive.

    Feeds are claimed batch by batch (see `claim_feeds`), so several processes share one cycle's feeds.
    Results that arrive while others are being stored are stored together (at most
    `WASPADA_DOCUMENTS_PER_TRANSACTION` documents per transaction, see `record_results`); each document is
    parsed in a parse process as soon as it arrives (see `ReadAhead`).
    """
    cycle_start = datetime.now(UTC)
    outcomes: list[FeedOutcome] = []
    async with Fetcher(settings.fetch, transport=transport, address_allowed=address_allowed) as fetcher:
        with ReadAhead(settings.parse) as read_ahead:

            async def one(claim: Claim) -> Fetched:
                result = await fetcher.fetch(claim.url, claim.etag, claim.last_modified)
                return Fetched(claim, result, await read_ahead.read(result, datetime.now(UTC), claim.unchanged_sha256))

            while jobs := await asyncio.to_thread(claim_feeds, engine, cycle_start, settings.poll, only_due,
                                                  feed_ids):
                outcomes += await _fetch_and_store(engine, settings, [one(job) for job in jobs], on_done)
                if not only_due:
                    break  # every enabled (or named) feed was claimed at once
    return outcomes


async def _fetch_and_store(engine: Engine, settings: Settings, fetches: list[Coroutine[Any, Any, Fetched]],
                           on_done: Callable[[FeedOutcome], None] | None) -> list[FeedOutcome]:
    """Run the claimed batch's fetches concurrently and store their results as they arrive."""
    outcomes: list[FeedOutcome] = []
    pending = {asyncio.ensure_future(fetch) for fetch in fetches}
    ready: list[Fetched] = []
    while pending or ready:
        if pending:  # wait for a first result only when none is ready
            done, pending = await asyncio.wait(pending, timeout=0 if ready else None,
                                               return_when=asyncio.FIRST_COMPLETED)
            ready.extend(task.result() for task in done)
        size = settings.parse.documents_per_transaction
        batch, ready = ready[:size], ready[size:]
        # sanitising and storing (and parsing what was not read ahead) are CPU and database work: a worker
        # thread keeps the event loop free, so the other feeds' requests go on (and meet their timeouts)
        # meanwhile; what finished meanwhile is stored together next, in one transaction
        stored = await asyncio.to_thread(record_results, engine, batch, settings)
        if new_articles := sum(outcome.n_new for outcome in stored):
            # an ANALYZE, when one is due, runs in a worker thread too: fetching goes on meanwhile
            await asyncio.to_thread(note_new_articles, engine, new_articles)
        for outcome in stored:
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
    now = datetime.now(UTC)
    feed_id = feed_id or _file_feed_id(path)
    try:
        body = path.read_bytes()
    except OSError as exc:
        return FeedOutcome(feed_id, "error", message=f"berkas tidak bisa dibaca: {exc}")
    raw_id = keep_raw(engine, path.resolve().as_uri(), {}, body, now)
    with session_scope(engine) as session:
        feed = session.get(Feed, feed_id)
        parsed = read_document(body, {}, path.resolve().as_uri(), now, limits)
        if feed is None:
            title = parsed.title if isinstance(parsed, ParsedFeed) and parsed.title else path.stem
            feed = Feed(
                id=feed_id, name=title, url=path.resolve().as_uri(), configured_url=path.resolve().as_uri(),
                outlet=outlet or title, region="62", enabled=False, verified=False,
                notes="Dibuat dari berkas feed tersimpan (waspada ingest).", error_count=0,
                poll_interval_seconds=3600, current_interval_seconds=3600,
            )
            session.add(feed)
            session.flush()
        attempt = FetchAttempt(feed_id=feed.id, started_at=now, source="file", url=path.resolve().as_uri(),
                               outcome="ok", warnings=[], bytes_received=len(body), raw_document_id=raw_id)
        session.add(attempt)
        session.flush()
        outcome = _store_or_refuse(session, feed, attempt, parsed, now, limits, str(path))
    note_new_articles(engine, outcome.n_new)
    return outcome


def _store_or_refuse(session: Session, feed: Feed, attempt: FetchAttempt, parsed: ParsedFeed | str, now: datetime,
                     limits: ParseSettings, label: str) -> FeedOutcome:
    """Store a parsed document under its attempt, or record on the attempt why the body was no feed."""
    if isinstance(parsed, str):
        attempt.outcome, attempt.error_kind, attempt.error_message = "error", "not_a_feed", parsed
        outcome = FeedOutcome(feed.id, "error", message=f"{label}: {parsed}")
    else:
        outcome = _store_parsed(session, feed, attempt, parsed, now, limits)
    attempt.finished_at = datetime.now(UTC)
    return outcome


def reprocess_raw(engine: Engine, since: datetime, limits: ParseSettings = ParseSettings(),
                  on_done: Callable[[FeedOutcome], None] | None = None) -> list[FeedOutcome]:
    """Parse and store again every raw document received since `since`, once per feed that received it.

    Items already stored are skipped as on any poll, so this is safe to repeat; it recovers what a
    parser fix or a failed store left out. Each document is one transaction and one attempt
    (source "reprocess").
    """
    with session_scope(engine) as session:
        pairs = session.execute(
            select(FetchAttempt.feed_id, FetchAttempt.raw_document_id)
            .where(FetchAttempt.raw_document_id.is_not(None), FetchAttempt.started_at >= since,
                   FetchAttempt.source != "reprocess")
            .group_by(FetchAttempt.feed_id, FetchAttempt.raw_document_id)
            .order_by(func.min(FetchAttempt.id))
        ).all()
    outcomes = []
    for feed_id, raw_id in pairs:
        outcome = _reprocess_one(engine, feed_id, cast(int, raw_id), limits)  # WHERE raw_document_id IS NOT NULL
        note_new_articles(engine, outcome.n_new)
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    return outcomes


def _reprocess_one(engine: Engine, feed_id: str, raw_id: int, limits: ParseSettings) -> FeedOutcome:
    now = datetime.now(UTC)
    try:
        with session_scope(engine) as session:
            feed, raw = session.get_one(Feed, feed_id), session.get_one(RawDocument, raw_id)
            # the items keep the time the body was received as their fetch time
            parsed = read_document(raw.body, raw.headers, raw.url, raw.received_at, limits)
            attempt = FetchAttempt(feed_id=feed_id, started_at=now, source="reprocess", url=raw.url, outcome="ok",
                                   warnings=[], bytes_received=len(raw.body), raw_document_id=raw_id)
            session.add(attempt)
            session.flush()
            return _store_or_refuse(session, feed, attempt, parsed, raw.received_at, limits,
                                    f"dokumen mentah #{raw_id}")
    except Exception as exc:  # noqa: BLE001 - one document's failure is reported, the others go on
        return FeedOutcome(feed_id, "error", message=f"dokumen mentah #{raw_id} gagal diproses ulang: "
                                                     f"{type(exc).__name__}: {exc}"[:1000])
