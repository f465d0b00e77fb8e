"""Stories for the JSON API: each story with the copies of it that outlets published.

One function, so that when stories give way to events (several stories of one incident) only this
module changes and the API keeps its shape.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import Alert, Article, Feed, StoryCluster, present
from monitor.service.paging import Slice, keyset_slice


@dataclass(frozen=True)
class StoryReport:
    """One outlet's copy of the story."""

    id: int
    feed_id: str
    outlet: str
    url: str
    title: str
    published_at: datetime | None


@dataclass(frozen=True)
class Story:
    """A story (copies of one news item across outlets), its alert if it raised one, and its reports."""

    id: int
    first_seen_at: datetime
    last_seen_at: datetime
    alert_id: int | None
    reports: list[StoryReport]


def story_slice(session: Session, cursor: str | None = None, limit: int = 50) -> Slice[Story]:
    """Stories newest first (by when first seen), after `cursor` (raises CursorError when it is not one of ours),
    each with its reports in publication order; three queries whatever the number of stories."""
    def convert(clusters: list[StoryCluster]) -> list[Story]:
        ids = [cluster.id for cluster in clusters]
        alert_of = dict(session.execute(select(Alert.cluster_id, Alert.id).where(Alert.cluster_id.in_(ids))).all())
        reports: dict[int, list[StoryReport]] = {cluster_id: [] for cluster_id in ids}
        for cluster_id, article_id, feed_id, outlet, url, title, published_at in session.execute(
                select(Article.cluster_id, Article.id, Article.feed_id, Feed.outlet, Article.url, Article.title,
                       Article.published_at).join(Feed, Feed.id == Article.feed_id)
                .where(Article.cluster_id.in_(ids)).order_by(Article.published_at, Article.id)):
            reports[present(cluster_id)].append(StoryReport(article_id, feed_id, outlet, url, title, published_at))
        return [Story(c.id, c.first_seen_at, c.last_seen_at, alert_of.get(c.id), reports[c.id]) for c in clusters]

    return keyset_slice(session, select(StoryCluster), StoryCluster.first_seen_at, StoryCluster.id, cursor, limit,
                        convert)
