"""Engine creation (SQLite pragmas, PostgreSQL) and migrations to head."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from classifiers.layout import make_private_folders
from monitor.db import locks
from monitor.db.statistics import analyze

MIGRATIONS_DIR = Path(str(resources.files("monitor.db").joinpath("migrations")))  # alembic reads a real folder


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # under WAL: durable at checkpoints, never corrupt
    # savepoint (statement) journals in memory: ingest stores every document in a savepoint, and on disk
    # these journals were about a third of all bytes written (they only matter until the transaction ends)
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _private_sqlite_file(path: Path) -> None:
    """Create the database file (and any missing folders) readable by its owner only.

    SQLite gives its -wal and -shm files the permissions of the database file, so they follow.
    """
    make_private_folders(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        path.chmod(0o600)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout, enforced foreign keys and an owner-only file."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            _private_sqlite_file(Path(path))
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    """Alembic config pointing at the packaged migrations and at this engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision` (creates it on first use); one process at a time."""
    with locks.held(engine, locks.MIGRATIONS):
        command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate the database down to `revision`; one process at a time."""
    with locks.held(engine, locks.MIGRATIONS):
        command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None when it was never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def open_database(url: str, migrate: bool = True) -> Engine:
    """Engine for `url`, migrated to head unless told otherwise; statistics are gathered after a migration."""
    engine = make_engine(url)
    if migrate:
        # processes started together (several workers on a fresh database) queue here: the first
        # migrates, the others find the database at head and do nothing
        with locks.held(engine, locks.MIGRATIONS):
            before = current_revision(engine)
            command.upgrade(alembic_config(engine), "head")
            changed = current_revision(engine) != before
        if changed:
            analyze(engine)
    return engine


def begin_writing(session: Session) -> None:
    """Open the session's transaction now, as a write transaction, so that savepoints inside it nest.

    Call it before the first savepoint of a session that writes in savepoints (a transaction that a write
    already opened is kept as it is). Python's sqlite3 module
    (legacy transaction control, Python 3.11) opens a transaction only before a data-changing statement: a
    SAVEPOINT issued first is then itself the outermost transaction, and its RELEASE commits, so every
    savepoint of a batch would be a commit of its own (the batch is not atomic, and each commit writes its
    pages again). BEGIN IMMEDIATE takes SQLite's write lock at once, waiting for another writer under
    busy_timeout. PostgreSQL begins its transactions properly: nothing to do there.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    connection = session.connection()
    if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]  # a live connection
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
