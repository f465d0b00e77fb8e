"""Named locks shared by every process using one database.

PostgreSQL: session advisory locks (`pg_advisory_lock`), held on a connection of their own, so they
are released by the server when the holding process dies. SQLite: an exclusive `flock` on a lock
file beside the database file (released by the kernel when the process dies). An in-memory SQLite
database lives in one process: a process-local lock does.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

MIGRATIONS = "migrations"
ALERT_STAGE = "alert-stage"
FEEDS_SYNC = "feeds-sync"  # feeds.yaml into the feeds table, by processes starting together
SCHEDULER = "scheduler"  # SQLite: the one `waspada run` a database file allows
LEADER = "leader"  # PostgreSQL: the process that runs the daily jobs

RETRY_SECONDS = 0.1  # how often `acquire(timeout=...)` tries again

_local_locks: dict[tuple[str, str], threading.Lock] = {}
_local_guard = threading.Lock()


class LockBusy(RuntimeError):
    """The lock is held by another process (only raised by non-blocking acquisition)."""


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for a lock name (the argument of pg_advisory_lock)."""
    return int.from_bytes(hashlib.sha256(f"waspada:{name}".encode()).digest()[:8], "big", signed=True)


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of an SQLite engine; None for in-memory databases and other engines."""
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:" \
            or url.database.startswith("file:"):
        return None
    return Path(url.database).resolve()


class NamedLock:
    """One named lock on one database: `acquire(wait)`, `release()`, or use `held(...)`."""

    def __init__(self, engine: Engine, name: str):
        self.engine, self.name = engine, name
        self._connection: Connection | None = None
        self._fd: int | None = None
        self._local: threading.Lock | None = None

    @property
    def acquired(self) -> bool:
        return self._connection is not None or self._fd is not None or self._local is not None

    def acquire(self, wait: bool = True, timeout: float | None = None) -> bool:
        """Take the lock; with wait=False return False at once when another holder has it, with a `timeout`
        (seconds) keep trying that long first."""
        if timeout is not None:
            deadline = time.monotonic() + timeout
            while not self._try_once(wait=False):
                if time.monotonic() >= deadline:
                    return False
                time.sleep(RETRY_SECONDS)
            return True
        return self._try_once(wait)

    def _try_once(self, wait: bool) -> bool:
        if self.engine.dialect.name == "postgresql":
            return self._acquire_advisory(wait)
        path = sqlite_file(self.engine)
        if path is not None:
            return self._acquire_file(path, wait)
        return self._acquire_local(wait)

    def release(self) -> None:
        """Give the lock back (a no-op when not held)."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(self.name)})
            finally:
                connection.close()  # a lost connection released the lock already
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor drops the flock
        if self._local is not None:
            lock, self._local = self._local, None
            lock.release()

    def still_held(self) -> bool:
        """For a long-held lock: False when its PostgreSQL connection was lost (and with it the lock)."""
        if self._connection is None:
            return self.acquired
        try:
            self._connection.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - any failure means the session, and its lock, is gone
            self._connection.invalidate()
            self._connection = None
            return False

    def holder_pid(self) -> str:
        """The PID written by the current holder of an SQLite lock file ('' when unknown)."""
        path = sqlite_file(self.engine)
        if path is None:
            return ""
        try:
            return _lock_path(path, self.name).read_text().strip()
        except OSError:
            return ""

    def _acquire_advisory(self, wait: bool) -> bool:
        connection = self.engine.connect()
        try:
            key = {"key": advisory_key(self.name)}
            if wait:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
                got = True
            else:
                got = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), key))
            connection.commit()  # end the implicit transaction; the session lock stays
        except BaseException:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def _acquire_file(self, database: Path, wait: bool) -> bool:
        fd = os.open(_lock_path(database, self.name), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return True

    def _acquire_local(self, wait: bool) -> bool:
        with _local_guard:
            lock = _local_locks.setdefault((str(self.engine.url), self.name), threading.Lock())
        if not lock.acquire(blocking=wait):
            return False
        self._local = lock
        return True


def _lock_path(database: Path, name: str) -> Path:
    return database.with_name(f"{database.name}.{name}.lock")


@contextmanager
def held(engine: Engine, name: str, wait: bool = True, timeout: float | None = None) -> Iterator[NamedLock]:
    """Hold the named lock for the block; with wait=False (or after `timeout` seconds) raise LockBusy when another
    process has it."""
    lock = NamedLock(engine, name)
    if not lock.acquire(wait, timeout):
        raise LockBusy(name)
    try:
        yield lock
    finally:
        lock.release()
