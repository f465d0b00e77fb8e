"""The level board and the dashboard: each kabupaten's level on a day, trends, plan gaps, silent sources."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from monitor.alerts.coverage import coverage, kabupaten_names
from monitor.alerts.levels import LEVEL_NAMES, LEVELS
from monitor.db.models import Alert, AlertCategory, AlertPlace, EscalationLevel, Feed

SILENT_AFTER = timedelta(days=2)
TREND_DAYS = 28


@dataclass(frozen=True)
class LevelCell:
    """One kabupaten's level on the board's day, since when, and why."""

    code: str
    name: str
    level: str  # normal | waspada | siaga | awas
    label: str  # Normal | Waspada | Siaga | Awas
    since: date | None
    reason: str
    count: int


@dataclass(frozen=True)
class SilentSource:
    feed_id: str
    name: str
    region: str
    last_success_at: datetime | None
    last_error: str


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard (and the daily digest) shows for one day."""

    day: date
    board: list[LevelCell]
    alerts_by_level: dict[str, int]  # new alerts of the day, by the highest level of their kabupaten
    new_alerts: int
    plan_gaps: int  # open alerts without a plan action
    silent_sources: list[SilentSource]
    trends: dict[str, list[int]]  # kabupaten code -> alerts per day over the last TREND_DAYS days
    category_trends: dict[str, list[int]]  # category -> alerts per day over the last TREND_DAYS days


def level_board(session: Session, day: date, category: str = "") -> list[LevelCell]:
    """Every kabupaten/kota's latest stored level on or before `day` (normal when none), in code order."""
    latest = (select(EscalationLevel.kabupaten, func.max(EscalationLevel.day).label("day"))
              .where(EscalationLevel.day <= day, EscalationLevel.category == category)
              .group_by(EscalationLevel.kabupaten).subquery())
    rows = {row.kabupaten: row for row in session.scalars(
        select(EscalationLevel).join(latest, and_(EscalationLevel.kabupaten == latest.c.kabupaten,
                                                  EscalationLevel.day == latest.c.day))
        .where(EscalationLevel.category == category))}
    changed = dict(session.execute(
        select(EscalationLevel.kabupaten, func.max(EscalationLevel.day))
        .where(EscalationLevel.day <= day, EscalationLevel.category == category, EscalationLevel.changed.is_(True))
        .group_by(EscalationLevel.kabupaten)).all())
    cells = []
    for code, name in sorted(kabupaten_names().items()):
        row = rows.get(code)
        level = row.level if row else "normal"
        cells.append(LevelCell(code, name, level, LEVEL_NAMES[level], changed.get(code) if level != "normal" else None,
                               row.reason if row and level != "normal" else "", row.count if row else 0))
    return cells


def silent_sources(session: Session, now: datetime | None = None) -> list[SilentSource]:
    """Enabled sources with no successful fetch for SILENT_AFTER (or never), and disabled ones with a reason."""
    now = now or datetime.now(UTC)
    feeds = session.scalars(select(Feed).where(
        (Feed.enabled.is_(True) & ((Feed.last_success_at.is_(None)) | (Feed.last_success_at < now - SILENT_AFTER)))
        | (Feed.enabled.is_(False) & Feed.disabled_reason.is_not(None))).order_by(Feed.id))
    return [SilentSource(f.id, f.name, f.region, f.last_success_at, f.disabled_reason or f.last_error or "")
            for f in feeds]


def _daily_counts(session: Session, column, start: date, end: date) -> dict[str, list[int]]:
    rows = session.execute(
        select(column, Alert.first_seen_day, func.count())
        .join(Alert, Alert.id == column.class_.alert_id)
        .where(Alert.first_seen_day >= start, Alert.first_seen_day <= end,
               Alert.status.not_in(("bukan_konflik", "duplikat")))
        .group_by(column, Alert.first_seen_day)).all()
    days = (end - start).days + 1
    series: dict[str, list[int]] = {}
    for key, day, count in rows:
        series.setdefault(key, [0] * days)[(day - start).days] = count
    return series


def dashboard(session: Session, day: date) -> Dashboard:
    """The dashboard of `day` (WIB)."""
    board = level_board(session, day)
    level_of = {cell.code: cell.level for cell in board}
    by_level = {level: 0 for level in LEVELS}
    todays = session.execute(select(Alert.id, AlertPlace.code).outerjoin(AlertPlace, AlertPlace.alert_id == Alert.id)
                             .where(Alert.first_seen_day == day)).all()
    highest: dict[int, int] = {}
    for alert_id, code in todays:
        rank = LEVELS.index(level_of.get(code, "normal")) if code else 0
        highest[alert_id] = max(highest.get(alert_id, 0), rank)
    for rank in highest.values():
        by_level[LEVELS[rank]] += 1
    gaps = session.execute(select(func.count()).select_from(Alert).where(
        Alert.plan_gap.is_(True), Alert.status.in_(("baru", "ditinjau", "ditindaklanjuti")))).scalar_one()
    start = day - timedelta(days=TREND_DAYS - 1)
    return Dashboard(day, board, by_level, len(highest), gaps, silent_sources(session),
                     _daily_counts(session, AlertPlace.code, start, day),
                     _daily_counts(session, AlertCategory.category, start, day))


def coverage_rows(session: Session):
    """Per kabupaten: own and province sources, and when the last item about it arrived."""
    return coverage(session)


def level_grid(session: Session, day: date) -> dict[str, list[LevelCell]]:
    """Every kabupaten/kota's level on `day`, over all categories ("") and for each category of the taxonomy."""
    from classifiers.taxonomy import load_taxonomy

    return {category: level_board(session, day, category) for category in ("", *load_taxonomy().codes)}
