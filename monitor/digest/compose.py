"""What a daily digest holds, composed from the database on demand (so a failed email loses nothing).

Which day a digest covers: the digest of date D is the one read on the morning of D (mailed at
WASPADA_DIGEST_TIME, 06:30 WIB by default). It lists
- the alerts first seen on the previous WIB day, D-1 (00:00-24:00 WIB), and
- late arrivals: alerts about earlier days that Waspada only created after the previous digest
  was mailed (between 06:30 on D-1 and 06:30 on D), e.g. from a feed polled late or a story
  re-scored, so that no alert misses the email because it arrived after its own day's digest;
and shows the levels, escalations and trends of D-1, the last complete day (the daily level job
runs at 00:05). Dismissed alerts (bukan_konflik, duplikat) are left out. A subscription narrows
the alerts, escalations, level table and silent sources to its kabupaten (alerts about no
particular kabupaten concern the whole province and stay) and the alerts to its categories; the
map always shows the whole province. Silent sources are the feeds' state when the digest is
composed (feed health is not kept per day).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from classifiers.taxonomy import load_taxonomy
from monitor.alerts.levels import LEVELS
from monitor.service.alerts import event_sources
from monitor.service.board import TREND_DAYS, LevelCell, SilentSource, dashboard
from monitor.service.digest import Scope, digest_alerts, escalations, open_plan_gaps
from monitor.timezones import WIB

DEFAULT_DIGEST_TIME = time(6, 30)
PROVINCE = "62"


@dataclass(frozen=True)
class DigestAlert:
    """One new alert as the digest lists it (names, not codes)."""

    id: int
    title: str
    level: str  # the highest level of its kabupaten on the covered day
    kabupaten: tuple[str, ...]  # names; empty: about the province as a whole
    categories: tuple[str, ...]  # Indonesian category names
    n_sources: int
    severity: tuple[str, ...]
    plan_gap: bool
    first_seen_at: datetime
    late: bool  # about an earlier day, arrived after that day's digest
    url: str  # its page in the web app ("" without a base address)
    sources: tuple[tuple[str, str], ...] = ()  # (outlet, link) of every report of the alert's event


@dataclass(frozen=True)
class DigestEscalation:
    code: str
    name: str
    previous_level: str
    level: str
    reason: str

    @property
    def rising(self) -> bool:
        return LEVELS.index(self.level) > LEVELS.index(self.previous_level)


@dataclass(frozen=True)
class BoardRow:
    """A kabupaten's level on the covered day, its new alerts and its trend."""

    cell: LevelCell
    new_alerts: int
    trend: tuple[int, ...]  # alerts per day, oldest first, ending on the covered day
    url: str  # its alert list in the web app ("" without a base address)


@dataclass(frozen=True)
class Digest:
    """One day's digest for one scope; see the module docstring for the days it covers."""

    day: date
    covered_day: date
    scope: Scope
    scope_names: tuple[str, ...]  # kabupaten names of the scope (empty: the whole province)
    category_names: tuple[str, ...]  # category names of the scope (empty: every category)
    alerts: tuple[DigestAlert, ...]  # highest level first, then oldest first
    escalations: tuple[DigestEscalation, ...]
    board: tuple[BoardRow, ...]  # the scope's kabupaten, highest level first
    map_levels: dict[str, str] = field(hash=False)  # every kabupaten's level, for the map
    open_plan_gaps: int = 0
    silent_sources: tuple[SilentSource, ...] = ()
    base_url: str = ""

    @property
    def alerts_by_level(self) -> list[tuple[str, list[DigestAlert]]]:
        """(level, alerts) for each level that has new alerts, highest first."""
        return [(level, [a for a in self.alerts if a.level == level]) for level in reversed(LEVELS)
                if any(a.level == level for a in self.alerts)]

    @property
    def raised(self) -> list[BoardRow]:
        return [row for row in self.board if row.cell.level != "normal"]

    @property
    def page_url(self) -> str:
        return f"{self.base_url}/ringkasan?tanggal={self.day.isoformat()}" if self.base_url else ""


def digest_cutoff(day: date, digest_time: time = DEFAULT_DIGEST_TIME) -> datetime:
    """When the digest of `day` is mailed, in UTC."""
    return datetime.combine(day, digest_time, tzinfo=WIB).astimezone(UTC)


def _category_names() -> dict[str, str]:
    return {c.code: c.name for c in load_taxonomy().categories}


def compose_digest(session: Session, day: date, kabupaten: list[str] | None = None,
                   categories: list[str] | None = None, *, base_url: str = "",
                   digest_time: time = DEFAULT_DIGEST_TIME) -> Digest:
    """The digest of `day` (WIB), narrowed to `kabupaten` and `categories` codes when given (None or [] = all).

    Links are `{base_url}/peringatan/{id}`; an empty `base_url` leaves them out.
    """
    scope = Scope(tuple(sorted(set(kabupaten or ()))), tuple(sorted(set(categories or ()))))
    base_url = base_url.rstrip("/")
    covered = day - timedelta(days=1)
    board = dashboard(session, covered)
    names = {cell.code: cell.name for cell in board.board}
    level_of = {cell.code: cell.level for cell in board.board}
    category_names = _category_names()
    rank = {level: i for i, level in enumerate(LEVELS)}

    items = digest_alerts(session, covered, digest_cutoff(covered, digest_time), digest_cutoff(day, digest_time), scope)
    sources = event_sources(session, [item.row.id for item in items])
    alerts = []
    for item in items:
        row = item.row
        level = max((level_of.get(code, "normal") for code in row.kabupaten), key=rank.__getitem__, default="normal")
        alerts.append(DigestAlert(
            row.id, row.title, level, tuple(names.get(code, code) for code in row.kabupaten),
            tuple(category_names.get(code, code) for code in row.categories), row.n_sources, tuple(row.severity),
            row.plan_gap, row.first_seen_at, item.late, f"{base_url}/peringatan/{row.id}" if base_url else "",
            tuple(sources.get(row.id, ()))))
    alerts.sort(key=lambda a: -rank[a.level])  # stable: oldest first within a level

    changes = tuple(DigestEscalation(e.code, names.get(e.code, e.code), e.previous_level, e.level, e.reason)
                    for e in escalations(session, covered, scope.kabupaten))
    new_by_code: dict[str, int] = {}
    for row in (item.row for item in items):
        for code in row.kabupaten:
            new_by_code[code] = new_by_code.get(code, 0) + 1
    rows = [BoardRow(cell, new_by_code.get(cell.code, 0), tuple(board.trends.get(cell.code, [0] * TREND_DAYS)),
                     f"{base_url}/peringatan?kabupaten={cell.code}" if base_url else "")
            for cell in board.board if not scope.kabupaten or cell.code in scope.kabupaten]
    rows.sort(key=lambda r: -rank[r.cell.level])  # stable: code order within a level
    silent = tuple(s for s in board.silent_sources
                   if not scope.kabupaten or s.region == PROVINCE or s.region in scope.kabupaten)
    return Digest(
        day=day, covered_day=covered, scope=scope,
        scope_names=tuple(names.get(code, code) for code in scope.kabupaten),
        category_names=tuple(category_names.get(code, code) for code in scope.categories),
        alerts=tuple(alerts), escalations=changes, board=tuple(rows), map_levels=level_of,
        open_plan_gaps=open_plan_gaps(session, scope), silent_sources=silent, base_url=base_url)
