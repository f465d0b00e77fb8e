"""Mail settings from the environment, and the scheduler's daily digest job."""
from __future__ import annotations

import logging
import re
from datetime import datetime, time, timedelta, timezone

import pytest

from monitor.config import Settings
from monitor.digest.send import MailSettings, MailSettingsError
from monitor.scheduler import build_scheduler, send_daily_digest

WIB = timezone(timedelta(hours=7))
MAIL_VARIABLES = ("WASPADA_SMTP_HOST", "WASPADA_SMTP_PORT", "WASPADA_SMTP_USER", "WASPADA_SMTP_PASSWORD",
                  "WASPADA_SMTP_SECURITY", "WASPADA_MAIL_FROM", "WASPADA_BASE_URL", "WASPADA_DIGEST_TIME",
                  "WASPADA_SMTP_TIMEOUT", "WASPADA_DIGEST_MAX_ATTEMPTS", "WASPADA_DIGEST_RETRY_SECONDS",
                  "WASPADA_DIGEST_CLAIM_STALE_MINUTES")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    for name in MAIL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_defaults_and_values_from_the_environment(monkeypatch):
    defaults = MailSettings.from_env()
    assert not defaults.configured
    assert (defaults.security, defaults.smtp_port, defaults.digest_time) == ("starttls", 587, time(6, 30))
    monkeypatch.setenv("WASPADA_SMTP_HOST", "surel.kalteng.example")
    monkeypatch.setenv("WASPADA_SMTP_SECURITY", "SSL")
    monkeypatch.setenv("WASPADA_SMTP_PASSWORD", "rahasia")
    monkeypatch.setenv("WASPADA_MAIL_FROM", "Waspada <waspada@kalteng.example>")
    monkeypatch.setenv("WASPADA_BASE_URL", "https://waspada.kalteng.example/")
    monkeypatch.setenv("WASPADA_DIGEST_TIME", "07.15")
    monkeypatch.setenv("WASPADA_DIGEST_MAX_ATTEMPTS", "5")
    settings = MailSettings.from_env()
    assert settings.configured and settings.smtp_port == 465 and settings.security == "ssl"
    assert settings.base_url == "https://waspada.kalteng.example"
    assert settings.digest_time == time(7, 15) and settings.max_attempts == 5
    assert "rahasia" not in repr(settings)


@pytest.mark.parametrize("name, value, message", [
    ("WASPADA_SMTP_SECURITY", "tls", "WASPADA_SMTP_SECURITY harus salah satu dari none, starttls, ssl"),
    ("WASPADA_DIGEST_TIME", "25:00", "WASPADA_DIGEST_TIME harus berupa JJ:MM"),
    ("WASPADA_DIGEST_TIME", "pagi", "WASPADA_DIGEST_TIME harus berupa JJ:MM"),
    ("WASPADA_BASE_URL", "javascript:alert(1)", "WASPADA_BASE_URL harus alamat http(s)"),
    ("WASPADA_SMTP_PORT", "dua lima", "WASPADA_SMTP_PORT harus berupa angka"),
    ("WASPADA_DIGEST_MAX_ATTEMPTS", "0", "WASPADA_DIGEST_MAX_ATTEMPTS paling kecil 1"),
])
def test_unusable_values_are_named_in_indonesian(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(MailSettingsError, match=re.escape(message)):
        MailSettings.from_env()


def _fire_times(job, start: datetime, count: int) -> list[datetime]:
    times, moment = [], start
    for _ in range(count):
        moment = job.trigger.get_next_fire_time(None, moment)
        times.append(moment.astimezone(WIB))
        moment += timedelta(seconds=1)
    return times


def test_the_digest_job_runs_at_the_digest_time_in_wib_then_hourly_for_retries(monkeypatch):
    job = build_scheduler(None, Settings.from_env()).get_job("send_daily_digest")
    times = _fire_times(job, datetime(2026, 12, 6, 23, 0, tzinfo=timezone.utc), 7)  # 06:00 WIB on 7 December
    assert [(t.day, t.hour, t.minute) for t in times] == [(7, 6, 30), (7, 7, 30), (7, 8, 30), (7, 9, 30),
                                                          (7, 10, 30), (7, 11, 30), (8, 6, 30)]
    monkeypatch.setenv("WASPADA_DIGEST_TIME", "21:45")
    job = build_scheduler(None, Settings.from_env()).get_job("send_daily_digest")
    times = _fire_times(job, datetime(2026, 12, 7, 0, 0, tzinfo=timezone.utc), 4)
    assert [(t.day, t.hour, t.minute) for t in times] == [(7, 21, 45), (7, 22, 45), (7, 23, 45), (8, 21, 45)]


def test_a_bad_digest_time_leaves_the_monitor_running_without_the_digest_job(monkeypatch, caplog):
    monkeypatch.setenv("WASPADA_DIGEST_TIME", "pagi")
    jobs = {job.id for job in build_scheduler(None, Settings.from_env()).get_jobs()}
    assert jobs == {"fetch_due_feeds", "recompute_recent_levels"}
    assert "ringkasan harian tidak dijadwalkan: WASPADA_DIGEST_TIME harus berupa JJ:MM" in caplog.text


def test_the_job_without_smtp_settings_sends_nothing_and_says_so(engine, caplog):
    caplog.set_level(logging.INFO, logger="waspada.scheduler")
    send_daily_digest(engine)
    assert "ringkasan harian tidak dikirim: WASPADA_SMTP_HOST dan WASPADA_MAIL_FROM belum diatur" in caplog.text
