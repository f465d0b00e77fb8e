"""The service layer's alert list, detail and lifecycle on the demo database, SQLite and PostgreSQL alike."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from monitor.alerts.lifecycle import LifecycleError
from monitor.db.models import Alert, AlertPlace, AuditEntry, PlanAction
from monitor.db.session import session_scope
from monitor.demo import run_demo
from classifiers.taxonomy import load_taxonomy
from monitor.service.alerts import (
    AlertFilters,
    alert_detail,
    correct,
    link_action,
    link_choices,
    list_alerts,
    set_status,
)
from monitor.service.board import dashboard, level_board
from monitor.service.flow import relink
from monitor.service.paging import PageRequest

KNOWN_CATEGORIES = load_taxonomy().codes


def _all(session, **filters):
    return list_alerts(session, AlertFilters(**filters), PageRequest(1, 200))


def test_filters_paging_detail_and_changes(engine):
    run_demo(engine)
    with session_scope(engine) as session:
        stored = list(session.scalars(select(Alert)))
        everything = _all(session)
        assert everything.total == len(stored) >= 10
        # every filter agrees with the same question asked in Python over the stored alerts
        kotim = _all(session, kabupaten="62.02")
        assert {r.id for r in kotim.items} == {a.id for a in stored if "62.02" in a.kabupaten}
        plantation = _all(session, category="perkebunan")
        assert {r.id for r in plantation.items} == {a.id for a in stored if "perkebunan" in a.categories}
        gaps = _all(session, plan_gap=True)
        assert gaps.total and {r.id for r in gaps.items} == {a.id for a in stored if a.plan_gap}
        november = _all(session, since=date(2026, 11, 12), until=date(2026, 11, 15))
        assert november.total and all(date(2026, 11, 12) <= a.first_seen_day <= date(2026, 11, 15)
                                      for a in stored if a.id in {r.id for r in november.items})
        raised = _all(session, level="siaga")
        assert raised.total and all("62.02" in r.kabupaten for r in raised.items)
        assert _all(session, level="awas").total <= raised.total <= _all(session, level="waspada").total
        word = stored[0].title.split()[1]
        assert any(r.id == stored[0].id for r in _all(session, text=word.lower()).items)
        assert _all(session, text="tidak-ada-kata-ini-xyz").total == 0
        # pages: size 3 walks through every alert once, newest first
        seen, number = [], 1
        while True:
            page = list_alerts(session, AlertFilters(), PageRequest(number, 3))
            seen += [r.id for r in page.items]
            if not page.has_next:
                break
            number += 1
        assert len(seen) == len(set(seen)) == everything.total
        assert [r.id for r in everything.items] == seen
        with pytest.raises(ValueError):
            _all(session, level="bahaya")
        # every alert's place index matches its kabupaten
        rows = session.execute(select(AlertPlace.alert_id, AlertPlace.code)).all()
        assert sorted(rows) == sorted((a.id, k) for a in stored for k in a.kabupaten)

        detail = alert_detail(session, kotim.items[0].id)
        assert detail.articles and detail.row.id == kotim.items[0].id
        assert all(article.outlet for article in detail.articles)
        assert alert_detail(session, 10**6) is None
        gap_id = gaps.items[0].id
        board = level_board(session, date(2026, 11, 14))
        assert {cell.code for cell in board} >= {"62.02", "62.71"} and len(board) == 14
        assert next(c for c in board if c.code == "62.02").level == "awas"
        dash = dashboard(session, date(2026, 11, 14))
        assert dash.board == board and sum(dash.alerts_by_level.values()) == dash.new_alerts
        assert dash.trends["62.02"][-1] >= 1

    with session_scope(engine) as session:
        set_status(session, gap_id, "ditinjau", "operator.kotim", "dicek", address="127.0.0.1")
        with pytest.raises(LifecycleError):
            set_status(session, gap_id, "baru", "operator.kotim")
        action = session.scalars(select(PlanAction).order_by(PlanAction.id)).first()
        link_action(session, gap_id, action.id, "operator.kotim")
    relink(engine)  # a full re-run keeps the hand-made link and the status
    with session_scope(engine) as session:
        detail = alert_detail(session, gap_id)
        assert detail.row.status == "ditinjau" and not detail.row.plan_gap
        assert any(a.kind == "manual" and a.id == action.id for a in detail.actions)
        assert [e.to_status for e in detail.history][:1] == ["ditinjau"]
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions == ["alert.status", "alert.link_action"]


def _kotim_level(session, day: date) -> str:
    return next(cell.level for cell in level_board(session, day) if cell.code == "62.02")


def test_dismissing_alerts_recomputes_the_levels_from_their_first_day(engine):
    run_demo(engine)
    with session_scope(engine) as session:
        assert _kotim_level(session, date(2026, 11, 14)) == "awas"
        burst = [a.id for a in session.scalars(select(Alert).where(
            Alert.first_seen_day.between(date(2026, 11, 12), date(2026, 11, 15))).order_by(Alert.id))
            if "62.02" in a.kabupaten]
    assert len(burst) >= 5
    for alert_id in burst:  # each change is its own transaction, as from the web app
        with session_scope(engine) as session:
            set_status(session, alert_id, "bukan_konflik", "analis", "berita lama")
    with session_scope(engine) as session:
        assert _kotim_level(session, date(2026, 11, 14)) == "normal"
        assert _kotim_level(session, date(2026, 11, 16)) == "normal"
    for alert_id in burst:  # back into the counts: the crisis is on the board again
        with session_scope(engine) as session:
            set_status(session, alert_id, "ditinjau", "analis", "ternyata benar")
    with session_scope(engine) as session:
        assert _kotim_level(session, date(2026, 11, 14)) == "awas"
        assert _kotim_level(session, date(2026, 11, 16)) == "siaga"


def test_correcting_the_kabupaten_moves_the_alert_between_level_series(engine):
    run_demo(engine)
    with session_scope(engine) as session:
        burst = [a for a in session.scalars(select(Alert).where(
            Alert.first_seen_day.between(date(2026, 11, 12), date(2026, 11, 14))).order_by(Alert.id))
            if a.kabupaten == ["62.02"]]
        ids, categories = [a.id for a in burst], {a.id: list(a.categories) for a in burst}
    for alert_id in ids:
        with session_scope(engine) as session:
            correct(session, alert_id, "analis", categories[alert_id], ["62.06"], KNOWN_CATEGORIES, "salah tempat")
    with session_scope(engine) as session:
        assert _kotim_level(session, date(2026, 11, 14)) == "normal"
        katingan = next(cell for cell in level_board(session, date(2026, 11, 14)) if cell.code == "62.06")
        assert katingan.level != "normal" and "Katingan" in katingan.reason


def test_exact_level_place_mentions_and_link_choices(engine):
    run_demo(engine)
    day = date(2026, 11, 14)
    with session_scope(engine) as session:
        dash = dashboard(session, day)
        for level, count in dash.alerts_by_level.items():
            page = _all(session, since=day, until=day, level=level, exact_level=True)
            assert page.total == count, level
        assert sum(dash.alerts_by_level.values()) == _all(session, since=day, until=day).total

        alert = session.scalars(select(Alert).where(Alert.kabupaten.is_not(None)).order_by(Alert.id)).first()
        detail = alert_detail(session, alert.id)
        assert detail.places and {p.code for p in detail.places} >= set(alert.kabupaten)
        assert detail.places[0].level == "kabupaten" and all(p.mentions for p in detail.places)
        documents = " ".join(f"{a.title}. {a.summary}" for a in detail.articles)
        assert all(word in documents for p in detail.places for word in p.mentions)
        assert detail.category_scores and list(detail.category_scores.values()) == sorted(
            detail.category_scores.values(), reverse=True)

        choices = link_choices(session, alert.id)
        linked = {a.id for a in detail.actions}
        plans = {(c.plan_year, c.plan_region) for c in choices}
        assert plans <= {(alert.first_seen_day.year, code) for code in [*alert.kabupaten, "62"]}
        assert ("62" in {r for _, r in plans}) and not linked & {c.id for c in choices}
        assert choices[-1].plan_region == "62"
        assert link_choices(session, 10**6) == []
