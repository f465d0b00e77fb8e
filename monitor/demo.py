"""`waspada demo`: the example plans and bundled example feeds through the whole flow, offline."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine, func, select

from monitor.db.models import Article, present
from monitor.db.session import session_scope
from monitor.pipeline import FeedOutcome
from monitor.plans import example_plan_file
from monitor.plans.store import ImportOutcome, import_plan_files
from monitor.service.flow import StagePass, ingest_paths
from monitor.timezones import WIB


def demo_feeds_folder() -> Path:
    """The bundled example feed files (fictional items written for the demo)."""
    return Path(str(resources.files("monitor").joinpath("data", "demo", "feeds")))


@dataclass(frozen=True)
class DemoResult:
    """What the demo loaded and produced."""

    plans: list[ImportOutcome]
    feeds: list[FeedOutcome]
    stage: StagePass
    first_day: date
    last_day: date


def run_demo(engine: Engine) -> DemoResult:
    """Import the example plans, ingest the example feeds, then classify, alert and level their period to today."""
    plans = import_plan_files(engine, [example_plan_file()])
    report = ingest_paths(engine, [demo_feeds_folder()])
    with session_scope(engine) as session:
        first, last = session.execute(select(func.min(Article.published_at), func.max(Article.published_at))
                                      .where(Article.feed_id.like("file-contoh%"))).one()
    # the demo feeds always bring articles, so the stage ran and their days are known
    return DemoResult(plans, report.feeds, present(report.stage), present(first).astimezone(WIB).date(),
                      present(last).astimezone(WIB).date())
