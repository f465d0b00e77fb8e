"""The alert list's level and text filters answer the same questions asked in Python (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import event, select, update

from monitor.alerts.generate import update_alerts, update_pending_alerts
from monitor.alerts.levels import LEVELS
from monitor.db.models import (
    Alert,
    AlertPlace,
    Article,
    ArticleClassification,
    EscalationLevel,
    Feed,
    StoryCluster,
)
from monitor.db.session import open_database, session_scope
from monitor.service.alerts import AlertFilters, _raised_alerts, list_alerts
from monitor.service.paging import PageRequest

WIB = timezone(timedelta(hours=7))
DAY0 = date(2026, 3, 1)
KAPUAS, KOTIM = "62.03", "62.02"


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def wib(n: int, hour: int = 9) -> datetime:
    d = day(n)
    return datetime(d.year, d.month, d.day, hour, tzinfo=WIB)


def ids(session, **filters) -> set[int]:
    page = list_alerts(session, AlertFilters(**filters), PageRequest(1, 200))
    assert page.total == len(page.items)
    return {row.id for row in page.items}


def test_level_filter_takes_each_kabupaten_level_on_the_alert_first_day(engine):
    # Stored levels hold until the kabupaten's next stored day: rows on consecutive raised days, a return to
    # normal, a gap that carries the last level on, a last row that holds for ever, and category rows (ignored).
    levels = [(KAPUAS, 1, "siaga"), (KAPUAS, 2, "waspada"), (KAPUAS, 3, "normal"), (KAPUAS, 6, "awas"),
              (KOTIM, 2, "siaga"), (KOTIM, 5, "normal")]
    alerts = [[KAPUAS, 0], [KAPUAS, 1], [KAPUAS, 2], [KAPUAS, 3], [KAPUAS, 4], [KAPUAS, 6], [KAPUAS, 40],
              [KOTIM, 1], [KOTIM, 3], [KOTIM, 4], [KOTIM, 5], [KAPUAS, KOTIM, 3], [KAPUAS, KOTIM, 5], [2], ["62", 2]]
    with session_scope(engine) as session:
        for kabupaten, n, level in levels:
            session.add(EscalationLevel(day=day(n), kabupaten=kabupaten, category="", level=level))
        session.add(EscalationLevel(day=day(4), kabupaten=KAPUAS, category="lahan", level="awas"))
        session.add(EscalationLevel(day=day(0), kabupaten=KOTIM, category="sara", level="awas"))
        for cluster_id, (*places, n) in enumerate(alerts, start=1):
            session.add(StoryCluster(id=cluster_id, first_seen_at=wib(n), last_seen_at=wib(n)))
            session.flush()
            session.add(Alert(cluster_id=cluster_id, title=f"peringatan {cluster_id}", kabupaten=places,
                              first_seen_at=wib(n), last_seen_at=wib(n)))

    def level_on(kabupaten: str, on: date) -> str:
        stored = [(day(n), level) for k, n, level in levels if k == kabupaten and day(n) <= on]
        return max(stored)[1] if stored else "normal"

    with session_scope(engine) as session:
        stored = list(session.scalars(select(Alert)))
        assert len(stored) == len(alerts)
        for wanted in LEVELS:
            expected = {a.id for a in stored
                        if any(LEVELS.index(level_on(k, a.first_seen_day)) >= LEVELS.index(wanted) for k in a.kabupaten)}
            if wanted == "normal":
                expected = {a.id for a in stored}
            assert ids(session, level=wanted) == expected, wanted
        assert len(ids(session, level="siaga")) == 6  # the rule above is not trivially empty or everything
        # the level combines with the other filters and with paging
        assert ids(session, level="siaga", kabupaten=KOTIM) == {a.id for a in stored if a.kabupaten == [KOTIM]
                                                                 and a.first_seen_day in (day(3), day(4))} | {12}
        first = list_alerts(session, AlertFilters(level="waspada"), PageRequest(1, 2))
        second = list_alerts(session, AlertFilters(level="waspada"), PageRequest(2, 2))
        assert first.total == second.total == len(ids(session, level="waspada"))
        assert [r.first_seen_at for r in first.items + second.items] == sorted(
            (r.first_seen_at for r in first.items + second.items), reverse=True)


def test_place_rows_carry_the_alert_first_day_wherever_it_changes(engine):
    with session_scope(engine) as session:
        session.add(StoryCluster(id=1, first_seen_at=wib(5), last_seen_at=wib(5)))
        session.flush()
        session.add(Alert(cluster_id=1, title="t", kabupaten=[KAPUAS], first_seen_at=wib(5, hour=23),
                          last_seen_at=wib(5)))

    def place_days(session):
        return sorted(session.execute(select(AlertPlace.code, AlertPlace.first_seen_day)).all())

    with session_scope(engine) as session:
        assert place_days(session) == [(KAPUAS, day(5))]
        alert = session.scalar(select(Alert))
        alert.first_seen_at = wib(2, hour=1)  # an earlier report joined the story (01:00 WIB is the day before in UTC)
    with session_scope(engine) as session:
        assert place_days(session) == [(KAPUAS, day(2))]
        session.scalar(select(Alert)).kabupaten = [KAPUAS, KOTIM]
    with session_scope(engine) as session:
        assert place_days(session) == sorted([(KAPUAS, day(2)), (KOTIM, day(2))])
        alert = session.scalar(select(Alert))
        alert.kabupaten, alert.first_seen_at = [KOTIM], wib(1)
    with session_scope(engine) as session:
        assert place_days(session) == [(KOTIM, day(1))]


def _report(session, article_id: int, cluster_id: int, title: str, when: datetime, classified: bool = True) -> None:
    url = f"https://kabar.example.id/{article_id}"
    session.add(Article(id=article_id, feed_id="kabar", guid=url, url=url, canonical_url=url, title=title,
                        summary_text="isi", published_at=when, fetched_at=when, content_hash=f"h{article_id}",
                        cluster_id=cluster_id))
    if classified:
        session.flush()
        session.add(ArticleClassification(article_id=article_id, model_version="v", categories=["lahan"],
                                          scores={"lahan": 0.9}, conflict=0.9, is_conflict=True, kabupaten=[KOTIM],
                                          kalteng=True))


def test_text_search_reads_every_report_title_in_any_case(engine):
    with session_scope(engine) as session:
        session.add(Feed(id="kabar", name="kabar", url="https://kabar.example.id/rss",
                         configured_url="https://kabar.example.id/rss", outlet="Kabar"))
        for cluster_id in (1, 2):
            session.add(StoryCluster(id=cluster_id, first_seen_at=wib(cluster_id), last_seen_at=wib(cluster_id)))
        session.flush()
        _report(session, 1, 1, "Sengketa lahan di Desa Pondok Damar memanas", wib(1))
        _report(session, 2, 1, "Warga PONDOK DAMAR blokade jalan kebun", wib(1, hour=11))
        _report(session, 3, 2, "Tuntutan plasma di Cempaga belum dipenuhi", wib(2))
    update_alerts(engine, "v")
    with session_scope(engine) as session:
        first, second = (session.scalar(select(Alert.id).where(Alert.cluster_id == c)) for c in (1, 2))
        assert ids(session, text="memanas") == {first}  # the alert's own title
        assert ids(session, text="BLOKADE Jalan") == {first}  # another report of its story, any case
        assert ids(session, text="  pondok damar ") == {first}
        assert ids(session, text="plasma") == {second}
        assert ids(session, text="tidak ada di judul mana pun") == set()
        assert ids(session, text="isi") == set()  # titles only, not the summaries
    # a report that joins the story later (and is classified) is found once the alert is refreshed
    with session_scope(engine) as session:
        _report(session, 4, 2, "Perusahaan sawit di Cempaga digugat petani", wib(3))
        session.execute(update(StoryCluster).where(StoryCluster.id == 2).values(needs_alert_refresh=True))
    update_pending_alerts(engine, "v")
    with session_scope(engine) as session:
        assert ids(session, text="digugat") == {second}
    # a report without a reading of the alert's model (not classified yet, or failed) is searched too
    with session_scope(engine) as session:
        _report(session, 5, 1, "Mediasi sengketa Pondok Damar gagal", wib(4), classified=False)
    update_alerts(engine, "v", [1])
    with session_scope(engine) as session:
        assert ids(session, text="mediasi") == {first}


def test_sqlite_reads_the_raised_spans_through_the_place_day_index_even_under_not_in(tmp_path):
    # No timing: the plan itself. Without statistics SQLite plans the same at any size; at 1,000,000 articles
    # the other plan (every place row, spans indexed on the fly) took 3 s under NOT IN (an exact-level filter).
    engine = open_database(f"sqlite:///{tmp_path / 'plan.db'}")
    statements = []
    event.listen(engine, "before_cursor_execute",
                 lambda _conn, _cursor, sql, params, _context, _many: statements.append((sql, params)))
    raised = _raised_alerts("siaga")
    with engine.connect() as connection:
        for query in (select(Alert.id).join(raised, raised.c.alert_id == Alert.id),
                      select(Alert.id).where(Alert.id.not_in(select(raised.c.alert_id)))):
            connection.execute(query).all()
            sql, params = statements[-1]
            plan = [row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
            assert any("alert_places USING COVERING INDEX ix_alert_places_code_day" in step for step in plan), plan
            assert not any("AUTOMATIC" in step for step in plan), plan
    engine.dispose()
