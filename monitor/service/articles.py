"""Stored articles for export (CLI now, the JSON API later): plain records, streamed in id order."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import Article

EXPORT_BATCH = 500


def iso_utc(value: datetime | None) -> str | None:
    """A time as UTC ISO 8601 with a Z (None stays None): the form of every time in exports and the JSON API."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def article_record(article: Article) -> dict:
    """The export record of an article (times in UTC ISO 8601)."""
    return {
        "id": article.id, "feed_id": article.feed_id, "url": article.url, "title": article.title,
        "summary": article.summary_text, "published": iso_utc(article.published_at),
        "fetched": iso_utc(article.fetched_at), "story_cluster_id": article.cluster_id,
    }


def export_articles(session: Session) -> Iterator[dict]:
    """Every stored article as an export record, in id order, without holding them all in memory."""
    query = select(Article).order_by(Article.id).execution_options(yield_per=EXPORT_BATCH)
    for article in session.scalars(query):
        yield article_record(article)
