"""The monitor's scheduled jobs: each job once, and the real scheduler running against a local feed server."""
import dataclasses
import logging
import threading
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from monitor.config import Settings
from monitor.db.models import Alert, ArticleClassification, Feed, FetchAttempt
from monitor.db.session import session_scope
from monitor.scheduler import build_scheduler, fetch_due_feeds, recompute_recent_levels
from tests.monitor.helpers import add_feed, fixture_bytes


def test_jobs_are_defined_in_code():
    jobs = {job.id: job for job in build_scheduler(None, Settings.from_env()).get_jobs()}
    assert set(jobs) == {"fetch_due_feeds", "recompute_recent_levels", "send_daily_digest"}
    assert jobs["fetch_due_feeds"].max_instances == 1


def test_a_tick_fetches_due_feeds_and_runs_the_deteksi_dini_stage(engine, settings, feed_server):
    add_feed(engine, "antara", feed_server.feed("/rss", fixture_bytes("antara_kalteng_terkini.xml")))
    fetch_due_feeds(engine, settings)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(ArticleClassification)) == 3
        assert session.scalar(select(func.count()).select_from(Alert)) == 1  # the Sebabi plasma dispute
    fetch_due_feeds(engine, settings)  # nothing is due any more: nothing fetched again
    assert len(feed_server.requests_to("/rss")) == 1
    recompute_recent_levels(engine)  # the daily job runs on its own (no new items needed)


def _wait_for(condition, timeout: float = 30.0) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass (a bound, not a speed assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _attempts(engine, feed_id: str) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(FetchAttempt).where(FetchAttempt.feed_id == feed_id))


def _make_due(engine, feed_id: str) -> None:
    with session_scope(engine) as session:
        session.get(Feed, feed_id).next_check_at = datetime.now(timezone.utc) - timedelta(seconds=1)


def test_the_running_scheduler_keeps_fetching_due_feeds_and_leaves_the_others(engine, settings, feed_server, caplog):
    caplog.set_level(logging.INFO, logger="waspada.scheduler")
    settings = dataclasses.replace(settings, check_seconds=0.2)
    add_feed(engine, "due", feed_server.feed("/due", fixture_bytes("antara_kalteng_terkini.xml")))
    add_feed(engine, "later", feed_server.feed("/later", fixture_bytes("wordpress_kalteng.xml")))
    scheduler = build_scheduler(engine, settings)  # what `waspada run` starts
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    try:
        # the first tick runs at start: both feeds are new, so both are fetched once
        assert _wait_for(lambda: len(feed_server.requests_to("/due")) == 1 and len(feed_server.requests_to("/later")) == 1)
        for expected in (2, 3):  # made due again, fetched again, twice in a row
            # the fetch is recorded (a claim moves the next check a lease ahead before the fetch ends)
            assert _wait_for(lambda: _attempts(engine, "due") == expected - 1)
            _make_due(engine, "due")
            assert _wait_for(lambda: len(feed_server.requests_to("/due")) == expected), f"fetch {expected} never came"
        time.sleep(5 * settings.check_seconds)  # several more ticks: nothing is due
    finally:
        scheduler.shutdown(wait=True)
        thread.join(timeout=10)
    assert len(feed_server.requests_to("/due")) == 3
    assert len(feed_server.requests_to("/later")) == 1  # its next check has not come
    assert any("siklus: 1 feed diambil, 0 item baru, 0 gagal" in r.getMessage() for r in caplog.records)


def test_the_check_interval_is_a_setting(monkeypatch):
    monkeypatch.setenv("WASPADA_CHECK_SECONDS", "15")
    settings = Settings.from_env()
    assert settings.check_seconds == 15
    job = build_scheduler(None, settings).get_job("fetch_due_feeds")
    assert job.trigger.interval.total_seconds() == 15
    assert job.next_run_time is not None  # scheduled, not paused
