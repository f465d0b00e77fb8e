"""Migrations upgrade and downgrade cleanly on SQLite and PostgreSQL and match the models."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from monitor.db.models import Base, Feed
from monitor.db.session import alembic_config, downgrade, make_engine, session_scope, upgrade

TABLES = {"feeds", "fetch_attempts", "raw_documents", "story_clusters", "articles", "article_bands"}


def tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def revision(engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine) -> str:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


@pytest.fixture
def bare_engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def test_upgrade_downgrade_upgrade(bare_engine):
    assert tables(bare_engine) == set()
    upgrade(bare_engine)
    assert TABLES <= tables(bare_engine)
    assert revision(bare_engine) == head_revision(bare_engine)
    upgrade(bare_engine)  # again: nothing to do
    downgrade(bare_engine, "0001")  # each step down works on its own
    assert revision(bare_engine) == "0001"
    downgrade(bare_engine)
    assert tables(bare_engine) & TABLES == set()
    assert revision(bare_engine) is None
    upgrade(bare_engine)
    assert TABLES <= tables(bare_engine)
    with session_scope(bare_engine) as session:
        session.add(Feed(id="x", name="x", url="https://x.example.id", configured_url="https://x.example.id", outlet="x",
                         region="62", poll_interval_seconds=600, enabled=True, verified=False, notes="",
                         current_interval_seconds=600, error_count=0))


def test_models_match_the_migrations(bare_engine):
    upgrade(bare_engine)
    with bare_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_aware_utc_times_round_trip(engine):
    wib = timezone(timedelta(hours=7))
    local = datetime(2025, 2, 10, 13, 30, tzinfo=wib)
    with session_scope(engine) as session:
        session.add(Feed(id="x", name="x", url="https://x.example.id", configured_url="https://x.example.id", outlet="x",
                         region="62", next_check_at=local))
    with session_scope(engine) as session:
        value = session.scalar(select(Feed.next_check_at))
    assert value == local and value.utcoffset() == timedelta(0)
    with pytest.raises(Exception, match="naive"):
        with session_scope(engine) as session:
            session.add(Feed(id="y", name="y", url="https://y.example.id", configured_url="https://y.example.id",
                             outlet="y", region="62", next_check_at=datetime(2025, 2, 10, 13, 30)))


def test_sqlite_pragmas(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'w.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10000
    engine.dispose()
