"""Users of the web app: accounts, roles and what each role may do, sign-in with throttling,
the one-time set-up link for the first admin, and digest subscriptions. Every change is audited.

Passwords are hashed with argon2id (argon2-cffi's defaults); sign-in failures are rows of
`login_failures`, so throttling holds across processes and restarts.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from monitor.config import WebSettings
from monitor.db.models import DigestSubscription, LoginFailure, SetupToken, User
from monitor.db.upsert import matched_rows
from monitor.service import audit
from monitor.timezones import WIB

# --------------------------------------------------------------------------- roles and permissions

ROLES = ("staff", "operator", "analyst", "admin")
ROLE_NAMES = {"staff": "Staf", "operator": "Operator", "analyst": "Analis", "admin": "Admin"}

READ = "read"  # every page: dashboard, alerts, plans, digest
ALERT_STATUS = "alert.status"  # move an alert along its lifecycle
ALERT_LINK = "alert.link"  # link an alert to a RAD-PKS action by hand
PLANS_IMPORT = "plans.import"
REPORTS_EDIT = "reports.edit"  # build, submit and correct RAD-PKS period reports
LABELS_CORRECT = "labels.correct"  # correct an alert's categories and places; label the queue
MODELS_MANAGE = "models.manage"  # retrain, compare, promote and roll back category models
SOURCES_MANAGE = "sources.manage"
USERS_MANAGE = "users.manage"
SUBSCRIPTIONS_MANAGE = "subscriptions.manage"
AUDIT_READ = "audit.read"

PERMISSION_NAMES = {
    READ: "membaca dasbor, peringatan, rencana dan ringkasan",
    ALERT_STATUS: "mengubah status peringatan",
    ALERT_LINK: "menautkan peringatan ke aksi RAD-PKS",
    PLANS_IMPORT: "mengimpor rencana RAD-PKS",
    REPORTS_EDIT: "menyusun, mengajukan dan mengoreksi laporan RAD-PKS",
    LABELS_CORRECT: "mengoreksi kategori dan wilayah (label) dan melabeli antrean",
    MODELS_MANAGE: "melatih ulang, membandingkan, mempromosikan dan mengembalikan model",
    SOURCES_MANAGE: "mengelola sumber berita",
    USERS_MANAGE: "mengelola pengguna dan peran",
    SUBSCRIPTIONS_MANAGE: "mengatur langganan ringkasan harian",
    AUDIT_READ: "membaca log audit",
}

# What each role adds to the role before it: the roles are nested, admin ⊇ analyst ⊇ operator ⊇ staff.
_ADDED_BY_ROLE = {
    "staff": {READ},
    "operator": {ALERT_STATUS, ALERT_LINK, PLANS_IMPORT, REPORTS_EDIT},
    "analyst": {LABELS_CORRECT, MODELS_MANAGE},
    "admin": {SOURCES_MANAGE, USERS_MANAGE, SUBSCRIPTIONS_MANAGE, AUDIT_READ},
}


def _nested_permissions() -> dict[str, frozenset[str]]:
    granted: set[str] = set()
    result = {}
    for role in ROLES:
        granted |= _ADDED_BY_ROLE[role]
        result[role] = frozenset(granted)
    return result


PERMISSIONS: dict[str, frozenset[str]] = _nested_permissions()


def can(role: str | None, permission: str) -> bool:
    """Whether `role` may do `permission` (an unknown role may do nothing)."""
    return permission in PERMISSIONS.get(role or "", frozenset())


# --------------------------------------------------------------------------- records and errors


class UserError(ValueError):
    """A refused change, with an Indonesian message and the form field it is about (if any)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class UserRecord:
    """A user as front doors see it (never the password hash)."""

    id: int
    username: str
    display_name: str
    email: str
    role: str
    region_code: str
    active: bool
    last_login_at: datetime | None
    created_at: datetime
    session_version: str  # changes when the password changes, so older sessions end

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a sign-in: the user on success, else an Indonesian message."""

    ok: bool
    user: UserRecord | None = None
    message: str = ""
    retry_after: datetime | None = None  # set when refused by throttling


@dataclass(frozen=True)
class SubscriptionRecord:
    """Which kabupaten and categories a user's daily digest covers (empty lists mean all)."""

    username: str
    enabled: bool
    kabupaten: list[str]
    categories: list[str]


@dataclass(frozen=True)
class SubscriptionChoices:
    """What a subscription may name: kabupaten code -> name, category code -> name."""

    kabupaten: dict[str, str]
    categories: dict[str, str]


def _record(user: User) -> UserRecord:
    return UserRecord(user.id, user.username, user.display_name, user.email, user.role, user.region_code,
                      user.active, user.last_login_at, user.created_at,
                      hashlib.sha256(user.password_hash.encode()).hexdigest()[:16])


# --------------------------------------------------------------------------- validation

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()


def normalise_username(username: str) -> str:
    """Usernames are compared in lower case without surrounding spaces."""
    return (username or "").strip().lower()


def _check_username(username: str) -> str:
    username = normalise_username(username)
    if not USERNAME_PATTERN.match(username):
        raise UserError("Nama pengguna 2-80 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung, "
                        "diawali huruf atau angka.", "username")
    return username


def _check_password(password: str, limits: WebSettings) -> str:
    if not isinstance(password, str) or len(password) < limits.min_password_length:
        raise UserError(f"Kata sandi minimal {limits.min_password_length} karakter.", "password")
    if len(password) > limits.max_password_length:
        raise UserError(f"Kata sandi maksimal {limits.max_password_length} karakter.", "password")
    return password


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"Peran harus salah satu dari: {', '.join(ROLES)}.", "role")
    return role


def _check_email(email: str) -> str:
    email = (email or "").strip()
    if email and (len(email) > 320 or not EMAIL_PATTERN.match(email)):
        raise UserError("Alamat surel tidak sah (contoh: nama@kesbangpol.go.id).", "email")
    return email


def _check_region(region_code: str) -> str:
    region_code = (region_code or "62").strip()
    if region_code != "62" and region_code not in subscription_choices().kabupaten:
        raise UserError("Wilayah harus 62 (provinsi) atau kode kabupaten/kota Kalimantan Tengah, misalnya 62.02.",
                        "region_code")
    return region_code


def _check_display_name(display_name: str) -> str:
    display_name = (display_name or "").strip()
    if len(display_name) > 200:
        raise UserError("Nama tampilan maksimal 200 karakter.", "display_name")
    return display_name


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None:
        raise UserError(f"Pengguna '{normalise_username(username)}' tidak ada.", "username")
    return user


# --------------------------------------------------------------------------- accounts


def count_users(session: Session) -> int:
    """How many accounts exist (active or not)."""
    return session.execute(select(func.count()).select_from(User)).scalar_one()


def list_users(session: Session) -> list[UserRecord]:
    """Every account, by username."""
    return [_record(u) for u in session.scalars(select(User).order_by(User.username))]


def get_user(session: Session, user_id: int) -> UserRecord | None:
    """The account with this id, or None."""
    user = session.get(User, user_id)
    return _record(user) if user is not None else None


def find_user(session: Session, username: str) -> UserRecord | None:
    """The account with this username, or None."""
    user = session.scalar(select(User).where(User.username == normalise_username(username)))
    return _record(user) if user is not None else None


def create_user(session: Session, actor: str, username: str, password: str, role: str, *, display_name: str = "",
                email: str = "", region_code: str = "62", address: str = "",
                limits: WebSettings = WebSettings()) -> UserRecord:
    """Add an account (raises UserError naming the field of a bad value); audited."""
    username = _check_username(username)
    values = dict(role=_check_role(role), display_name=_check_display_name(display_name),
                  email=_check_email(email), region_code=_check_region(region_code))
    _check_password(password, limits)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"Nama pengguna '{username}' sudah dipakai.", "username")
    user = User(username=username, password_hash=_hasher.hash(password), active=True, failed_logins=0, **values)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", f"user:{username}", values, address)
    return _record(user)


def set_password(session: Session, actor: str, username: str, password: str, *, address: str = "",
                 limits: WebSettings = WebSettings()) -> None:
    """Set a new password (the user's other sessions end); audited without the password."""
    _check_password(password, limits)
    user = _user(session, username)
    user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until = 0, None
    audit.record(session, actor, "user.password", f"user:{user.username}", {}, address)


def _ensure_another_admin(session: Session, user: User) -> None:
    others = session.execute(select(func.count()).select_from(User).where(
        User.role == "admin", User.active.is_(True), User.id != user.id)).scalar_one()
    if user.role == "admin" and user.active and not others:
        raise UserError("Harus tetap ada setidaknya satu admin aktif.", "role")


def set_role(session: Session, actor: str, username: str, role: str, *, address: str = "") -> None:
    """Give a user another role (the last active admin keeps theirs); audited."""
    role = _check_role(role)
    user = _user(session, username)
    if role == user.role:
        return
    if role != "admin":
        _ensure_another_admin(session, user)
    audit.record(session, actor, "user.role", f"user:{user.username}", {"from": user.role, "to": role}, address)
    user.role = role


def set_active(session: Session, actor: str, username: str, active: bool, *, address: str = "") -> None:
    """Disable or re-enable an account (the last active admin cannot be disabled); audited."""
    user = _user(session, username)
    if user.active == active:
        return
    if not active:
        _ensure_another_admin(session, user)
    user.active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    audit.record(session, actor, "user.enable" if active else "user.disable", f"user:{user.username}", {}, address)


# --------------------------------------------------------------------------- sign-in

FAILURE_RETENTION = timedelta(days=7)  # older failure rows only grow the table


def _throttled_until(session: Session, column, value: str, limit: int, window: timedelta,
                     now: datetime) -> datetime | None:
    """When the failures of `value` within the window drop below `limit` again, or None if they already are."""
    recent = list(session.scalars(select(LoginFailure.at).where(column == value, LoginFailure.at > now - window)
                                  .order_by(LoginFailure.at.desc()).limit(limit)))
    return recent[limit - 1] + window if len(recent) >= limit else None


def authenticate(session: Session, username: str, password: str, address: str, *,
                 limits: WebSettings = WebSettings(), now: datetime | None = None) -> LoginResult:
    """Check a sign-in; refuse without checking while the username or address has too many recent failures.

    A failure is stored as a `login_failures` row; a success rehashes the password when the hasher's
    parameters changed, records the time and is audited.
    """
    now = now or datetime.now(UTC)
    username = normalise_username(username)[:80]
    address = (address or "")[:64]
    window = timedelta(minutes=limits.failure_window_minutes)
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - FAILURE_RETENTION))
    blocked = [until for until in (
        _throttled_until(session, LoginFailure.username, username, limits.max_failures_per_user, window, now),
        _throttled_until(session, LoginFailure.address, address, limits.max_failures_per_address, window, now),
    ) if until is not None]
    if blocked:
        until = max(blocked)
        return LoginResult(False, message="Terlalu banyak percobaan masuk yang gagal. Coba lagi setelah pukul "
                                          f"{until.astimezone(WIB).strftime('%H:%M')} WIB.", retry_after=until)
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is None or not _verify(user.password_hash if user else _dummy_hash(), password or ""):
        session.add(LoginFailure(at=now, username=username, address=address))
        if user is not None:
            user.failed_logins += 1
        return LoginResult(False, message="Nama pengguna atau kata sandi salah.")
    if not user.active:
        return LoginResult(False, message="Akun ini dinonaktifkan. Hubungi admin.")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at, user.failed_logins, user.locked_until = now, 0, None
    audit.record(session, username, "user.login", f"user:{username}", {}, address)
    return LoginResult(True, _record(user))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    """A hash to verify against for unknown usernames, so their answer takes as long as a known one's."""
    if not _DUMMY:
        _DUMMY.append(_hasher.hash(secrets.token_hex(16)))
    return _DUMMY[0]


# --------------------------------------------------------------------------- the first admin


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_setup_token(session: Session, *, limits: WebSettings = WebSettings(), now: datetime | None = None) -> str:
    """A new one-time set-up token (only its sha256 is stored); any older unused token stops working."""
    now = now or datetime.now(UTC)
    session.execute(delete(SetupToken).where(SetupToken.used_at.is_(None)))
    token = secrets.token_urlsafe(32)
    session.add(SetupToken(token_sha256=_token_hash(token), created_at=now,
                           expires_at=now + timedelta(minutes=limits.setup_token_minutes)))
    return token


def setup_token_usable(session: Session, token: str, now: datetime | None = None) -> bool:
    """Whether `token` is an unused, unexpired set-up token and there is still no user."""
    now = now or datetime.now(UTC)
    row = session.get(SetupToken, _token_hash(token))
    return row is not None and row.used_at is None and row.expires_at > now and count_users(session) == 0


def create_first_admin(session: Session, token: str, username: str, password: str, *, display_name: str = "",
                       email: str = "", address: str = "", limits: WebSettings = WebSettings(),
                       now: datetime | None = None) -> UserRecord:
    """Use a set-up token once to create the first admin (raises UserError); audited."""
    now = now or datetime.now(UTC)
    _check_username(username)  # every field is checked before the token is used up
    _check_password(password, limits)
    _check_email(email)
    _check_display_name(display_name)
    if count_users(session):
        raise UserError("Sudah ada pengguna; tautan penyiapan tidak berlaku lagi.")
    used = matched_rows(session, update(SetupToken).where(
        SetupToken.token_sha256 == _token_hash(token), SetupToken.used_at.is_(None), SetupToken.expires_at > now,
    ).values(used_at=now))
    if used != 1:
        raise UserError("Tautan penyiapan tidak berlaku lagi (sudah dipakai atau kedaluwarsa).")
    user = create_user(session, normalise_username(username), username, password, "admin", display_name=display_name,
                       email=email, address=address, limits=limits)
    audit.record(session, user.username, "user.setup", f"user:{user.username}", {}, address)
    return user


# --------------------------------------------------------------------------- digest subscriptions


def subscription_choices() -> SubscriptionChoices:
    """The kabupaten/kota of the gazetteer and the categories of the taxonomy."""
    from classifiers.taxonomy import load_taxonomy
    from monitor.alerts.coverage import kabupaten_names

    return SubscriptionChoices(dict(sorted(kabupaten_names().items())),
                               {c.code: c.name for c in load_taxonomy().categories})


def subscription(session: Session, username: str) -> SubscriptionRecord:
    """A user's digest subscription (a user without one receives everything, enabled)."""
    user = _user(session, username)
    row = session.get(DigestSubscription, user.id)
    if row is None:
        return SubscriptionRecord(user.username, True, [], [])
    return SubscriptionRecord(user.username, row.enabled, list(row.kabupaten or []), list(row.categories or []))


def set_subscription(session: Session, actor: str, username: str, kabupaten: list[str], categories: list[str],
                     enabled: bool, *, address: str = "") -> SubscriptionRecord:
    """Set which kabupaten and categories a user's digest covers (empty = all); audited."""
    choices = subscription_choices()
    unknown_places = sorted(set(kabupaten) - set(choices.kabupaten))
    if unknown_places:
        raise UserError(f"Kabupaten/kota tidak dikenal: {', '.join(unknown_places)}.", "kabupaten")
    unknown_categories = sorted(set(categories) - set(choices.categories))
    if unknown_categories:
        raise UserError(f"Kategori tidak dikenal: {', '.join(unknown_categories)}.", "categories")
    user = _user(session, username)
    row = session.get(DigestSubscription, user.id)
    if row is None:
        row = DigestSubscription(user_id=user.id)
        session.add(row)
    row.enabled = bool(enabled)
    row.kabupaten = sorted(set(kabupaten))
    row.categories = [c for c in choices.categories if c in set(categories)]
    audit.record(session, actor, "user.subscription", f"user:{user.username}",
                 {"enabled": row.enabled, "kabupaten": row.kabupaten, "categories": row.categories}, address)
    return SubscriptionRecord(user.username, row.enabled, list(row.kabupaten), list(row.categories))
