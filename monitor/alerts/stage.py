"""The deteksi dini half of the flow, run after every fetch or ingest: classify, alert, level.

Resumable from what is stored: what is left to do is read from the database (articles without a
reading by the current model, stories marked `needs_alert_refresh`), never from a previous run's
memory, and every transaction leaves the database consistent, so a process killed at any point
loses nothing and the next run, in any process, finishes the work.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine

from classifiers.service import Classifier, load_classifier
from monitor.alerts.classify_stage import classify_articles
from monitor.alerts.generate import AlertRun, update_alerts, update_pending_alerts
from monitor.alerts.levels import LevelSettings, compute_levels
from monitor.config import StageSettings
from monitor.db.session import session_scope
from monitor.timezones import today_wib

RECENT_DAYS = 3


@dataclass(frozen=True)
class StageSummary:
    """What one pass did."""

    classified: int
    alerts: AlertRun
    level_rows: int
    failed: int  # articles the classifier failed on in this pass (recorded in classification_failures)


def process(engine: Engine, classifier: Classifier | None = None, level_from: date | None = None,
            level_to: date | None = None, settings: LevelSettings | None = None,
            stage_settings: StageSettings | None = None) -> StageSummary:
    """Classify new articles, refresh alerts and plan links, recompute levels for recent days."""
    classifier = classifier or load_classifier()
    classified = classify_articles(engine, classifier, settings=stage_settings)
    # only the stories marked as changed (a cluster grows when a new copy of its story arrives),
    # including those a killed run marked and never refreshed
    run = update_pending_alerts(engine, classifier.version)
    level_to = level_to or today_wib()
    level_from = level_from or level_to - timedelta(days=RECENT_DAYS)
    with session_scope(engine) as session:
        rows = compute_levels(session, level_from, level_to, settings)
        count = len(rows)
    return StageSummary(classified.classified, run, count, classified.failed)


def relink_alerts(engine: Engine, classifier: Classifier | None = None) -> AlertRun:
    """Every story again against the stored plans, e.g. after a plan import changed the actions."""
    classifier = classifier or load_classifier()
    return update_alerts(engine, classifier.version)
