"""Coverage per kabupaten: how many active sources watch it and when news about it last arrived,
so that a silent kabupaten is not mistaken for a calm one."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from classifiers.gazetteer import Gazetteer
from monitor.db.models import Article, ArticleClassification, Feed

PROVINCE = "62"


@dataclass(frozen=True)
class Coverage:
    """One kabupaten's watch."""

    code: str
    name: str
    own_sources: int  # enabled feeds whose region is this kabupaten
    province_sources: int  # enabled province-wide feeds, which also report on it
    last_item_at: datetime | None  # newest article tagged with this kabupaten


def kabupaten_names() -> dict[str, str]:
    """Kemendagri code -> name of the 14 kabupaten/kota, from the packaged gazetteer."""
    return {row["code"]: row["name"] for row in Gazetteer.load().kabupaten_rows}


def coverage(session: Session) -> list[Coverage]:
    """Coverage of every kabupaten/kota, in code order."""
    sources = dict(session.execute(
        select(Feed.region, func.count()).where(Feed.enabled.is_(True)).group_by(Feed.region)
    ).all())
    last_seen: dict[str, datetime] = {}
    rows = session.execute(
        select(ArticleClassification.kabupaten, func.coalesce(Article.published_at, Article.fetched_at))
        .join(Article, Article.id == ArticleClassification.article_id)
    )
    for kabupaten, seen in rows:
        for code in kabupaten:
            if code not in last_seen or seen > last_seen[code]:
                last_seen[code] = seen
    return [
        Coverage(code, name, sources.get(code, 0), sources.get(PROVINCE, 0), last_seen.get(code))
        for code, name in sorted(kabupaten_names().items())
    ]
