"""The service layer's alert list, detail and lifecycle on the demo database, SQLite and PostgreSQL alike."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from monitor.alerts.lifecycle import LifecycleError
from monitor.db.models import Alert, AlertPlace, AuditEntry, PlanAction
from monitor.db.session import session_scope
from monitor.demo import run_demo
from monitor.service.alerts import AlertFilters, alert_detail, link_action, list_alerts, set_status
from monitor.service.board import dashboard, level_board
from monitor.service.flow import relink
from monitor.service.paging import PageRequest


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
