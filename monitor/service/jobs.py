"""Background jobs as database rows: submitted by a front door, claimed once by a worker, progress and result stored.

A job is claimed with a conditional UPDATE (status still 'menunggu'), so two workers never run the same
job. A job left 'berjalan' by a process that died is marked failed when a worker starts (`fail_orphans`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from monitor.db.models import Job, utcnow
from monitor.db.session import session_scope
from monitor.db.upsert import matched_rows

WAITING, RUNNING, DONE, FAILED = "menunggu", "berjalan", "selesai", "gagal"
KIND_NAMES = {"latih": "Latih ulang model", "skor_ulang": "Skor ulang berita"}
STATUS_NAMES = {WAITING: "Menunggu", RUNNING: "Berjalan", DONE: "Selesai", FAILED: "Gagal"}
MAX_MESSAGE = 2000


@dataclass(frozen=True)
class JobRecord:
    """A job as pages show it."""

    id: int
    kind: str
    status: str
    progress: int
    message: str
    params: dict
    result: dict
    created_by: str
    created_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, self.status)


def _record(row: Job) -> JobRecord:
    return JobRecord(row.id, row.kind, row.status, row.progress, row.message, dict(row.params or {}),
                     dict(row.result or {}), row.created_by, row.created_at, row.finished_at)


def submit(session: Session, kind: str, params: dict, actor: str) -> int:
    """Queue a job; returns its id (a worker picks it up)."""
    if kind not in KIND_NAMES:
        raise ValueError(f"unknown job kind {kind!r}")
    row = Job(kind=kind, status=WAITING, progress=0, message="Menunggu giliran", params=params, result={},
              created_by=actor)
    session.add(row)
    session.flush()
    return row.id


def get_job(session: Session, job_id: int) -> JobRecord | None:
    row = session.get(Job, job_id)
    return _record(row) if row else None


def recent_jobs(session: Session, limit: int = 10) -> list[JobRecord]:
    """The newest jobs first."""
    return [_record(r) for r in session.scalars(select(Job).order_by(Job.id.desc()).limit(limit))]


def claim_next(engine: Engine) -> JobRecord | None:
    """The oldest waiting job, now marked running by this caller; None when nothing waits or another worker won."""
    with session_scope(engine) as session:
        job_id = session.scalar(select(Job.id).where(Job.status == WAITING).order_by(Job.id).limit(1))
        if job_id is None:
            return None
        now = utcnow()
        claimed = matched_rows(session, update(Job).where(Job.id == job_id, Job.status == WAITING).values(
            status=RUNNING, started_at=now, updated_at=now, message="Dimulai"))
        return _record(session.get_one(Job, job_id)) if claimed else None


def report(engine: Engine, job_id: int, progress: int, message: str) -> None:
    """Store a running job's progress (percent) and what it is doing."""
    with session_scope(engine) as session:
        session.execute(update(Job).where(Job.id == job_id).values(
            progress=max(0, min(100, progress)), message=message[:MAX_MESSAGE], updated_at=utcnow()))


def finish(engine: Engine, job_id: int, result: dict, message: str) -> None:
    _close(engine, job_id, DONE, result, message, progress=100)


def fail(engine: Engine, job_id: int, message: str) -> None:
    _close(engine, job_id, FAILED, {}, message)


def _close(engine: Engine, job_id: int, status: str, result: dict, message: str, progress: int | None = None) -> None:
    values = {"status": status, "result": result, "message": message[:MAX_MESSAGE], "updated_at": utcnow(),
              "finished_at": utcnow()}
    if progress is not None:
        values["progress"] = progress
    with session_scope(engine) as session:
        session.execute(update(Job).where(Job.id == job_id).values(**values))


def fail_orphans(engine: Engine, quiet_for: timedelta = timedelta(minutes=30)) -> int:
    """Mark failed the running jobs that reported nothing for `quiet_for` (their process died); returns how many."""
    with session_scope(engine) as session:
        return matched_rows(session, update(Job).where(
            Job.status == RUNNING, Job.updated_at < utcnow() - quiet_for).values(
            status=FAILED, finished_at=utcnow(), updated_at=utcnow(),
            message="Terputus: proses yang menjalankannya berhenti. Jalankan lagi."))
