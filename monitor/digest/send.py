"""Mailing the daily digest: settings, the message, and one claimed delivery per user and day.

Each subscriber's delivery is claimed in the database before sending (monitor/service/digest.py),
so concurrent runs mail every user once. A transient SMTP failure (4xx, a dropped or refused
connection, a timeout) is retried a few times with a short back-off; the outcome (terkirim or
gagal, attempts, the last error) is stored on the delivery. A failed delivery is retried by a
later run of the same day; the digest itself is never lost, since it is composed from the
database whenever it is asked for. The SMTP password is never logged or stored in an error.
"""
from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import time as time_module
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache

from sqlalchemy import Engine

from monitor.db.models import present
from monitor.db.session import session_scope
from monitor.digest.compose import DEFAULT_DIGEST_TIME, compose_digest
from monitor.digest.render import MAP_CID, render_digest_email_html, render_digest_text, subject_line
from monitor.render.links import safe_href
from monitor.render.map import map_png
from monitor.service.digest import Subscriber, claim_delivery, record_delivery, subscribers

log = logging.getLogger("waspada.digest")

SECURITIES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


class MailSettingsError(ValueError):
    """A WASPADA_SMTP_* / WASPADA_MAIL_* / WASPADA_DIGEST_* value is unusable (message in Indonesian)."""


def _parse_time(value: str) -> time:
    match = re.fullmatch(r"\s*(\d{1,2})[:.](\d{2})\s*", value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise MailSettingsError(f"WASPADA_DIGEST_TIME harus berupa JJ:MM (mis. 06:30), bukan '{value}'")
    return time(int(match[1]), int(match[2]))


def _number(name: str, default: float, minimum: float, kind=float):
    value = os.environ.get(name, "")
    if value.strip() == "":
        return default
    try:
        number = kind(value)
    except ValueError:
        raise MailSettingsError(f"{name} harus berupa angka, bukan '{value}'") from None
    if number < minimum:
        raise MailSettingsError(f"{name} paling kecil {minimum:g}, bukan {value}")
    return number


@dataclass(frozen=True)
class MailSettings:
    """Where and how digests are mailed; build with `MailSettings.from_env()`."""

    host: str = ""
    port: int = 0  # 0: the usual port of `security` (25, 587, 465)
    user: str = ""
    password: str = field(default="", repr=False)
    security: str = "starttls"  # none | starttls | ssl
    mail_from: str = ""
    base_url: str = ""  # the web app's address, for links in the email
    digest_time: time = DEFAULT_DIGEST_TIME  # WIB
    timeout: float = 30.0  # seconds per SMTP connection
    max_attempts: int = 3  # sends of one message in one run
    retry_seconds: float = 5.0  # back-off before the 2nd attempt, doubled for each next one
    claim_stale_minutes: float = 30.0  # a 'menunggu' delivery older than this was left by a process that died

    @property
    def configured(self) -> bool:
        return bool(self.host and self.mail_from)

    @property
    def smtp_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]

    @classmethod
    def from_env(cls) -> MailSettings:
        """Read WASPADA_SMTP_HOST, _PORT, _USER, _PASSWORD, _SECURITY, WASPADA_MAIL_FROM, WASPADA_BASE_URL,
        WASPADA_DIGEST_TIME, WASPADA_SMTP_TIMEOUT, WASPADA_DIGEST_MAX_ATTEMPTS, WASPADA_DIGEST_RETRY_SECONDS,
        WASPADA_DIGEST_CLAIM_STALE_MINUTES; raise MailSettingsError on an unusable value."""
        env = os.environ.get
        security = env("WASPADA_SMTP_SECURITY", cls.security).strip().lower() or cls.security
        if security not in SECURITIES:
            raise MailSettingsError(f"WASPADA_SMTP_SECURITY harus salah satu dari {', '.join(SECURITIES)}, "
                                    f"bukan '{security}'")
        base_url = env("WASPADA_BASE_URL", "").strip().rstrip("/")
        if base_url and (not base_url.lower().startswith(("http://", "https://")) or not safe_href(base_url)):
            raise MailSettingsError(f"WASPADA_BASE_URL harus alamat http(s), bukan '{base_url}'")
        return cls(
            host=env("WASPADA_SMTP_HOST", "").strip(),
            port=_number("WASPADA_SMTP_PORT", 0, 0, int),
            user=env("WASPADA_SMTP_USER", ""),
            password=env("WASPADA_SMTP_PASSWORD", ""),
            security=security,
            mail_from=env("WASPADA_MAIL_FROM", "").strip(),
            base_url=base_url,
            digest_time=_parse_time(env("WASPADA_DIGEST_TIME", "06:30")),
            timeout=_number("WASPADA_SMTP_TIMEOUT", cls.timeout, 1),
            max_attempts=_number("WASPADA_DIGEST_MAX_ATTEMPTS", cls.max_attempts, 1, int),
            retry_seconds=_number("WASPADA_DIGEST_RETRY_SECONDS", cls.retry_seconds, 0),
            claim_stale_minutes=_number("WASPADA_DIGEST_CLAIM_STALE_MINUTES", cls.claim_stale_minutes, 1),
        )


@dataclass(frozen=True)
class DeliveryOutcome:
    """What happened to one subscriber's digest in this run."""

    username: str
    email: str
    status: str  # terkirim | gagal | dilewati
    attempts: int = 0  # in this run
    error: str = ""
    alerts: int = 0  # new alerts in the digest sent


def _mailbox(name: str, address: str) -> Address:
    name = re.sub(r"\s+", " ", name).strip()  # a line break in a display name must not start a header
    username, _, domain = address.strip().rpartition("@")
    try:
        if not username or not domain:
            raise ValueError(address)
        return Address(display_name=name, username=username, domain=domain)
    except ValueError:
        raise ValueError(f"alamat email tidak sah: '{address}'") from None


def build_message(digest, settings: MailSettings, recipient: Address, map_image: bytes) -> EmailMessage:
    """The email: multipart/alternative of plain text and HTML, the HTML with the map PNG inline (Content-ID)."""
    message = EmailMessage()
    message["Subject"] = subject_line(digest)
    message["From"] = settings.mail_from
    message["To"] = recipient
    message["Date"] = format_datetime(datetime.now(UTC))
    sender_domain = settings.mail_from.rpartition("@")[2].strip("> ") or "waspada.invalid"
    message["Message-ID"] = make_msgid("ringkasan", domain=sender_domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a robot
    map_cid = make_msgid(MAP_CID, domain=sender_domain)
    message.set_content(render_digest_text(digest))
    message.add_alternative(render_digest_email_html(digest, map_cid=map_cid[1:-1]), subtype="html")
    html = present(message.get_body(preferencelist=("html",)))  # the alternative just added
    html.add_related(map_image, maintype="image", subtype="png", cid=map_cid, filename="peta-tingkat.png",
                     disposition="inline")
    return message


def _smtp_error(exc: BaseException, settings: MailSettings) -> tuple[str, bool]:
    """An Indonesian description of a send failure and whether trying again may help."""
    where = f"{settings.host}:{settings.smtp_port}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
                           for code, text in exc.recipients.values())
        return f"alamat penerima ditolak server SMTP {where}: {detail}", all(400 <= c < 500 for c in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"server SMTP {where} menjawab {exc.smtp_code} {text}", 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"server SMTP {where} memutus sambungan: {exc}", True
    if isinstance(exc, (smtplib.SMTPNotSupportedError, ssl.SSLError)):  # settings to fix: trying again cannot help
        return f"server SMTP {where} tidak cocok dengan pengaturan: {type(exc).__name__}: {exc}", False
    if isinstance(exc, (OSError, smtplib.SMTPException)):  # refused, unreachable, timeout
        return f"tidak dapat mengirim lewat server SMTP {where}: {type(exc).__name__}: {exc}", True
    return f"galat saat mengirim: {type(exc).__name__}: {exc}", False


def send_message(message: EmailMessage, settings: MailSettings) -> None:
    """Send one message over a fresh SMTP connection; raises smtplib/OSError exceptions."""
    context = ssl.create_default_context() if settings.security != "none" else None
    smtp: smtplib.SMTP
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(settings.host, settings.smtp_port, timeout=settings.timeout, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.smtp_port, timeout=settings.timeout)
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if settings.user:
            smtp.login(settings.user, settings.password)
        smtp.send_message(message)


def _send_with_retries(message: EmailMessage, settings: MailSettings) -> tuple[int, str]:
    """(attempts made, last error or ''); retries only failures that may pass."""
    error = ""
    for attempt in range(1, settings.max_attempts + 1):
        try:
            send_message(message, settings)
            return attempt, ""
        except Exception as exc:  # noqa: BLE001 - every failure becomes the delivery's recorded error
            error, transient = _smtp_error(exc, settings)
            log.warning("ringkasan ke %s gagal (percobaan %d dari %d): %s", message["To"], attempt,
                        settings.max_attempts, error)
            if not transient or attempt == settings.max_attempts:
                return attempt, error
            time_module.sleep(settings.retry_seconds * 2 ** (attempt - 1))
    return settings.max_attempts, error


@lru_cache(maxsize=4)
def _map_image(levels: tuple[tuple[str, str], ...]) -> bytes:
    """The map PNG, drawn once for all subscribers of a day (and for the job's hourly re-runs)."""
    return map_png(dict(levels))


def _deliver(engine: Engine, person: Subscriber, day: date, settings: MailSettings) -> DeliveryOutcome:
    now = datetime.now(UTC)
    claim = claim_delivery(engine, person.user_id, day, now, timedelta(minutes=settings.claim_stale_minutes))
    if not claim.won:
        why = "sudah terkirim" if claim.status == "terkirim" else "sedang dikirim proses lain"
        return DeliveryOutcome(person.username, person.email, "dilewati", error=why)
    try:
        recipient = _mailbox(person.display_name, person.email)
    except ValueError as exc:
        record_delivery(engine, claim, False, 0, str(exc), datetime.now(UTC))
        return DeliveryOutcome(person.username, person.email, "gagal", 0, str(exc))
    try:
        with session_scope(engine) as session:
            digest = compose_digest(session, day, list(person.scope.kabupaten), list(person.scope.categories),
                                    base_url=settings.base_url, digest_time=settings.digest_time)
        message = build_message(digest, settings, recipient, _map_image(tuple(sorted(digest.map_levels.items()))))
    except Exception as exc:  # recorded on the delivery; the other users still get theirs
        log.exception("ringkasan untuk %s tidak dapat disusun", person.username)
        error = f"ringkasan tidak dapat disusun: {type(exc).__name__}: {exc}"
        record_delivery(engine, claim, False, 0, error, datetime.now(UTC))
        return DeliveryOutcome(person.username, person.email, "gagal", 0, error)
    attempts, error = _send_with_retries(message, settings)
    if not record_delivery(engine, claim, not error, attempts, error, datetime.now(UTC)):
        log.warning("pengiriman ringkasan %s untuk %s diambil alih proses lain", day, person.username)
    return DeliveryOutcome(person.username, person.email, "gagal" if error else "terkirim", attempts, error,
                           len(digest.alerts))


def send_digests(engine: Engine, day: date, settings: MailSettings, username: str | None = None
                 ) -> list[DeliveryOutcome]:
    """Mail the digest of `day` to every subscriber (or only `username`) not yet served; one outcome each.

    Raises MailSettingsError when no SMTP server or sender is configured (nothing is claimed then).
    """
    if not settings.configured:
        raise MailSettingsError("WASPADA_SMTP_HOST dan WASPADA_MAIL_FROM belum diatur: ringkasan tidak dikirim")
    with session_scope(engine) as session:
        people = subscribers(session, username)
    return [_deliver(engine, person, day, settings) for person in people]
