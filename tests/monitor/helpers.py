"""Small helpers shared by the monitor tests (plain functions, no fixtures)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlalchemy import func, select

from monitor.config import Settings
from monitor.db.models import Article, Feed, FetchAttempt, RawDocument, StoryCluster
from monitor.db.session import session_scope
from monitor.feeds.registry import FeedSource, sync_feeds
from monitor.pipeline import run_fetch_cycle

FEED_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"


def fixture_bytes(name: str) -> bytes:
    return (FEED_FIXTURES / name).read_bytes()


def add_feed(engine, feed_id: str, url: str, outlet: str | None = None, interval_minutes: int = 30, **kwargs) -> None:
    """Register one feed the way feeds.yaml would (without touching other feeds)."""
    source = FeedSource(id=feed_id, name=f"Uji {feed_id}", url=url, outlet=outlet or f"Outlet {feed_id}",
                        region=kwargs.pop("region", "62"), interval_minutes=interval_minutes, **kwargs)
    with session_scope(engine) as session:
        sync_feeds(session, [source], disable_missing=False)


def cycle(engine, settings: Settings, **kwargs):
    """One fetch cycle over every enabled feed (due or not)."""
    kwargs.setdefault("only_due", False)
    return run_fetch_cycle(engine, settings, **kwargs)


def with_fetch(settings: Settings, **changes) -> Settings:
    return dataclasses.replace(settings, fetch=dataclasses.replace(settings.fetch, **changes))


def with_poll(settings: Settings, **changes) -> Settings:
    return dataclasses.replace(settings, poll=dataclasses.replace(settings.poll, **changes))


def get_feed(engine, feed_id: str) -> Feed:
    with session_scope(engine) as session:
        return session.get(Feed, feed_id)


def articles(engine, feed_id: str | None = None) -> list[Article]:
    with session_scope(engine) as session:
        query = select(Article).order_by(Article.id)
        if feed_id is not None:
            query = query.where(Article.feed_id == feed_id)
        return list(session.scalars(query))


def attempts(engine, feed_id: str) -> list[FetchAttempt]:
    with session_scope(engine) as session:
        return list(session.scalars(select(FetchAttempt).where(FetchAttempt.feed_id == feed_id).order_by(FetchAttempt.id)))


def count(engine, model) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def counts(engine) -> dict[str, int]:
    return {m.__tablename__: count(engine, m) for m in (Article, RawDocument, StoryCluster, FetchAttempt)}


def feed_state(feed: Feed) -> dict:
    """The polling and health columns of a feed, for before/after comparisons."""
    names = ("url", "enabled", "etag", "last_modified", "current_interval_seconds", "new_items_per_hour",
             "next_check_at", "last_checked_at", "last_success_at", "last_error_at", "last_error",
             "error_count", "disabled_reason")
    return {name: getattr(feed, name) for name in names}


def rss(items: list[dict], title: str = "Kabar Kalteng", language: str = "id", extra_channel: str = "") -> str:
    """A small RSS 2.0 document from item dicts (title, link, guid, description, pubDate)."""
    parts = []
    for item in items:
        fields = "".join(
            f"<{key}>{value}</{key}>" if key != "description" else f"<description><![CDATA[{value}]]></description>"
            for key, value in item.items()
        )
        parts.append(f"<item>{fields}</item>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://kalteng.example.id/</link><language>{language}</language>{extra_channel}"
        + "".join(parts)
        + "</channel></rss>"
    )


def add_example_plans(session) -> None:
    """A Kotim 2026 plan with a plantation action, and a province plan with a labour action."""
    from monitor.db.models import Plan, PlanAction

    kotim = Plan(year=2026, region_code="62.02", title="CONTOH RAD-PKS Kotim 2026", status="berlaku", is_example=True)
    kotim.actions.append(PlanAction(code="KOTIM-1", bidang="pencegahan", program="Pemetaan potensi konflik",
                                    kegiatan="Pemetaan dan mediasi konflik perkebunan sawit", categories=["perkebunan", "lahan"],
                                    places=["62.02"], keywords=["plasma", "HGU"]))
    province = Plan(year=2026, region_code="62", title="CONTOH RAD-PKS Provinsi 2026", status="berlaku", is_example=True)
    province.actions.append(PlanAction(code="PROV-7", bidang="pencegahan", program="Pencegahan konflik",
                                       kegiatan="Pengawasan hubungan industrial", categories=["ketenagakerjaan"]))
    session.add_all([kotim, province])
