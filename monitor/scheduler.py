"""The monitor process: APScheduler looks for due feeds every `check_seconds` and runs the daily jobs."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from monitor.config import Settings
from monitor.service.flow import RECENT_DAYS, recompute_levels, run_cycle
from monitor.timezones import today_wib

log = logging.getLogger("waspada.scheduler")
DIGEST_RETRY_HOURS = 5  # after the digest time, the job runs hourly this often: each run mails only what is unsent


def fetch_due_feeds(engine: Engine, settings: Settings) -> None:
    """One scheduler tick: fetch the feeds whose next check has come; log a line when it did work."""
    report = run_cycle(engine, settings, only_due=True)
    if not report.feeds:
        return
    log.info("siklus: %d feed diambil, %d item baru, %d gagal", len(report.feeds), report.n_new, report.n_failed)
    if report.stage:
        log.info("deteksi dini: %d diklasifikasi, %d gagal diklasifikasi, %d peringatan baru", report.stage.classified,
                 report.stage.failed, report.stage.alerts.created)


def recompute_recent_levels(engine: Engine) -> None:
    """Daily job: levels of the last days, so a quiet day still steps a raised level down."""
    today = today_wib()
    rows = recompute_levels(engine, today - timedelta(days=RECENT_DAYS), today)
    log.info("level eskalasi dihitung ulang: %d catatan", rows)


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


def build_scheduler(engine: Engine, settings: Settings, background: bool = False) -> BaseScheduler:
    """The monitor's jobs, defined in code: the fetch job runs at start, then every `settings.check_seconds`.

    `background=True` gives a scheduler whose `start()` returns (its jobs run in threads), so the web
    server can run in the foreground of the same process; otherwise `start()` blocks.
    Its in-memory job store is never shared between processes.
    """
    from monitor.digest.send import MailSettings, MailSettingsError

    try:
        digest_time = MailSettings.from_env().digest_time
    except MailSettingsError as exc:  # the monitor still fetches; the digest waits for a usable setting
        log.error("ringkasan harian tidak dijadwalkan: %s", exc)
        digest_time = None
    scheduler = (BackgroundScheduler if background else BlockingScheduler)(timezone="UTC")
    scheduler.add_job(
        fetch_due_feeds, "interval", seconds=settings.check_seconds, args=(engine, settings),
        id="fetch_due_feeds", max_instances=1, coalesce=True, next_run_time=datetime.now(timezone.utc),
    )
    scheduler.add_job(
        recompute_recent_levels, "cron", hour=0, minute=5, timezone="Asia/Jakarta", args=(engine,),
        id="recompute_recent_levels", max_instances=1, coalesce=True,
    )
    if digest_time is None:
        return scheduler
    scheduler.add_job(
        send_daily_digest, "cron", hour=digest_hours(digest_time), minute=digest_time.minute,
        timezone="Asia/Jakarta", args=(engine,), id="send_daily_digest", max_instances=1, coalesce=True,
    )
    return scheduler
