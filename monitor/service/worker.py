"""Runs background jobs: retraining a candidate and rescoring a date range after a promotion or rollback.

`JobWorker` is a thread of the web process that drains the job table and ends when nothing waits;
front doors wake it after submitting. `run_job` is also what the CLI calls to run a job in the foreground.
"""
from __future__ import annotations

import logging
import threading
from datetime import date, timedelta

from sqlalchemy import Engine, func, select

from classifiers.artifacts import ModelIntegrityError
from monitor.config import TrainingSettings
from monitor.db.models import Alert
from monitor.db.session import session_scope
from monitor.service import jobs, model_registry, retrain
from monitor.service.flow import rescore
from monitor.timezones import today_wib

log = logging.getLogger("waspada.jobs")


def rescore_params(version: str, start: date, end: date) -> dict:
    """The parameters of a rescore job: the model that must still be active, and the WIB days (both inclusive)."""
    return {"version": version, "start": start.isoformat(), "end": end.isoformat()}


RESCORE_DAYS = 30  # the range a promotion rescored by default: the last 30 days (WIB) up to today


def default_rescore_range() -> tuple[date, date]:
    """The default rescore range of a promotion or rollback: the last RESCORE_DAYS days up to today (WIB)."""
    today = today_wib()
    return today - timedelta(days=RESCORE_DAYS), today


def _check_range(start: date, end: date) -> None:
    if start > end:
        raise model_registry.RegistryError("tanggal awal skor ulang jatuh sesudah tanggal akhirnya")


def promote_and_rescore(engine: Engine, version: str, actor: str, start: date, end: date, force: bool = False,
                        reason: str = "", address: str = "") -> tuple[model_registry.ModelRecord, int]:
    """Promote `version` (audited) and queue the rescore of `start`..`end` with it, in one transaction."""
    _check_range(start, end)
    with session_scope(engine) as session:
        record = model_registry.promote(session, version, actor, force, reason, address)
        job_id = jobs.submit(session, "skor_ulang", rescore_params(record.version, start, end), actor)
    return record, job_id


def rollback_and_rescore(engine: Engine, actor: str, start: date, end: date, reason: str = "",
                         address: str = "") -> tuple[str, int]:
    """Roll back to the model promoted before (audited) and queue the rescore with it; returns its version."""
    _check_range(start, end)
    with session_scope(engine) as session:
        record = model_registry.rollback(session, actor, reason, address)
        version = record.version if record else str(model_registry.active_card(session).get("version", ""))
        job_id = jobs.submit(session, "skor_ulang", rescore_params(version, start, end), actor)
    return version, job_id

def _train(engine: Engine, job: jobs.JobRecord, training: TrainingSettings) -> tuple[dict, str]:
    record = retrain.train_candidate(engine, training, job.created_by, job.params.get("max_items"),
                                     progress=lambda pct, message: jobs.report(engine, job.id, pct, message))
    verdict = ("lebih buruk pada set beku: " + "; ".join(record.evaluation["worse_on_frozen"])
               if record.evaluation["worse_on_frozen"] else "tidak lebih buruk pada set beku")
    return {"version": record.version}, f"Kandidat {record.version} siap ({verdict})."


def _rescore(engine: Engine, job: jobs.JobRecord, _training: TrainingSettings) -> tuple[dict, str]:
    version = job.params["version"]
    with session_scope(engine) as session:
        active = model_registry.active_model(session)
        active_version = str(model_registry.active_card(session).get("version", ""))
    if active_version != version:
        raise model_registry.RegistryError(f"model {version} tidak lagi aktif; skor ulang dibatalkan agar versi "
                                           "tidak bercampur")
    start, end = date.fromisoformat(job.params["start"]), date.fromisoformat(job.params["end"])
    jobs.report(engine, job.id, 10, f"Membaca ulang berita {start.isoformat()} s.d. {end.isoformat()} "
                                    f"dengan {version}")
    done = rescore(engine, start, end + timedelta(days=1), model_registry.verified_dir(active) if active else None)
    with session_scope(engine) as session:
        others = session.execute(select(func.count()).select_from(Alert).where(
            Alert.first_seen_day >= start, Alert.first_seen_day <= end, Alert.model_version != version)).scalar_one()
    note = (f" {others} peringatan dalam rentang ini tetap dari model lain: model {version} tidak menganggap ceritanya "
            "peringatan (status dan riwayatnya disimpan)." if others else "")
    return ({"classified": done.classified, "failed": done.failed, "alerts_created": done.alerts.created,
             "alerts_of_other_models": others},
            f"Skor ulang selesai: {done.classified} berita dibaca ulang dengan {version}, {done.failed} gagal.{note}")

HANDLERS = {"latih": _train, "skor_ulang": _rescore}


def run_job(engine: Engine, job: jobs.JobRecord, training: TrainingSettings) -> bool:
    """Run a claimed job to its end; a failure is stored on the job (never raised). True when it succeeded."""
    try:
        result, message = HANDLERS[job.kind](engine, job, training)
    except (model_registry.RegistryError, ModelIntegrityError) as exc:
        jobs.fail(engine, job.id, f"Gagal: {exc}")
        return False
    except Exception as exc:  # any failure of a background job is stored on it for the page
        log.exception("tugas %d (%s) gagal", job.id, job.kind)
        jobs.fail(engine, job.id, f"Gagal: {type(exc).__name__}: {exc}")
        return False
    jobs.finish(engine, job.id, result, message)
    return True


def run_pending(engine: Engine, training: TrainingSettings) -> int:
    """Run every waiting job in this thread; returns how many ran."""
    count = 0
    while (job := jobs.claim_next(engine)) is not None:
        run_job(engine, job, training)
        count += 1
    return count


class JobWorker:
    """A thread that drains the job table, started by `wake()` and ending when no job waits."""

    def __init__(self, engine: Engine, training: TrainingSettings):
        self.engine = engine
        self.training = training
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False
        self._orphans_checked = False

    def wake(self) -> None:
        """Make sure waiting jobs get run (starts the thread, or tells the running one to look again)."""
        with self._lock:
            if self._thread is not None:  # running: it looks again before it ends
                self._again = True
                return
            self._thread = threading.Thread(target=self._drain, name="waspada-jobs", daemon=True)
            self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to finish (tests, shutdown)."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _drain(self) -> None:
        try:
            if not self._orphans_checked:
                jobs.fail_orphans(self.engine)
                self._orphans_checked = True
            while True:
                run_pending(self.engine, self.training)
                with self._lock:
                    if not self._again:
                        self._thread = None  # under the lock: a later wake() starts a new thread
                        return
                    self._again = False
        except Exception:  # e.g. the database is unreachable: the next wake() tries again
            log.exception("pekerja tugas latar berhenti")
            with self._lock:
                self._thread = None
