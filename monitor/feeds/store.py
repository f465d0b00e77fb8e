"""Store a parsed feed document: raw bytes once, each new item once, near-duplicates into story clusters.

A document is stored in a few set-wise steps, so its cost hardly grows with its number of items: one
query each for the item identities (GUID, canonical URL) and content hashes already stored, one for
the copy-cluster candidates of all new items, then bulk inserts. Only new items are sanitised and
hashed. A failing item is recorded and skipped, the others stored (see `store_document`).
"""
from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar, cast

import numpy as np
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.types import TypeEngine

from monitor.config import ParseSettings
from monitor.db.models import Article, ArticleBand, Feed, RawDocument, StoryCluster
from monitor.db.upsert import insert_new
from monitor.feeds import dedupe
from monitor.feeds.parse import EntryContent, ParsedEntry, ParsedFeed, entry_content, quote, raw_entry

ITEM_ERRORS = (SQLAlchemyError, ValueError)  # what fails one item; anything else fails the document
UNSTORED_ID = 2**62  # articles not inserted yet are known by UNSTORED_ID + their position in the document
ARTICLES = cast(Table, Article.__table__)
CLUSTERS = cast(Table, StoryCluster.__table__)
BANDS = cast(Table, ArticleBand.__table__)
Listed = TypeVar("Listed", str, int)  # the values of one `_among` parameter: text or integer keys


@dataclass
class StoreCounts:
    """What storing one document did."""

    n_entries: int = 0
    n_new: int = 0
    n_failed: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class NewItem:
    """An item not stored yet, sanitised and hashed, on its way into the database."""

    entry: ParsedEntry
    canonical: str
    values: dict  # the article row
    seen_at: datetime
    hashvalues: np.ndarray | None  # its MinHash, None for an item without words
    bands: list[int]  # its LSH band keys (none for an item without words)


@dataclass(eq=False)  # compared (and hashed) by identity: each is one cluster
class ClusterState:
    """A copy cluster as this document's items see it: stored (with its id) or started here (id once written)."""

    first_seen_at: datetime
    last_seen_at: datetime
    cluster_id: int | None = None
    added: int = 0
    follows: ClusterState | None = None  # the closed cluster a new one follows

    def is_open_to(self, seen_at: datetime, window: timedelta) -> bool:
        return self.first_seen_at - window <= seen_at <= self.last_seen_at + window


def body_digest(body: bytes) -> str:
    """The sha256 a received body is kept under (`raw_documents.sha256`)."""
    return hashlib.sha256(body).hexdigest()


def store_raw_document(session: Session, url: str, headers: dict, body: bytes, received_at: datetime,
                       kept_sha256: str | None = None) -> int:
    """Keep the exact bytes received, once per sha256 (also when two processes receive them at once); their id.

    Bytes with the digest `kept_sha256` (probably kept already, e.g. the feed's latest) are looked up first,
    any others inserted first: one statement either way when the guess is right."""
    digest = body_digest(body)
    query = select(RawDocument.id).where(RawDocument.sha256 == digest)
    existing = session.scalar(query) if digest == kept_sha256 else None
    if existing is not None:
        return existing
    inserted = insert_new(session, RawDocument, {"sha256": digest, "url": url, "headers": dict(headers), "body": body,
                                                 "received_at": received_at}, ["sha256"])
    return inserted if inserted is not None else session.execute(query).scalar_one()  # kept before, or by another


def _among(dialect_name: str, column: InstrumentedAttribute, name: str,
           item_type: type[TypeEngine] = String) -> ColumnElement[bool]:
    """`column IN <list parameter name>` as one parameter, so the statement is the same whatever the number of
    values (compiled once, nothing to expand per call): `= ANY(array)` on PostgreSQL, `IN (SELECT value FROM
    json_each(?))` on SQLite (both search the column's index). Pass the values through `_listed`."""
    if dialect_name == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(item_type)))
    listed = func.json_each(bindparam(name, type_=String)).table_valued("value")
    return column.in_(select(listed.c.value))


def _listed(dialect_name: str, values: Iterable[Listed]) -> list[Listed] | str:
    """Values for an `_among` parameter: an array on PostgreSQL, a JSON list on SQLite."""
    ordered = sorted(set(values))
    return ordered if dialect_name == "postgresql" else json.dumps(ordered)


@dataclass(frozen=True)
class _Lookups:
    """The document's lookup statements for one dialect, built once: building and keying a statement for
    every document cost more than running it."""

    identities: Select
    content: Select
    candidates: Select


@functools.cache
def _lookups(dialect_name: str) -> _Lookups:
    same_outlet_feeds = select(Feed.id).where(Feed.outlet == bindparam("outlet"))
    return _Lookups(
        identities=select(Article.feed_id, Article.guid, Article.canonical_url).where(
            or_(and_(Article.feed_id == bindparam("feed_id"), _among(dialect_name, Article.guid, "guids")),
                _among(dialect_name, Article.canonical_url, "canonicals"))),
        content=select(Article.content_hash).where(
            _among(dialect_name, Article.content_hash, "hashes"), Article.feed_id.in_(same_outlet_feeds)),
        # only the columns needed: whole rows would drag the raw entry JSON along for every candidate
        candidates=select(ArticleBand.band_key, Article.id, StoryCluster.id, Article.minhash,
                          StoryCluster.first_seen_at, StoryCluster.last_seen_at)
        .join(Article, Article.id == ArticleBand.article_id)
        .join(StoryCluster, StoryCluster.id == Article.cluster_id)
        .where(_among(dialect_name, ArticleBand.band_key, "bands", BigInteger), Article.minhash.is_not(None)),
    )


def known_identities(session: Session, feed: Feed, guids: Iterable[str],
                     canonicals: Iterable[str]) -> tuple[set[str], set[str]]:
    """Of these GUIDs and canonical URLs, (the GUIDs stored in this feed, the canonical URLs stored anywhere)."""
    guids, canonicals = set(guids), set(canonicals)
    known_guids: set[str] = set()
    known_urls: set[str] = set()
    dialect_name = session.get_bind().dialect.name
    rows = session.execute(_lookups(dialect_name).identities, {
        "feed_id": feed.id, "guids": _listed(dialect_name, guids), "canonicals": _listed(dialect_name, canonicals)})
    for feed_id, guid, canonical in rows:
        if feed_id == feed.id and guid in guids:
            known_guids.add(guid)
        if canonical in canonicals:
            known_urls.add(canonical)
    return known_guids, known_urls


def known_content(session: Session, feed: Feed, hashes: Iterable[str]) -> set[str]:
    """Of these content hashes, those of items stored from this outlet (under another GUID or URL)."""
    dialect_name = session.get_bind().dialect.name
    return set(session.scalars(_lookups(dialect_name).content,
                               {"outlet": feed.outlet, "hashes": _listed(dialect_name, hashes)}))


def cluster_candidates(session: Session, band_keys: Iterable[int]
                       ) -> tuple[dict[int, list[int]], dict[int, tuple[ClusterState, np.ndarray]]]:
    """Stored articles sharing any of these band keys, in one query (a search of the band table's key).

    Returns (band key -> article ids, article id -> (its cluster, its MinHash values)); similarity is
    verified in Python.
    """
    by_band: dict[int, list[int]] = {}
    articles: dict[int, tuple[ClusterState, np.ndarray]] = {}
    clusters: dict[int, ClusterState] = {}
    dialect_name = session.get_bind().dialect.name
    rows = session.execute(_lookups(dialect_name).candidates, {"bands": _listed(dialect_name, band_keys)})
    for band_key, article_id, cluster_id, minhash, first_seen, last_seen in rows:
        by_band.setdefault(band_key, []).append(article_id)
        cluster = clusters.setdefault(cluster_id, ClusterState(first_seen, last_seen, cluster_id))
        articles[article_id] = (cluster, dedupe.from_bytes(cast(bytes, minhash)))  # WHERE minhash IS NOT NULL
    return by_band, articles


def store_document(
    session: Session,
    feed: Feed,
    parsed: ParsedFeed,
    raw_document_id: int | None,
    attempt_id: Callable[[], int | None],
    fetched_at: datetime,
    limits: ParseSettings = ParseSettings(),
) -> StoreCounts:
    """Store every new entry (naming the raw document and the attempt, whose id `attempt_id()` gives only when
    there are new entries); a failing entry is recorded and skipped.

    Identity (GUID in this feed, canonical URL anywhere) is checked for all entries at once before any
    markup is sanitised, so a document whose items are all stored costs one query; only new items pay
    for sanitising, the content-hash check (same text from the same outlet) and MinHash.
    """
    counts = StoreCounts(n_entries=len(parsed.entries), warnings=list(parsed.warnings))
    # an item without a link is known by its GUID, which is only unique within its feed
    identities = [(entry, entry.canonical_url or f"guid:{feed.id}:{entry.guid}") for entry in parsed.entries]
    known_guids, known_urls = known_identities(session, feed, (e.guid for e, _ in identities),
                                               (c for _, c in identities))
    fresh = []
    for entry, canonical in identities:
        if entry.guid in known_guids or canonical in known_urls:
            continue
        known_guids.add(entry.guid)  # a later item of this document with the same identity is a repeat
        known_urls.add(canonical)
        fresh.append((entry, canonical))
    if not fresh:
        return counts
    provenance = {"feed_id": feed.id, "fetched_at": fetched_at, "raw_document_id": raw_document_id,
                  "fetch_attempt_id": attempt_id()}
    items = _prepared(session, feed, fresh, provenance, limits, counts)
    if items:
        counts.n_new += _store_isolated(session, feed, items, limits, counts)
    return counts


def _prepared(session: Session, feed: Feed, fresh: list[tuple[ParsedEntry, str]], provenance: dict,
              limits: ParseSettings, counts: StoreCounts) -> list[NewItem]:
    """The new items sanitised, content-checked and hashed (a failing one recorded and dropped)."""
    contents = []
    for entry, canonical in fresh:
        try:
            content = entry_content(entry, limits)
        except ITEM_ERRORS as exc:
            _fail(counts, entry, exc)
            continue
        counts.warnings.extend(content.warnings)
        if not (entry.url or content.title or content.summary_text):
            counts.warnings.append(f"item {quote(entry.guid)} kosong dilewati")
            continue
        contents.append((entry, canonical, content))
    # an item without text is told apart by GUID and URL only: the hash of no text is shared by every such item
    seen_hashes = known_content(session, feed, (c.content_hash for _, _, c in contents if c.content_hash))
    unseen = []
    for entry, canonical, content in contents:
        if content.content_hash is not None:
            if content.content_hash in seen_hashes:
                continue
            seen_hashes.add(content.content_hash)  # the same text twice in one document is stored once
        unseen.append((entry, canonical, content))
    hashed = minhashes([content for _, _, content in unseen])
    items = []
    for (entry, canonical, content), (minhash, bands) in zip(unseen, hashed, strict=True):
        try:
            items.append(_new_item(entry, canonical, content, minhash, bands, provenance, limits))
        except ITEM_ERRORS as exc:
            _fail(counts, entry, exc)
    return items


def minhashes(contents: Sequence[EntryContent]) -> list[tuple[np.ndarray | None, list[int]]]:
    """Each item's MinHash of its title and text (None without words) and its LSH band keys, in one numpy pass."""
    signatures = dedupe.signatures([f"{content.title}\n{content.summary_text}" for content in contents])
    with_words = [minhash for minhash in signatures if minhash is not None]
    keys = iter(dedupe.band_keys(np.stack(with_words)).tolist() if with_words else [])
    return [(minhash, next(keys) if minhash is not None else []) for minhash in signatures]


def _new_item(entry: ParsedEntry, canonical: str, content: EntryContent, minhash: np.ndarray | None,
              bands: list[int], provenance: dict, limits: ParseSettings) -> NewItem:
    values = dict(
        provenance, guid=entry.guid, url=entry.url, canonical_url=canonical, title=content.title,
        summary_html=content.summary_html, summary_text=content.summary_text, author=entry.author,
        language=entry.language, published_at=entry.published_at, content_hash=content.content_hash or "",
        raw_entry=raw_entry(entry, limits.max_item_html_chars),
        minhash=dedupe.to_bytes(minhash) if minhash is not None else None,
    )
    return NewItem(entry, canonical, values, entry.published_at or provenance["fetched_at"], minhash, bands)


def _fail(counts: StoreCounts, entry: ParsedEntry, exc: Exception) -> None:
    counts.n_failed += 1
    counts.warnings.append(f"item {entry.url or entry.guid} gagal disimpan: {type(exc).__name__}: {exc}"[:500])


def _store_isolated(session: Session, feed: Feed, items: list[NewItem], limits: ParseSettings,
                    counts: StoreCounts) -> int:
    """Store the items together in a savepoint; if that fails, each in its own, so one bad item fails alone."""
    window = timedelta(days=limits.cluster_window_days)
    try:
        return _store_together(session, feed, items, window)
    except ITEM_ERRORS as exc:
        if len(items) == 1:
            _fail(counts, items[0].entry, exc)
            return 0
    stored = 0
    for item in items:
        try:
            stored += _store_together(session, feed, [item], window)
        except ITEM_ERRORS as exc:
            _fail(counts, item.entry, exc)
    return stored


class AlreadyStored(Exception):
    """Another process stored some of the items a moment ago (after the identity check): their canonical URLs."""

    def __init__(self, canonicals: set[str]):
        super().__init__(f"{len(canonicals)} item baru saja disimpan proses lain")
        self.canonicals = canonicals


def _store_together(session: Session, feed: Feed, items: list[NewItem], window: timedelta) -> int:
    """Store the items in a savepoint; how many were stored.

    An item another process stored a moment ago (same URL, or same GUID in this feed) is left out
    exactly as if the identity check had found it: the savepoint is rolled back and the others are
    stored again without it (their clusters were counted with it).
    """
    while items:
        try:
            with session.begin_nested():
                return store_items(session, feed, items, window)
        except AlreadyStored as raced:
            items = [item for item in items if item.canonical not in raced.canonicals]
    return 0


def store_items(session: Session, feed: Feed, items: list[NewItem], window: timedelta) -> int:
    """Insert new items with their copy clusters and band hashes in bulk; how many were inserted (all of them).

    Clusters are assigned and written first, so each article is inserted once with its cluster (an
    update afterwards would write every index of the row twice). Raises AlreadyStored when the insert
    (ON CONFLICT DO NOTHING) skipped items another process stored meanwhile.
    """
    by_band, stored = cluster_candidates(session, (h for item in items for h in item.bands))
    # stand-in ids until the rows exist: above every stored id and in document order, as the real ones will be
    provisional = [(UNSTORED_ID + position, item) for position, item in enumerate(items)]
    assignments = assign_clusters(provisional, by_band, stored, window)
    write_clusters(session, list(dict.fromkeys(assignments.values())))
    for key, item in provisional:
        item.values["cluster_id"] = assignments[key].cluster_id
    engine_name = session.get_bind().dialect.name
    dialect = postgresql if engine_name == "postgresql" else sqlite
    # a Core statement on the table, executemany (one compiled statement, cached): the ORM's bulk paths
    # cost more than the database work here
    statement = dialect.insert(ARTICLES).on_conflict_do_nothing().returning(ARTICLES.c.id, ARTICLES.c.canonical_url)
    inserted = {canonical: article_id
                for article_id, canonical in session.execute(statement, [item.values for item in items])}
    skipped = {item.canonical for item in items} - inserted.keys()
    if skipped:
        raise AlreadyStored(skipped)
    _insert_bands(session, engine_name, [(band_key, inserted[item.canonical]) for item in items
                                         for band_key in item.bands])
    return len(items)


def _insert_bands(session: Session, engine_name: str, rows: list[tuple[int, int]]) -> None:
    """Insert (band key, article id) rows, in key order so the table's key is walked forward.

    32 rows per article, so past SQLAlchemy's per-row parameter handling: on SQLite the driver's
    executemany, on PostgreSQL one statement reading two arrays (unnest). Two bands of one article with
    the same key (a 64-bit collision) are one row: the key finds the article either way.
    """
    if not rows:
        return
    rows.sort()
    columns = f"{BANDS.c.band_key.name}, {BANDS.c.article_id.name}"
    connection = session.connection()
    if engine_name == "postgresql":
        keys, article_ids = (list(column) for column in zip(*rows, strict=True))
        connection.exec_driver_sql(
            f"INSERT INTO {BANDS.name} ({columns}) SELECT * FROM unnest(%s::bigint[], %s::integer[]) "
            "ON CONFLICT DO NOTHING", (keys, article_ids))
    else:
        connection.exec_driver_sql(f"INSERT OR IGNORE INTO {BANDS.name} ({columns}) VALUES (?, ?)", rows)


def assign_clusters(new: list[tuple[int, NewItem]], by_band: dict[int, list[int]],
                    stored: dict[int, tuple[ClusterState, np.ndarray]], window: timedelta) -> dict[int, ClusterState]:
    """Each new article's copy cluster, in document order (`by_band` and `stored` gain the new articles).

    An article joins the open cluster of its nearest near-duplicate (stored, or earlier in this
    document); a cluster is open to copies seen within `window` of its reports. A copy of a closed
    cluster starts a new cluster that `follows` it: the story returned, and is a new event.
    """
    assignments: dict[int, ClusterState] = {}
    for article_id, item in new:
        cluster, closed = _nearest(item, by_band, stored, window)
        if cluster is None:
            cluster = ClusterState(item.seen_at, item.seen_at, follows=closed)
        cluster.added += 1
        cluster.last_seen_at = max(cluster.last_seen_at, item.seen_at)
        cluster.first_seen_at = min(cluster.first_seen_at, item.seen_at)
        assignments[article_id] = cluster
        if item.hashvalues is not None:
            stored[article_id] = (cluster, item.hashvalues)
            for band_key in item.bands:
                by_band.setdefault(band_key, []).append(article_id)
    return assignments


def _nearest(item: NewItem, by_band: dict[int, list[int]], stored: dict[int, tuple[ClusterState, np.ndarray]],
             window: timedelta) -> tuple[ClusterState | None, ClusterState | None]:
    """(the cluster of the nearest copy in an open cluster, else None; the nearest copy's closed cluster, else None)."""
    best: tuple[float, ClusterState] | None = None
    earlier: tuple[float, ClusterState] | None = None
    if item.hashvalues is None:
        return None, None
    for candidate_id in sorted({article_id for h in item.bands for article_id in by_band.get(h, ())}):
        cluster, hashvalues = stored[candidate_id]
        score = dedupe.similarity(item.hashvalues, hashvalues)
        if score < dedupe.SIMILARITY_THRESHOLD:
            continue
        if cluster.is_open_to(item.seen_at, window):
            if best is None or score > best[0]:
                best = (score, cluster)
        elif earlier is None or score > earlier[0]:
            earlier = (score, cluster)
    if best is not None:
        return best[1], None
    return None, earlier[1] if earlier else None


def write_clusters(session: Session, clusters: list[ClusterState]) -> None:
    """Create the new clusters (in document order, so each gets its id) and grow the stored ones."""
    started = [c for c in clusters if c.cluster_id is None]
    if started:
        rows = [{"first_seen_at": c.first_seen_at, "last_seen_at": c.last_seen_at, "size": c.added,
                 "follows_cluster_id": c.follows.cluster_id if c.follows else None} for c in started]
        ids = _inserted_ids(session, rows)
        for cluster, cluster_id in zip(started, ids, strict=True):
            cluster.cluster_id = cluster_id
        # a cluster following one started earlier in this document learns its id only now (rare)
        late = [{"id": c.cluster_id, "follows_cluster_id": c.follows.cluster_id} for c in started
                if c.follows is not None and c.follows in started]
        if late:
            session.execute(update(StoryCluster), late)
    grown = [{"cid": c.cluster_id, "size_added": c.added, "first": c.first_seen_at, "last": c.last_seen_at}
             for c in clusters if c not in started]
    if grown:
        session.execute(
            update(CLUSTERS).where(CLUSTERS.c.id == bindparam("cid"))
            .values(size=CLUSTERS.c.size + bindparam("size_added"), first_seen_at=bindparam("first"),
                    last_seen_at=bindparam("last")),
            grown,
        )


def _inserted_ids(session: Session, rows: list[dict]) -> list[int]:
    """Insert story clusters in one statement; their ids in the order of `rows`.

    PostgreSQL: SQLAlchemy's ordered RETURNING. SQLite gives each row of one INSERT the next rowid (the
    largest + 1) in VALUES order, and the transaction holds the write lock meanwhile, so the returned ids
    sorted are the rows in order; SQLAlchemy cannot know this and would send one statement per row.
    """
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(insert(StoryCluster).returning(StoryCluster.id, sort_by_parameter_order=True),
                                    rows))
    return sorted(session.scalars(insert(StoryCluster).returning(StoryCluster.id), rows))
