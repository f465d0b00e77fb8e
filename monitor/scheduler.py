"""The monitor process: APScheduler looks for due feeds every `check_seconds` and runs the daily jobs."""
from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from monitor.config import Settings
from monitor.db import locks
from monitor.service.flow import RECENT_DAYS, recompute_levels, run_cycle
from monitor.timezones import today_wib

log = logging.getLogger("waspada.scheduler")
DIGEST_RETRY_HOURS = 5  # after the digest time, the job runs hourly this often: each run mails only what is unsent


def logged_failures(job):
    """`job` that logs any exception it raises instead of raising it: one failing tick never stops the scheduler,
    and the next tick runs as planned."""

    @functools.wraps(job)
    def run(*args, **kwargs) -> None:
        try:
            job(*args, **kwargs)
        except Exception:
            log.exception("tugas %s gagal; dicoba lagi pada jadwal berikutnya", job.__name__)

    return run


@logged_failures
def fetch_due_feeds(engine: Engine, settings: Settings) -> None:
    """One scheduler tick: fetch the feeds whose next check has come; log a line when it did work."""
    report = run_cycle(engine, settings, only_due=True)
    if not report.feeds:
        return
    log.info("siklus: %d feed diambil, %d item baru, %d gagal", len(report.feeds), report.n_new, report.n_failed)
    if report.stage:
        log.info("deteksi dini: %d diklasifikasi, %d gagal diklasifikasi, %d peringatan baru, "
                 "%d cerita/peristiwa gagal di tahap peringatan (lihat `waspada alerts failures`)",
                 report.stage.classified, report.stage.failed, report.stage.alerts.created, report.stage.alerts.failed)


class Leadership:
    """Which process runs the daily jobs: the holder of the database's leader lock.

    On PostgreSQL every worker asks before each daily job; the first to ask takes the advisory lock
    and keeps it on its own connection; when that process dies the server drops the lock and the
    next worker to ask takes over. On SQLite the one monitor process (see `claim_sqlite_monitor`)
    is always the leader.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self._lock = locks.NamedLock(engine, locks.LEADER)

    def is_leader(self) -> bool:
        """True when this process holds (or has just taken) the leader lock."""
        if self.engine.dialect.name != "postgresql":
            return True
        if self._lock.acquired and self._lock.still_held():
            return True
        if self._lock.acquire(wait=False):
            log.info("proses ini menjadi pemimpin: tugas harian (level, ringkasan) dijalankan di sini")
            return True
        return False

    def release(self) -> None:
        self._lock.release()


def leader_only(leadership: Leadership, job):
    """`job` run only by the leader, so the daily jobs run once however many workers there are."""

    def run(engine: Engine) -> None:
        if leadership.is_leader():
            job(engine)
        else:
            log.info("%s dilewati: proses lain adalah pemimpin", job.__name__)

    run.__name__ = job.__name__
    return run


def claim_sqlite_monitor(engine: Engine) -> locks.NamedLock | None:
    """SQLite allows one monitor process per database file: hold its lock, or raise LockBusy.

    Returns the held lock (None for other engines, which allow any number of workers).
    """
    if locks.sqlite_file(engine) is None:
        return None
    lock = locks.NamedLock(engine, locks.SCHEDULER)
    if not lock.acquire(wait=False):
        raise locks.LockBusy(lock.holder_pid())
    return lock


@logged_failures
def recompute_recent_levels(engine: Engine) -> None:
    """Daily job: levels of the last days, so a quiet day still steps a raised level down."""
    today = today_wib()
    rows = recompute_levels(engine, today - timedelta(days=RECENT_DAYS), today)
    log.info("level eskalasi dihitung ulang: %d catatan", rows)


@logged_failures
def send_daily_digest(engine: Engine) -> None:
    """Daily job: mail today's digest to every subscriber not yet served (a no-op without SMTP settings)."""
    from monitor.digest.send import MailSettings, MailSettingsError, send_digests
    from monitor.timezones import today_wib

    try:
        mail = MailSettings.from_env()
    except MailSettingsError as exc:
        log.error("ringkasan harian tidak dikirim: %s", exc)
        return
    if not mail.configured:
        log.info("ringkasan harian tidak dikirim: WASPADA_SMTP_HOST dan WASPADA_MAIL_FROM belum diatur")
        return
    outcomes = send_digests(engine, today_wib(), mail)
    counts = {status: sum(1 for o in outcomes if o.status == status) for status in ("terkirim", "gagal", "dilewati")}
    log.info("ringkasan harian: %d terkirim, %d gagal, %d dilewati", counts["terkirim"], counts["gagal"],
             counts["dilewati"])


def digest_hours(digest_time) -> str:
    """The cron hours of the digest job: the digest time, then hourly re-runs for failed deliveries (at most
    DIGEST_RETRY_HOURS, never past midnight)."""
    last = min(23, digest_time.hour + DIGEST_RETRY_HOURS)
    return f"{digest_time.hour}-{last}" if last > digest_time.hour else str(digest_time.hour)


def build_scheduler(engine: Engine, settings: Settings, background: bool = False,
                    leadership: Leadership | None = None) -> BaseScheduler:
    """The monitor's jobs, defined in code: the fetch job runs at start, then every `settings.check_seconds`.

    `background=True` gives a scheduler whose `start()` returns (its jobs run in threads), so the web
    server can run in the foreground of the same process; otherwise `start()` blocks.
    Its in-memory job store is never shared between processes: every worker fetches (claiming feeds,
    see `monitor.pipeline.claim_feeds`) and only the leader runs the daily jobs.
    """
    leadership = leadership or Leadership(engine)
    from monitor.digest.send import MailSettings, MailSettingsError

    try:
        digest_time = MailSettings.from_env().digest_time
    except MailSettingsError as exc:  # the monitor still fetches; the digest waits for a usable setting
        log.error("ringkasan harian tidak dijadwalkan: %s", exc)
        digest_time = None
    scheduler = (BackgroundScheduler if background else BlockingScheduler)(timezone="UTC")
    scheduler.add_job(
        fetch_due_feeds, "interval", seconds=settings.check_seconds, args=(engine, settings),
        id="fetch_due_feeds", max_instances=1, coalesce=True, next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        leader_only(leadership, recompute_recent_levels), "cron", hour=0, minute=5, timezone="Asia/Jakarta",
        args=(engine,), id="recompute_recent_levels", max_instances=1, coalesce=True,
    )
    if digest_time is None:
        return scheduler
    scheduler.add_job(
        leader_only(leadership, send_daily_digest), "cron", hour=digest_hours(digest_time), minute=digest_time.minute,
        timezone="Asia/Jakarta", args=(engine,), id="send_daily_digest", max_instances=1, coalesce=True,
    )
    return scheduler
