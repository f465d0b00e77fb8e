"""The flow as front doors start it: fetch or ingest, then the deteksi dini stage, with one rule for levels.

The stage is resumable from what is stored: what is left to do is read from the database
(articles without a reading by the current model, stories marked `needs_alert_refresh`, alerts
changed since levels were last finished), never from a previous run's memory, and every
transaction leaves the database consistent, so a process killed at any point loses nothing and
the next pass, in any process, finishes the work.

The rule: levels are recomputed from the earliest WIB day of any alert created or changed since
the last finished pass (and at least the last RECENT_DAYS days) up to today, so a fetch of today's news, an ingest
of last year's saved feeds, the demo and a plan import all leave the levels consistent.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from classifiers.service import Classifier, load_classifier
from monitor.alerts.classify_stage import classify_articles
from monitor.alerts.generate import AlertRun, update_alerts, update_pending_alerts
from monitor.alerts.levels import LevelSettings, compute_levels
from monitor.config import ParseSettings, Settings, StageSettings
from monitor.db import locks
from monitor.db.models import Alert, StageMark
from monitor.db.session import session_scope
from monitor.pipeline import FeedOutcome, feed_files, ingest_file, reprocess_raw, run_fetch_cycle
from monitor.service.model_registry import active_classifier
from monitor.timezones import WIB, today_wib


@dataclass(frozen=True)
class StagePass:
    """What one pass of the deteksi dini stage did."""

    classified: int
    failed: int
    alerts: AlertRun
    level_from: date
    level_to: date
    level_rows: int


@dataclass(frozen=True)
class CycleReport:
    """A fetch or ingest and the stage pass after it (None when nothing new needed one)."""

    feeds: list[FeedOutcome]
    stage: StagePass | None

    @property
    def n_new(self) -> int:
        return sum(o.n_new for o in self.feeds)

    @property
    def n_failed(self) -> int:
        return sum(1 for o in self.feeds if o.outcome not in ("ok", "not_modified"))


RECENT_DAYS = 3  # levels of at least the last three days are recomputed on every pass
LEVELS_MARK = "levels"


def _earliest_changed_day(engine: Engine) -> date | None:
    """The earliest first day of the alerts created or changed since levels were last computed to the end."""
    with session_scope(engine) as session:
        mark = session.get(StageMark, LEVELS_MARK)
        query = select(func.min(Alert.first_seen_day))
        if mark is not None:
            query = query.where(Alert.updated_at >= mark.at)
        return session.scalar(query)


def _set_mark(engine: Engine, name: str, at: datetime) -> None:
    with session_scope(engine) as session:
        mark = session.get(StageMark, name) or StageMark(name=name)
        mark.at = at
        session.add(mark)


def recompute_levels(engine: Engine, start: date, end: date | None = None,
                     settings: LevelSettings | None = None) -> int:
    """Levels of every kabupaten (and kabupaten x category) from `start` to `end` (default today); rows stored.

    Never at the same time as a stage pass (which writes levels too), in any process.
    """
    with locks.held(engine, locks.ALERT_STAGE):
        return _store_levels(engine, start, end or today_wib(), settings)


def _store_levels(engine: Engine, start: date, end: date, settings: LevelSettings | None) -> int:
    with session_scope(engine) as session:
        return len(compute_levels(session, start, end, settings))


def stage_pass(engine: Engine, classifier: Classifier | None = None, relink_all: bool = False,
               stage_settings: StageSettings | None = None, level_settings: LevelSettings | None = None) -> StagePass:
    """Classify what has no reading by the active model (monitor.service.model_registry), refresh the marked
    stories (or all), then levels.

    Levels are recomputed from the earliest day of any alert changed since the last pass that
    finished its levels (so a pass killed before its levels leaves that work to the next one).
    """
    classifier = classifier or active_classifier(engine)
    # one pass at a time over one database, whichever process runs it (several workers, a rescore):
    # a pass waiting here finds the work of the pass before it done and does only what is left
    with locks.held(engine, locks.ALERT_STAGE):
        started = datetime.now(UTC)
        classified = classify_articles(engine, classifier, settings=stage_settings)
        run = (update_alerts(engine, classifier.version) if relink_all
               else update_pending_alerts(engine, classifier.version))
        today = today_wib()
        level_from = today - timedelta(days=RECENT_DAYS)
        earliest = _earliest_changed_day(engine)
        if earliest is not None:
            level_from = min(level_from, earliest)
        rows = _store_levels(engine, level_from, today, level_settings)
        _set_mark(engine, LEVELS_MARK, started)
    return StagePass(classified.classified, classified.failed, run, level_from, today, rows)


def run_cycle(engine: Engine, settings: Settings, only_due: bool = True, feed_ids: Iterable[str] | None = None,
              on_done: Callable[[FeedOutcome], None] | None = None,
              classifier: Classifier | None = None) -> CycleReport:
    """Fetch the due (or all, or the named) feeds; when anything new arrived, run the stage."""
    outcomes = run_fetch_cycle(engine, settings, only_due=only_due, feed_ids=feed_ids, on_done=on_done)
    stage = stage_pass(engine, classifier) if any(o.n_new for o in outcomes) else None
    return CycleReport(outcomes, stage)


def ingest_paths(engine: Engine, paths: Iterable[Path], feed_id: str | None = None,
                 limits: ParseSettings | None = None, classifier: Classifier | None = None) -> CycleReport:
    """Saved feed files (files or folders) through parse-dedupe-store, then the stage (always: re-runs are cheap)."""
    outcomes = [ingest_file(engine, path, feed_id=feed_id, limits=limits or ParseSettings())
                for root in paths for path in feed_files(Path(root))]
    return CycleReport(outcomes, stage_pass(engine, classifier))


def reprocess(engine: Engine, since: date, limits: ParseSettings | None = None,
              classifier: Classifier | None = None) -> CycleReport:
    """Raw documents received since `since` (WIB day) parsed and stored again, then the stage."""
    start = datetime(since.year, since.month, since.day, tzinfo=WIB).astimezone(UTC)
    outcomes = reprocess_raw(engine, start, limits or ParseSettings())
    return CycleReport(outcomes, stage_pass(engine, classifier))


def rescore(engine: Engine, start: date, end: date, model_dir: str | None = None) -> StagePass:
    """Read articles published from `start` to `end` (WIB, end exclusive) again with a model (default: the active
    one), then alerts and levels."""
    classifier = load_classifier(model_dir) if model_dir else active_classifier(engine)
    to_utc = lambda d: datetime(d.year, d.month, d.day, tzinfo=WIB).astimezone(UTC)  # noqa: E731
    with locks.held(engine, locks.ALERT_STAGE):
        done = classify_articles(engine, classifier, since=to_utc(start), until=to_utc(end))
        run = update_alerts(engine, classifier.version)
        rows = _store_levels(engine, start, end, None)
    return StagePass(done.classified, done.failed, run, start, end, rows)


def relink(engine: Engine, classifier: Classifier | None = None) -> StagePass:
    """Every story against the stored plans again (after a plan import), then levels where alerts changed."""
    return stage_pass(engine, classifier, relink_all=True)
