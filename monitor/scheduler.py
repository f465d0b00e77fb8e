"""The monitor process: APScheduler runs the due feeds every minute (and, later, the daily jobs)."""
from __future__ import annotations

import logging

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from monitor.config import Settings
from monitor.pipeline import run_fetch_cycle

log = logging.getLogger("waspada.scheduler")
CHECK_EVERY_SECONDS = 60


def fetch_due_feeds(engine: Engine, settings: Settings) -> None:
    """One scheduler tick: fetch the feeds whose next check has come."""
    outcomes = run_fetch_cycle(engine, settings, only_due=True)
    if any(o.n_new for o in outcomes):
        from monitor.alerts.stage import process

        summary = process(engine)
        log.info("deteksi dini: %d diklasifikasi, %d gagal diklasifikasi, %d peringatan baru", summary.classified,
                 summary.failed, summary.alerts.created)
    if outcomes:
        new = sum(o.n_new for o in outcomes)
        failed = sum(1 for o in outcomes if o.outcome not in ("ok", "not_modified"))
        log.info("siklus: %d feed, %d item baru, %d gagal", len(outcomes), new, failed)


def recompute_recent_levels(engine: Engine) -> None:
    """Daily job: levels of the last days, so a quiet day still steps a raised level down."""
    from datetime import timedelta

    from monitor.alerts.levels import compute_levels
    from monitor.alerts.stage import RECENT_DAYS, today_wib
    from monitor.db.session import session_scope

    today = today_wib()
    with session_scope(engine) as session:
        rows = compute_levels(session, today - timedelta(days=RECENT_DAYS), today)
    log.info("level eskalasi dihitung ulang: %d catatan", len(rows))


def build_scheduler(engine: Engine, settings: Settings) -> BlockingScheduler:
    """A scheduler with jobs defined in code; its in-memory job store is never shared between processes."""
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(
        fetch_due_feeds, "interval", seconds=CHECK_EVERY_SECONDS, args=(engine, settings),
        id="fetch_due_feeds", max_instances=1, coalesce=True, next_run_time=None,
    )
    scheduler.add_job(
        recompute_recent_levels, "cron", hour=0, minute=5, timezone="Asia/Jakarta", args=(engine,),
        id="recompute_recent_levels", max_instances=1, coalesce=True,
    )
    return scheduler
