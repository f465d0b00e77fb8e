"""Escalation levels (Normal, Waspada, Siaga, Awas) per kabupaten and per kabupaten x category.

Method (an EARS-like Poisson spike test, as ECDC's epitweetr does for its signals):
1. Series: for each kabupaten (and each kabupaten x category) the number of alert stories first
   seen per day (WIB), from the `alerts` table.
2. Observed: the stories of the last `window_days` days (default 3), so a burst spread over a few
   days is one signal.
3. Baseline: the mean daily count over the `baseline_days` (default 28) days before the window,
   leaving a guard band of `guard_days`; days that were signals count with weight
   `signal_weight` (default 0.5) so a long crisis does not hide itself; optionally only the same
   weekday of past weeks. The expected window count is `window_days` x max(mean, `min_rate`).
4. Test: p = P(X >= observed) for X ~ Poisson(expected). With 14 kabupaten tested at once, a
   signal needs p < alpha / 14 (Bonferroni; alpha default 0.025).
5. Level: Normal without a signal; Waspada with a signal; Siaga with a strong signal
   (p < alpha / 14 x `strong_factor`, default 1/100) or a signal with clashes, blockades or
   injuries in the window's stories; Awas with a signal and deaths or burning, or a strong signal
   with clashes. A story with deaths raises a quiet kabupaten to Waspada on its day.
6. Without a signal a raised level falls one step a day (Awas -> Siaga -> Waspada -> Normal), so a
   crisis does not vanish from the board the day its count dips. Every level change stores the
   counts, baseline, p-value, cues and a reason in Indonesian.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta

from scipy.stats import poisson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor.alerts.coverage import kabupaten_names
from monitor.alerts.evidence import GRAVE_CUES
from monitor.db.models import Alert, EscalationLevel
from monitor.timezones import WIB

LEVELS = ("normal", "waspada", "siaga", "awas")
LEVEL_NAMES = {"normal": "Normal", "waspada": "Waspada", "siaga": "Siaga", "awas": "Awas"}
KABUPATEN_COUNT = 14
FORCEFUL_CUES = frozenset({"bentrok", "blokade", "korban luka"})


@dataclass(frozen=True)
class LevelSettings:
    """Parameters of the spike test (see the module docstring)."""

    alpha: float = 0.025
    places_tested: int = KABUPATEN_COUNT
    window_days: int = 3
    baseline_days: int = 28
    guard_days: int = 0
    signal_weight: float = 0.5
    min_rate: float = 0.2
    strong_factor: float = 0.01
    same_weekday: bool = False

    @property
    def threshold(self) -> float:
        return self.alpha / self.places_tested


@dataclass(frozen=True)
class DayLevel:
    """The outcome of the test for one series on one day."""

    day: date
    level: str
    count: int
    expected: float
    p_value: float
    cues: tuple[str, ...]
    signal: bool


def assess(counts: dict[date, int], cues: dict[date, set[str]], day: date, signals: set[date],
           settings: LevelSettings) -> DayLevel:
    """The level of one series on `day`, given its daily counts, cues and earlier signal days."""
    window = [day - timedelta(days=i) for i in range(settings.window_days)]
    observed = sum(counts.get(d, 0) for d in window)
    window_cues = set().union(*(cues.get(d, set()) for d in window))
    start = day - timedelta(days=settings.window_days + settings.guard_days)
    baseline_days = [start - timedelta(days=i) for i in range(settings.baseline_days)]
    if settings.same_weekday:
        baseline_days = [d for d in baseline_days if d.weekday() == day.weekday()]
    weights = [settings.signal_weight if d in signals else 1.0 for d in baseline_days]
    weighted = sum(w * counts.get(d, 0) for w, d in zip(weights, baseline_days, strict=True))
    rate = weighted / sum(weights) if weights else 0.0
    expected = settings.window_days * max(rate, settings.min_rate)
    p_value = float(poisson.sf(observed - 1, expected)) if observed else 1.0
    signal = p_value < settings.threshold
    strong = p_value < settings.threshold * settings.strong_factor
    if not signal:
        level = "waspada" if "korban jiwa" in cues.get(day, set()) else "normal"
    elif window_cues & GRAVE_CUES or (strong and window_cues & FORCEFUL_CUES):
        level = "awas"
    elif strong or window_cues & FORCEFUL_CUES:
        level = "siaga"
    else:
        level = "waspada"
    return DayLevel(day, level, observed, round(expected, 3), p_value, tuple(sorted(window_cues)), signal)


def step_down(result: DayLevel, previous: str) -> DayLevel:
    """Without a signal a level falls one step a day (Awas -> Siaga -> Waspada -> Normal), not at once."""
    floor = LEVELS[max(LEVELS.index(previous) - 1, 0)]
    if result.signal or LEVELS.index(result.level) >= LEVELS.index(floor):
        return result
    return replace(result, level=floor)


def reason_text(result: DayLevel, previous: str, place: str, category: str, settings: LevelSettings) -> str:
    """Why the level is what it is, in Indonesian."""
    subject = f"{place}" + (f", kategori {category}" if category else "")
    if result.level == previous:
        head = f"{subject}: tetap {LEVEL_NAMES[result.level]}."
    elif not result.signal and LEVELS.index(result.level) < LEVELS.index(previous):
        head = (f"{subject}: {LEVEL_NAMES[previous]} -> {LEVEL_NAMES[result.level]} "
                "(tanpa sinyal, turun satu tingkat per hari).")
    else:
        head = f"{subject}: {LEVEL_NAMES[previous]} -> {LEVEL_NAMES[result.level]}."
    facts = (
        f" {result.count} berita konflik dalam {settings.window_days} hari terakhir; "
        f"yang diharapkan {result.expected:.2f} (rata-rata {settings.baseline_days} hari sebelumnya); "
        f"p = {result.p_value:.2g} {'<' if result.signal else '>='} ambang {settings.threshold:.2g} "
        f"(alfa {settings.alpha} dibagi {settings.places_tested} kabupaten)."
    )
    cue_text = f" Isyarat keparahan: {', '.join(result.cues)}." if result.cues else ""
    return head + facts + cue_text


def _series(session: Session, until: date) -> tuple[dict, dict]:
    """Daily story counts and cues per (kabupaten, category) series; category "" is every category."""
    counts: dict[tuple[str, str], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    cues: dict[tuple[str, str], dict[date, set]] = defaultdict(lambda: defaultdict(set))
    for alert in session.scalars(select(Alert).where(Alert.status.notin_(("bukan_konflik", "duplikat")))):
        day = alert.first_seen_at.astimezone(WIB).date()
        if day > until:
            continue
        for kabupaten in alert.kabupaten:
            if kabupaten.count(".") != 1:
                continue
            for category in ["", *alert.categories]:
                counts[(kabupaten, category)][day] += 1
                cues[(kabupaten, category)][day].update(alert.severity)
    return counts, cues


def compute_levels(session: Session, start: date, end: date,
                   settings: LevelSettings | None = None) -> list[EscalationLevel]:
    """Recompute levels for every day in [start, end]; replaces stored levels in that range.

    Stored rows: every day that is not Normal, and the day a series returns to Normal.
    """
    settings = settings or LevelSettings()
    counts, cues = _series(session, end)
    names = kabupaten_names()
    session.execute(delete(EscalationLevel).where(EscalationLevel.day >= start, EscalationLevel.day <= end))
    previous_rows = {
        (row.kabupaten, row.category): row
        for row in session.scalars(
            select(EscalationLevel).where(EscalationLevel.day < start).order_by(EscalationLevel.day))
    }
    warmup = start - timedelta(days=settings.baseline_days + settings.window_days + settings.guard_days)
    stored = []
    for (kabupaten, category), series in counts.items():
        signals: set[date] = set()
        previous_row = previous_rows.get((kabupaten, category))
        previous = previous_row.level if previous_row else "normal"
        first_day = min(series)
        day = max(warmup, first_day)
        while day <= end:
            result = step_down(assess(series, cues[(kabupaten, category)], day, signals, settings), previous)
            if result.signal:
                signals.add(day)
            if day >= start and (result.level != "normal" or previous != "normal"):
                row = EscalationLevel(
                    day=day, kabupaten=kabupaten, category=category, level=result.level, previous_level=previous,
                    changed=result.level != previous, count=result.count, baseline=result.expected,
                    p_value=result.p_value, severity=list(result.cues),
                    reason=reason_text(result, previous, names.get(kabupaten, kabupaten), category, settings),
                )
                session.add(row)
                stored.append(row)
            previous = result.level
            day += timedelta(days=1)
    return stored
