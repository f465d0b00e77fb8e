"""Store a parsed feed document: raw bytes once, each new item once, near-duplicates into story clusters."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from monitor.config import ParseSettings
from monitor.db.upsert import insert_new
from monitor.db.models import Article, ArticleBand, Feed, FetchAttempt, RawDocument, StoryCluster
from monitor.feeds import dedupe
from monitor.feeds.parse import ParsedEntry, ParsedFeed, entry_content, quote


@dataclass
class StoreCounts:
    """What storing one document did."""

    n_entries: int = 0
    n_new: int = 0
    n_failed: int = 0
    warnings: list[str] = field(default_factory=list)


def store_raw_document(session: Session, url: str, headers: dict, body: bytes, received_at: datetime) -> RawDocument:
    """The exact bytes received, stored once per sha256 (also when two processes receive them at once)."""
    digest = hashlib.sha256(body).hexdigest()
    existing = session.scalar(select(RawDocument).where(RawDocument.sha256 == digest))
    if existing is not None:
        return existing
    insert_new(session, RawDocument, {"sha256": digest, "url": url, "headers": dict(headers), "body": body,
                                      "received_at": received_at}, ["sha256"])
    return session.scalar(select(RawDocument).where(RawDocument.sha256 == digest))


def is_known(session: Session, feed: Feed, guid: str, canonical_url: str) -> bool:
    """Seen before by identity: same GUID in this feed, or same canonical URL anywhere."""
    query = select(Article.id).where(
        or_(and_(Article.feed_id == feed.id, Article.guid == guid), Article.canonical_url == canonical_url)
    ).limit(1)
    return session.scalar(query) is not None


def is_known_content(session: Session, feed: Feed, content_hash: str) -> bool:
    """Seen before by content: the same text (and title) from this outlet, under another GUID or URL."""
    same_outlet_feeds = select(Feed.id).where(Feed.outlet == feed.outlet)
    query = select(Article.id).where(
        Article.content_hash == content_hash, Article.feed_id.in_(same_outlet_feeds)
    ).limit(1)
    return session.scalar(query) is not None


def assign_cluster(session: Session, article: Article, seen_at: datetime,
                   window: timedelta = timedelta(days=ParseSettings.cluster_window_days)) -> StoryCluster:
    """Put an article into the story cluster of its nearest near-duplicate, or into a new cluster.

    A cluster is open to copies seen within `window` of its reports. A copy of a cluster that is
    closed starts a new cluster that `follows` it: the story returned, and is a new event.
    """
    minhash = dedupe.signature(f"{article.title}\n{article.summary_text}")
    best: tuple[float, int] | None = None  # (similarity, cluster id) of the nearest copy in an open cluster
    earlier: tuple[float, int] | None = None  # ... in a closed cluster
    if minhash is not None:
        article.minhash = dedupe.to_bytes(minhash)
        bands = dedupe.band_hashes(minhash)
        pairs = list(enumerate(bands))
        # band hashes are SHA-1 of different MinHash slices, so matching on the hash alone (indexed)
        # finds the same candidates as matching (band, hash); similarity is verified below anyway
        candidate_ids = select(ArticleBand.article_id).where(ArticleBand.band_hash.in_(bands))
        # only the columns needed: whole rows would drag the raw entry JSON along for every candidate
        candidates = session.execute(
            select(Article.id, Article.cluster_id, Article.minhash, StoryCluster.first_seen_at, StoryCluster.last_seen_at)
            .join(StoryCluster, StoryCluster.id == Article.cluster_id)
            .where(Article.id.in_(candidate_ids), Article.id != article.id, Article.minhash.is_not(None))
            .order_by(Article.id)
        ).all()
        for _candidate_id, cluster_id, stored, first_seen, last_seen in candidates:
            score = dedupe.similarity(minhash, dedupe.from_bytes(stored))
            if score < dedupe.SIMILARITY_THRESHOLD:
                continue
            is_open = first_seen - window <= seen_at <= last_seen + window
            if is_open and (best is None or score > best[0]):
                best = (score, cluster_id)
            elif not is_open and (earlier is None or score > earlier[0]):
                earlier = (score, cluster_id)
        session.execute(insert(ArticleBand), [{"article_id": article.id, "band": i, "band_hash": h} for i, h in pairs])
    if best is not None:
        cluster = session.get(StoryCluster, best[1])
        cluster.size += 1
        cluster.last_seen_at = max(cluster.last_seen_at, seen_at)
        cluster.first_seen_at = min(cluster.first_seen_at, seen_at)
    else:
        cluster = StoryCluster(first_seen_at=seen_at, last_seen_at=seen_at, size=1,
                               follows_cluster_id=earlier[1] if earlier else None)
        session.add(cluster)
        session.flush()
    article.cluster_id = cluster.id
    return cluster


def store_document(
    session: Session,
    feed: Feed,
    parsed: ParsedFeed,
    raw: RawDocument | None,
    attempt: FetchAttempt | None,
    fetched_at: datetime,
    limits: ParseSettings = ParseSettings(),
) -> StoreCounts:
    """Store every new entry; one failing entry is recorded and skipped, the others are kept."""
    counts = StoreCounts(n_entries=len(parsed.entries), warnings=list(parsed.warnings))
    for entry in parsed.entries:
        try:
            with session.begin_nested():
                counts.n_new += _store_entry(session, feed, entry, raw, attempt, fetched_at, limits, counts.warnings)
        except (SQLAlchemyError, ValueError) as exc:
            counts.n_failed += 1
            counts.warnings.append(f"item {entry.url or entry.guid} gagal disimpan: {type(exc).__name__}: {exc}"[:500])
    return counts


def _store_entry(session: Session, feed: Feed, entry: ParsedEntry, raw: RawDocument | None,
                 attempt: FetchAttempt | None, fetched_at: datetime, limits: ParseSettings, warnings: list[str]) -> int:
    """Store one entry unless it is known; 1 when stored, else 0.

    Identity (GUID, canonical URL) is checked before the markup is sanitised, so items already stored
    cost one query on every later poll; only new items pay for sanitising and the content-hash check.
    """
    # an item without a link is known by its GUID, which is only unique within its feed
    canonical = entry.canonical_url or f"guid:{feed.id}:{entry.guid}"
    if is_known(session, feed, entry.guid, canonical):
        return 0
    content = entry_content(entry, limits)
    warnings.extend(content.warnings)
    if not (entry.url or content.title or content.summary_text):
        warnings.append(f"item {quote(entry.guid)} kosong dilewati")
        return 0
    # an item without text is told apart by GUID and URL only: the hash of no text is shared by every such item
    if content.content_hash is not None and is_known_content(session, feed, content.content_hash):
        return 0
    article_id = insert_new(session, Article, dict(
        feed_id=feed.id,
        guid=entry.guid,
        url=entry.url,
        canonical_url=canonical,
        title=content.title,
        summary_html=content.summary_html,
        summary_text=content.summary_text,
        author=entry.author,
        language=entry.language,
        published_at=entry.published_at,
        fetched_at=fetched_at,
        content_hash=content.content_hash or "",
        raw_entry=entry.raw,
        raw_document_id=raw.id if raw else None,
        fetch_attempt_id=attempt.id if attempt else None,
    ))
    if article_id is None:  # another process stored the same item (same URL, or same GUID in this feed) a moment ago
        return 0
    article = session.get(Article, article_id)
    assign_cluster(session, article, entry.published_at or fetched_at, timedelta(days=limits.cluster_window_days))
    session.flush()
    return 1
