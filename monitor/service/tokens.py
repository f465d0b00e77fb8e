"""Tokens of the read-only JSON API: created by (or for) a user, shown once, stored as a sha256, revocable,
scoped by a role no higher than the user's. Every change is audited.

A request's token grants the lower of its scope and its user's current role, and nothing once the token
is revoked or the user is deactivated: a role taken away also takes it away from the user's tokens.

Tokens are hashed with plain sha256, not argon2 like passwords: a token is 256 random bits from
`secrets`, so no dictionary or brute force applies and a slow hash only protects low-entropy secrets;
sha256 lets every API request look its token up by an indexed column in microseconds.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import ApiToken, User, present
from monitor.service import audit, users
from monitor.service.users import ROLES, UserError, UserRecord

PREFIX = "wsp_"  # marks a Waspada token in logs and secret scanners
HINT_CHARS = 8  # of the random part, shown in lists to tell tokens apart
MAX_NAME = 100
LAST_USED_STEP = timedelta(minutes=1)  # last_used_at is written at most this often per token, not on every request


@dataclass(frozen=True)
class TokenRecord:
    """A token as lists show it (never the token itself)."""

    id: int
    username: str
    name: str
    hint: str  # "wsp_AbCdEfGh…"
    role: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def role_name(self) -> str:
        return users.ROLE_NAMES.get(self.role, self.role)


@dataclass(frozen=True)
class NewToken:
    """A token just created: the secret is in `token` and is never available again."""

    record: TokenRecord
    token: str


@dataclass(frozen=True)
class TokenGrant:
    """Who a valid token acts for, and the role it acts with (the lower of its scope and the user's role)."""

    token_id: int
    user: UserRecord
    role: str

    def can(self, permission: str) -> bool:
        return users.can(self.role, permission)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _record(token: ApiToken, username: str) -> TokenRecord:
    return TokenRecord(token.id, username, token.name, f"{PREFIX}{token.hint}…", token.role, token.created_by,
                       token.created_at, token.last_used_at, token.revoked_at)


def lower_role(first: str, second: str) -> str:
    """The lower of two roles (an unknown role counts as below every role: it may do nothing)."""
    rank = {role: i for i, role in enumerate(ROLES)}
    return min(first, second, key=lambda role: rank.get(role, -1))


def scopes_for(role: str) -> tuple[str, ...]:
    """The scopes a user of `role` may give a token: their role and every role below it."""
    return ROLES[:ROLES.index(role) + 1] if role in ROLES else ()


def create_token(session: Session, actor: str, username: str, name: str, role: str | None = None, *,
                 address: str = "") -> NewToken:
    """A new token of `username` named `name` with scope `role` (at most the user's role; by default the user's
    role); audited without the token. Raises UserError naming the field of a bad value."""
    user = session.scalar(select(User).where(User.username == users.normalise_username(username)))
    if user is None:
        raise UserError(f"Pengguna '{users.normalise_username(username)}' tidak ada.", "username")
    if not user.active:
        raise UserError("Akun ini nonaktif; tokennya tidak akan berlaku.", "username")
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise UserError(f"Beri token nama 1-{MAX_NAME} karakter, misalnya 'Dasbor BPBD'.", "name")
    role = user.role if role is None else role
    if role not in scopes_for(user.role):
        allowed = ", ".join(users.ROLE_NAMES[r] for r in scopes_for(user.role))
        raise UserError(f"Cakupan token tidak boleh melebihi peran pengguna ({allowed}).", "role")
    random_part = secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_sha256=_digest(PREFIX + random_part),
                     hint=random_part[:HINT_CHARS], role=role, created_by=actor[:80])
    session.add(token)
    session.flush()
    audit.record(session, actor, "token.create", f"user:{user.username}",
                 {"token": token.id, "name": name, "role": role}, address)
    return NewToken(_record(token, user.username), PREFIX + random_part)


def list_tokens(session: Session, username: str | None = None) -> list[TokenRecord]:
    """Tokens (of one user, or all), active ones first, newest first."""
    query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
    if username is not None:
        query = query.where(User.username == users.normalise_username(username))
    rows = session.execute(query.order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())).all()
    return [_record(token, name) for token, name in rows]


def revoke_token(session: Session, actor: str, token_id: int, *, owner: str | None = None,
                 address: str = "") -> TokenRecord:
    """Revoke a token (of `owner` only, when given); it stops working at once. Revoking twice changes nothing.
    Audited; raises UserError when there is no such token."""
    row = session.execute(select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
                          .where(ApiToken.id == token_id)).first()
    if row is None or (owner is not None and row.username != users.normalise_username(owner)):
        raise UserError("Token itu tidak ada.")
    token, username = row
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        audit.record(session, actor, "token.revoke", f"user:{username}", {"token": token.id, "name": token.name},
                     address)
    return _record(token, username)


def authenticate_token(session: Session, token: str, now: datetime | None = None) -> TokenGrant | None:
    """The grant of a presented token, or None when it is unknown, revoked, or its user is inactive."""
    if not token or not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = session.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                          .where(ApiToken.token_sha256 == _digest(token))).first()
    if row is None:
        return None
    stored, user = row
    if stored.revoked_at is not None or not user.active:
        return None
    now = now or datetime.now(UTC)
    if stored.last_used_at is None or now - stored.last_used_at >= LAST_USED_STEP:
        stored.last_used_at = now
    record = present(users.get_user(session, user.id))
    return TokenGrant(stored.id, record, lower_role(stored.role, user.role))
