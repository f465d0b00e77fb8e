"""PostgreSQL planner statistics are gathered after migrating and after a large ingest (SQLite: nothing to do)."""
from __future__ import annotations

from sqlalchemy import text

from monitor.db.session import open_database
from monitor.db.statistics import (
    ANALYZE_AFTER_NEW_ROWS,
    ANALYZE_AFTER_SHARE,
    INGEST_TABLES,
    ROWS_PER_NEW_ARTICLE,
    analyze,
    note_new_articles,
)
from monitor.pipeline import ingest_file
from tests.monitor.helpers import rss


def _reltuples(engine, table: str) -> float:
    """pg_class.reltuples of a table in the test's schema: -1 until ANALYZE (or VACUUM) has seen it."""
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relname = :table"), {"table": table}).scalar_one()


def test_statistics_after_migrating_and_after_a_large_ingest(db_url, tmp_path):
    engine = open_database(db_url)
    try:
        if engine.dialect.name != "postgresql":
            assert note_new_articles(engine, 10**6) is False  # SQLite's planner needs no statistics
            return
        assert _reltuples(engine, "article_bands") == 0  # analysed (empty), not -1 "never analysed"
        n_items = ANALYZE_AFTER_NEW_ROWS // ROWS_PER_NEW_ARTICLE + 20
        items = [{"title": f"Berita nomor {i} tentang desa {i} di Kalimantan Tengah",
                  "link": f"https://kalteng.example.id/berita/{i}", "guid": f"g{i}",
                  "description": f"Isi berita {i} " + " ".join(f"kata{i}_{j}" for j in range(30))}
                 for i in range(n_items)]
        path = tmp_path / "besar.xml"
        path.write_text(rss(items), encoding="utf-8")
        outcome = ingest_file(engine, path)
        assert outcome.n_new == n_items
        assert _reltuples(engine, "articles") == n_items
        assert _reltuples(engine, "article_bands") > ANALYZE_AFTER_NEW_ROWS * 0.9
    finally:
        engine.dispose()


def test_small_writes_accumulate_until_the_threshold(db_url):
    engine = open_database(db_url)
    try:
        per_call = ANALYZE_AFTER_NEW_ROWS // ROWS_PER_NEW_ARTICLE // 2
        assert note_new_articles(engine, per_call) is False
        assert note_new_articles(engine, per_call) is False
        assert note_new_articles(engine, per_call) is (engine.dialect.name == "postgresql")
        assert note_new_articles(engine, per_call) is False  # the count starts again after ANALYZE
    finally:
        engine.dispose()


def test_a_larger_database_is_analysed_after_a_share_of_its_rows(db_url, tmp_path):
    """Past the fixed count the next ANALYZE waits for ANALYZE_AFTER_SHARE of the rows the last one counted, so a
    long cycle into a large database does not analyse it every few feeds (the floor is lowered here to show it)."""
    engine = open_database(db_url)
    try:
        if engine.dialect.name != "postgresql":
            return
        items = [{"title": f"Berita {i} dari desa {i}", "link": f"https://kalteng.example.id/b/{i}", "guid": f"g{i}",
                  "description": " ".join(f"kata{i}_{j}" for j in range(30))} for i in range(60)]
        path = tmp_path / "sedang.xml"
        path.write_text(rss(items), encoding="utf-8")
        assert ingest_file(engine, path).n_new == 60
        assert analyze(engine)
        stored = _reltuples(engine, "articles") + _reltuples(engine, "article_bands")
        assert stored == 60 * ROWS_PER_NEW_ARTICLE
        floor = 100  # rows: far below the share of what is stored
        share = int(ANALYZE_AFTER_SHARE * stored) // ROWS_PER_NEW_ARTICLE  # articles within the share
        assert floor < share * ROWS_PER_NEW_ARTICLE
        assert note_new_articles(engine, share, threshold=floor) is False
        assert note_new_articles(engine, 1, threshold=floor) is True
        assert note_new_articles(engine, 4, threshold=floor) is False  # counting again from the new ANALYZE
    finally:
        engine.dispose()


def _analyze_counts(engine) -> dict[str, int]:
    """How many times each table of the test's schema was analysed by an ANALYZE command (autovacuum's own
    analyses are counted apart and left out: they may run at any time)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_stat_clear_snapshot()"))
        rows = connection.execute(text(
            "SELECT relname, analyze_count FROM pg_stat_user_tables "
            "WHERE schemaname = current_schema()"))
        return dict(rows.all())


def test_an_ingest_analyses_only_the_tables_ingest_grows(db_url):
    """After a migration every table is analysed; the ANALYZE a large ingest triggers covers only the tables it
    grows: the other twenty-odd (alerts, users, plans, ...) do not change while fetching."""
    engine = open_database(db_url)
    try:
        if engine.dialect.name != "postgresql":
            return
        before = _analyze_counts(engine)
        assert before["alerts"] >= 1 and before["articles"] >= 1  # analysed after migrating
        assert note_new_articles(engine, ANALYZE_AFTER_NEW_ROWS) is True
        after = _analyze_counts(engine)
        grown = {name for name in after if after[name] > before.get(name, 0)}
        assert grown == set(INGEST_TABLES)
    finally:
        engine.dispose()
