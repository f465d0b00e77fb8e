"""The spike test behind escalation levels, on hand-made series."""
from datetime import date, timedelta

from monitor.alerts.levels import LevelSettings, assess, step_down

DAY = date(2026, 11, 16)
SETTINGS = LevelSettings()


def series(**by_offset: int) -> dict[date, int]:
    """Counts keyed by day; keyword d3=2 means two stories three days before DAY."""
    return {DAY - timedelta(days=int(k[1:])): v for k, v in by_offset.items()}


def test_one_story_in_a_quiet_place_is_not_a_signal():
    result = assess(series(d0=1), {}, DAY, set(), SETTINGS)
    assert (result.level, result.signal, result.expected) == ("normal", False, 0.6)


def test_a_burst_over_three_days_is_a_signal_after_the_bonferroni_correction():
    result = assess(series(d0=2, d1=2, d2=1), {}, DAY, set(), SETTINGS)
    assert result.signal and result.level == "waspada" and result.count == 5
    assert result.p_value < 0.025 / 14
    uncorrected = LevelSettings(places_tested=1)
    borderline = series(d0=2, d1=1)
    assert assess(borderline, {}, DAY, set(), uncorrected).signal
    assert not assess(borderline, {}, DAY, set(), SETTINGS).signal


def test_severity_cues_raise_the_level():
    burst = series(d0=2, d1=2, d2=1)
    assert assess(burst, {DAY: {"blokade"}}, DAY, set(), SETTINGS).level == "siaga"
    assert assess(burst, {DAY: {"pembakaran"}}, DAY, set(), SETTINGS).level == "awas"
    assert assess(series(d0=1), {DAY: {"korban jiwa"}}, DAY, set(), SETTINGS).level == "waspada"


def test_a_busy_baseline_absorbs_the_same_count():
    busy = {DAY - timedelta(days=d): 2 for d in range(3, 31)}
    busy.update(series(d0=2, d1=2, d2=1))
    assert not assess(busy, {}, DAY, set(), SETTINGS).signal


def test_past_signals_weigh_less_in_the_baseline():
    counts = {DAY - timedelta(days=d): (6 if d in (10, 11) else 0) for d in range(3, 31)}
    counts.update(series(d0=2, d1=2, d2=1))
    plain = assess(counts, {}, DAY, set(), SETTINGS)
    weighted = assess(counts, {}, DAY, {DAY - timedelta(days=10), DAY - timedelta(days=11)}, SETTINGS)
    assert weighted.expected < plain.expected and weighted.p_value < plain.p_value


def test_same_weekday_baseline_uses_only_that_weekday():
    # busy every Monday only; DAY (a Monday) is then ordinary with the same-weekday option
    mondays = {DAY - timedelta(weeks=w): 5 for w in range(1, 5)}
    mondays[DAY] = 5
    one_day = LevelSettings(window_days=1)
    assert assess(mondays, {}, DAY, set(), one_day).signal
    assert not assess(mondays, {}, DAY, set(), LevelSettings(window_days=1, same_weekday=True)).signal


def test_levels_fall_one_step_a_day_without_a_signal():
    quiet = assess({}, {}, DAY, set(), SETTINGS)
    assert step_down(quiet, "awas").level == "siaga"
    assert step_down(quiet, "waspada").level == "normal"
    burst = assess(series(d0=2, d1=2, d2=1), {DAY: {"pembakaran"}}, DAY, set(), SETTINGS)
    assert step_down(burst, "normal").level == "awas"
