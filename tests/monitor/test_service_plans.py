"""The plans service on the demo database, SQLite and PostgreSQL alike: plan views with linked alerts and
realisation news in a fixed number of queries, years, export, and the audited import."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from monitor.db.models import Alert, AuditEntry
from monitor.db.session import session_scope
from monitor.demo import run_demo
from monitor.plans import example_plan_file
from monitor.plans.schema import PlanFileError
from monitor.service.plans import export_plans, import_plans, plan_views, plan_years


class _Statements:
    """Counts the SQL statements an engine runs."""

    def __init__(self, engine):
        self.count = 0
        self.engine = engine

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_):
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args):
        self.count += 1


def test_plan_views_with_linked_stories(engine, tmp_path):
    run_demo(engine)
    with session_scope(engine) as session:
        assert plan_years(session) == [2026]
        with _Statements(engine) as everything:
            views = plan_views(session, 2026)
        with _Statements(engine) as one:
            [kotim] = plan_views(session, 2026, "62.02")
        kotim_alerts = {a.id for a in session.scalars(select(Alert)) if "62.02" in a.kabupaten}
        assert plan_views(session, 1999) == []
    assert [v.region for v in views][:2] == ["62", "62.01"] and len(views) == 15
    assert everything.count == one.count <= 6  # the same few queries for 15 plans as for one: none per row
    actions = {a.code: a for a in kotim.actions}
    assert [a.code for a in kotim.actions] == sorted(actions, key=lambda c: [int(p) for p in c.split(".")])
    mapping = actions["1.2"]
    assert {s.alert_id for s in mapping.alerts} <= kotim_alerts and len(mapping.alerts) >= 5
    assert all(s.kind in ("alert", "manual") and s.status == "baru" for s in mapping.alerts)
    dates = [s.published_at for s in mapping.alerts]
    assert dates == sorted(dates, reverse=True)
    news = actions["3.1"].news
    assert news and all(s.kind == "realisasi" and s.alert_id is None and s.url.startswith("https://") for s in news)
    assert any("mediasi" in s.title for s in news)
    assert mapping.targets["B04"] and mapping.realisations[0].period == "B04"
    path = tmp_path / "kotim.xlsx"
    assert export_plans(engine, path, "xlsx", 2026, "62.02") == 1 and path.stat().st_size > 0
    assert export_plans(engine, tmp_path / "kosong.xlsx", "xlsx", 1999) == 0


def test_an_import_is_audited_and_a_refused_one_is_not(engine, tmp_path):
    broken = tmp_path / "rusak.yaml"
    broken.write_text("plans:\n- year: 2026\n  region: '62.99'\n  title: x\n", encoding="utf-8")
    with pytest.raises(PlanFileError):
        import_plans(engine, [broken], actor="operator", address="10.0.0.5")
    result = import_plans(engine, [example_plan_file()], actor="operator", address="10.0.0.5")
    assert len(result.plans) == 15
    with session_scope(engine) as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "plans.import"))
        assert (entry.actor, entry.address, entry.details["files"]) == ("operator", "10.0.0.5",
                                                                        ["contoh_radpks_2026.yaml"])
        assert len(entry.details["plans"]) == 15
