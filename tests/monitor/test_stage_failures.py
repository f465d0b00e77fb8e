"""One story or event the alert stage fails on is recorded, skipped and retried a bounded number of times;
the other stories of the pass get their alerts, and the scheduler survives any stage error."""
from __future__ import annotations

import dataclasses
import logging
import threading
import time

from sqlalchemy import func, select
from typer.testing import CliRunner

from monitor import scheduler as scheduler_module
from monitor.cli import app
from monitor.alerts import events as events_module
from monitor.alerts import generate
from monitor.config import StageSettings
from monitor.db.models import Alert, FetchAttempt, StageFailure, StoryCluster
from monitor.db.session import session_scope
from monitor.service.flow import ingest_paths, stage_pass
from tests.monitor.helpers import FEED_FIXTURES, add_feed, fixture_bytes

POISON = "Sebabi"  # the plasma dispute in antara_kalteng_terkini.xml


def _alert_titles(engine) -> list[str]:
    with session_scope(engine) as session:
        return sorted(session.scalars(select(Alert.title)))


def _failures(engine) -> list[tuple[str, int]]:
    with session_scope(engine) as session:
        return [(f.stage, f.attempts) for f in session.scalars(select(StageFailure))]


def test_a_poison_story_is_recorded_skipped_and_retried_a_bounded_number_of_times(engine, monkeypatch):
    real_place = events_module.EventMatcher.place

    def place_failing_on_poison(self, story, *args):
        if POISON in story.title:
            raise RuntimeError("simulated poison story")
        return real_place(self, story, *args)

    monkeypatch.setattr(events_module.EventMatcher, "place", place_failing_on_poison)
    monkeypatch.setenv("WASPADA_ALERT_MAX_ATTEMPTS", "2")
    report = ingest_paths(engine, [FEED_FIXTURES / "antara_kalteng_terkini.xml", FEED_FIXTURES / "story_outlet_a.xml"])
    assert report.stage.alerts.failed == 1
    titles = _alert_titles(engine)
    assert titles and not any(POISON in t for t in titles)  # the other stories got their alerts
    assert _failures(engine) == [("alert-story", 1)]
    with session_scope(engine) as session:
        [failure] = session.scalars(select(StageFailure)).all()
        assert "simulated poison story" in failure.error
        assert session.get(StoryCluster, failure.item_id).needs_alert_refresh  # waits for a later pass

    listing = CliRunner().invoke(app, ["alerts", "failures"], env={
        "WASPADA_DATABASE_URL": engine.url.render_as_string(hide_password=False), "COLUMNS": "200"})
    assert listing.exit_code == 0, listing.output
    assert "cerita (klaster)" in listing.output and "simulated poison story" in listing.output

    assert stage_pass(engine).alerts.failed == 1  # tried again on the next pass ...
    assert _failures(engine) == [("alert-story", 2)]
    assert stage_pass(engine).alerts.failed == 0  # ... and left aside once it failed the bound
    assert _failures(engine) == [("alert-story", 2)]

    monkeypatch.setattr(events_module.EventMatcher, "place", real_place)  # fixed: a raised bound retries it
    monkeypatch.setenv("WASPADA_ALERT_MAX_ATTEMPTS", "3")
    assert stage_pass(engine).alerts.failed == 0
    assert any(POISON in t for t in _alert_titles(engine))
    assert _failures(engine) == []  # handled at last: no longer failing


def test_a_poison_event_is_recorded_and_the_other_alerts_written(engine, monkeypatch):
    real_refresh = generate.refresh_events

    def refresh_failing_on_poison(session, event_ids, model_version, plans, known=None):
        result = real_refresh(session, event_ids, model_version, plans, known)
        if any(POISON in alert.title for alert in result.alerts.values()):
            raise RuntimeError("simulated poison event")
        return result

    monkeypatch.setattr(generate, "refresh_events", refresh_failing_on_poison)
    report = ingest_paths(engine, [FEED_FIXTURES / "antara_kalteng_terkini.xml", FEED_FIXTURES / "story_outlet_a.xml"])
    assert report.stage.alerts.failed >= 1
    titles = _alert_titles(engine)
    assert titles and not any(POISON in t for t in titles)
    assert _failures(engine) == [("alert-event", 1)]


def test_a_tick_whose_stage_raises_leaves_the_scheduler_running(engine, settings, feed_server, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="waspada.scheduler")
    settings = dataclasses.replace(settings, check_seconds=0.2)
    add_feed(engine, "antara", feed_server.feed("/rss", fixture_bytes("antara_kalteng_terkini.xml")))
    real_run_cycle = scheduler_module.run_cycle
    calls = []

    def run_cycle_failing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("simulated stage crash")
        return real_run_cycle(*args, **kwargs)

    monkeypatch.setattr(scheduler_module, "run_cycle", run_cycle_failing_once)
    scheduler = scheduler_module.build_scheduler(engine, settings)
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with session_scope(engine) as session:
                if session.scalar(select(func.count()).select_from(FetchAttempt)):
                    break
            time.sleep(0.05)
        assert len(calls) >= 2 and thread.is_alive()
    finally:
        scheduler.shutdown(wait=True)
    assert "simulated stage crash" in caplog.text
    assert "gagal" in caplog.text
