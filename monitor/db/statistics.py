"""Planner statistics on PostgreSQL: ANALYZE after migrating and after large writes.

A database whose statistics were never gathered (a fresh install, or a server with autovacuum
off) plans the copy-cluster candidate query as a scan of the whole band table; one cycle of 200
feeds took 221 s there against 30 s analysed. SQLite needs nothing: its planner uses the indexes.

A process analyses once its new rows exceed ANALYZE_AFTER_NEW_ROWS or ANALYZE_AFTER_SHARE of the
article and band rows the last ANALYZE counted, whichever is more (PostgreSQL's own autovacuum
rule): a fixed count alone made a 10,000-feed cycle analyse every 60 feeds, a second each at a
million band rows. Such an ANALYZE covers only INGEST_TABLES, the tables ingest grows and the copy-cluster
query reads; after a migration every table is analysed.
"""
from __future__ import annotations

import logging
import threading
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from monitor.feeds.dedupe import BANDS

log = logging.getLogger("waspada.db")

ANALYZE_AFTER_NEW_ROWS = 10_000
ANALYZE_AFTER_SHARE = 0.1  # of the rows counted at the last ANALYZE (autovacuum_analyze_scale_factor's default)
ROWS_PER_NEW_ARTICLE = 1 + BANDS  # the article row and its LSH band rows
GROWING_TABLES = ("articles", "article_bands")  # the rows ROWS_PER_NEW_ARTICLE counts
# what a fetch cycle grows: the copy-cluster candidate query joins the first three; the other tables (about
# twenty: alerts, users, plans, ...) do not change while fetching, and in a deployed database they are large
INGEST_TABLES = (*GROWING_TABLES, "story_clusters", "raw_documents", "fetch_attempts")

_pending_rows: WeakKeyDictionary[Engine, int] = WeakKeyDictionary()
_rows_at_analyze: WeakKeyDictionary[Engine, float] = WeakKeyDictionary()
_lock = threading.Lock()


def analyze(engine: Engine, only: tuple[str, ...] | None = None) -> bool:
    """Gather planner statistics for Waspada's tables, or `only` these (PostgreSQL only); True when it ran."""
    if engine.dialect.name != "postgresql":
        return False
    from monitor.db.models import Base

    preparer = engine.dialect.identifier_preparer
    names = only if only is not None else [table.name for table in Base.metadata.sorted_tables]
    tables = ", ".join(preparer.quote(name) for name in names)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"ANALYZE {tables}"))
        counted = connection.execute(text(
            "SELECT coalesce(sum(greatest(reltuples, 0)), 0) FROM pg_class WHERE oid IN ("
            + ", ".join(f"to_regclass('{preparer.quote(name)}')" for name in GROWING_TABLES) + ")")).scalar_one()
    with _lock:
        _pending_rows[engine] = 0
        _rows_at_analyze[engine] = float(counted)
    log.info("statistik basis data diperbarui (ANALYZE)")
    return True


def note_new_articles(engine: Engine, n_articles: int, threshold: int = ANALYZE_AFTER_NEW_ROWS) -> bool:
    """Count the rows new articles wrote; ANALYZE once more than `threshold`, or ANALYZE_AFTER_SHARE of the rows the
    last ANALYZE counted, accumulated. True when it ran."""
    if engine.dialect.name != "postgresql" or n_articles <= 0:
        return False
    with _lock:
        pending = _pending_rows.get(engine, 0) + n_articles * ROWS_PER_NEW_ARTICLE
        _pending_rows[engine] = pending
        due = max(threshold, ANALYZE_AFTER_SHARE * _rows_at_analyze.get(engine, 0.0))
    if pending <= due:
        return False
    try:
        return analyze(engine, INGEST_TABLES)
    except SQLAlchemyError as exc:  # statistics are an optimisation: never fail the ingest over them
        log.warning("ANALYZE gagal: %s", exc)
        return False
