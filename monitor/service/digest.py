"""The daily digest's queries: its alerts, the day's escalations, subscribers, and claimed deliveries.

A delivery of one user's digest for one day is claimed by inserting its row: the UNIQUE(user_id,
day) constraint lets exactly one process win, so two schedulers (or a scheduler and a person
running `waspada digest --send`) never mail the same digest twice. A failed delivery ('gagal'), or
one claimed long ago by a process that died ('menunggu' older than the stale limit), can be
claimed again with a compare-and-set update; a sent one ('terkirim') never can.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.db.models import (
    Alert,
    AlertCategory,
    AlertPlace,
    DigestDelivery,
    DigestSubscription,
    EscalationLevel,
    User,
)
from monitor.db.session import session_scope
from monitor.db.upsert import matched_rows
from monitor.service.alerts import AlertRow

DISMISSED = ("bukan_konflik", "duplikat")
OPEN = ("baru", "ditinjau", "ditindaklanjuti")
PENDING, SENT, FAILED = "menunggu", "terkirim", "gagal"


@dataclass(frozen=True)
class Scope:
    """Which kabupaten and categories a digest covers; an empty tuple means all."""

    kabupaten: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigestAlertRow:
    """An alert of the digest; `late` when it belongs to an earlier day but arrived after that day's digest."""

    row: AlertRow
    late: bool


@dataclass(frozen=True)
class Escalation:
    """A kabupaten's level change on one day, with the reason in Indonesian."""

    code: str
    day: date
    previous_level: str
    level: str
    reason: str


@dataclass(frozen=True)
class Subscriber:
    """A user and what their digest covers."""

    user_id: int
    username: str
    display_name: str
    email: str
    scope: Scope
    enabled: bool
    active: bool


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a delivery: `won` when this process may send it, else the row's status."""

    won: bool
    status: str
    delivery_id: int
    claimed_at: datetime | None = None
    attempts: int = 0  # attempts made before this claim


@dataclass(frozen=True)
class DeliveryRecord:
    """One delivery as an admin page or the CLI shows it."""

    username: str
    email: str
    day: date
    status: str
    attempts: int
    last_error: str
    claimed_at: datetime
    sent_at: datetime | None


def _in_scope(query, scope: Scope):
    if scope.kabupaten:  # alerts about no particular kabupaten concern the whole province, so every kabupaten
        query = query.where(or_(
            exists().where(AlertPlace.alert_id == Alert.id, AlertPlace.code.in_(scope.kabupaten)),
            ~exists().where(AlertPlace.alert_id == Alert.id)))
    if scope.categories:
        query = query.where(exists().where(AlertCategory.alert_id == Alert.id,
                                           AlertCategory.category.in_(scope.categories)))
    return query


def _row(alert: Alert) -> AlertRow:
    return AlertRow(alert.id, alert.title, alert.status, list(alert.categories), list(alert.kabupaten), alert.score,
                    list(alert.severity), alert.n_sources, alert.plan_gap, alert.first_seen_at, alert.last_seen_at)


def digest_alerts(session: Session, covered_day: date, late_from: datetime, late_until: datetime,
                  scope: Scope = Scope()) -> list[DigestAlertRow]:
    """Alerts first seen on `covered_day`, and earlier ones created in [late_from, late_until); dismissed ones left out.

    Oldest first; within the scope's kabupaten (or about no kabupaten) and categories.
    """
    late = and_(Alert.first_seen_day < covered_day, Alert.created_at >= late_from, Alert.created_at < late_until)
    query = (select(Alert).where(or_(Alert.first_seen_day == covered_day, late), Alert.status.not_in(DISMISSED))
             .order_by(Alert.first_seen_at, Alert.id))
    return [DigestAlertRow(_row(alert), alert.first_seen_day != covered_day)
            for alert in session.scalars(_in_scope(query, scope))]


def open_plan_gaps(session: Session, scope: Scope = Scope()) -> int:
    """Open alerts (baru, ditinjau, ditindaklanjuti) without a plan action, within the scope."""
    query = select(Alert.id).where(Alert.plan_gap.is_(True), Alert.status.in_(OPEN))
    return session.execute(select(func.count()).select_from(_in_scope(query, scope).subquery())).scalar_one()


def escalations(session: Session, day: date, kabupaten: tuple[str, ...] = ()) -> list[Escalation]:
    """The kabupaten level changes stored for `day` (rises and falls), highest new level first."""
    query = select(EscalationLevel).where(EscalationLevel.day == day, EscalationLevel.category == "",
                                          EscalationLevel.changed.is_(True))
    if kabupaten:
        query = query.where(EscalationLevel.kabupaten.in_(kabupaten))
    rows = [Escalation(r.kabupaten, r.day, r.previous_level or "normal", r.level, r.reason)
            for r in session.scalars(query.order_by(EscalationLevel.kabupaten))]
    order = ("awas", "siaga", "waspada", "normal")
    return sorted(rows, key=lambda e: order.index(e.level) if e.level in order else len(order))


def _subscriber(user: User, subscription: DigestSubscription | None) -> Subscriber:
    scope = (Scope(tuple(subscription.kabupaten or ()), tuple(subscription.categories or ())) if subscription
             else Scope())
    return Subscriber(user.id, user.username, user.display_name, user.email, scope,
                      bool(subscription and subscription.enabled), user.active)


def subscribers(session: Session, username: str | None = None) -> list[Subscriber]:
    """Active users with an enabled subscription and an email address (optionally one user), by username."""
    query = (select(User, DigestSubscription).join(DigestSubscription, DigestSubscription.user_id == User.id)
             .where(User.active.is_(True), DigestSubscription.enabled.is_(True), User.email != "")
             .order_by(User.username))
    if username is not None:
        query = query.where(User.username == username)
    return [_subscriber(user, subscription) for user, subscription in session.execute(query)]


def subscriber(session: Session, username: str) -> Subscriber | None:
    """One user and their subscription (enabled or not; no subscription means the whole province), or None."""
    row = session.execute(select(User, DigestSubscription)
                          .outerjoin(DigestSubscription, DigestSubscription.user_id == User.id)
                          .where(User.username == username)).first()
    return _subscriber(*row) if row else None


def claim_delivery(engine: Engine, user_id: int, day: date, now: datetime, stale_after: timedelta) -> Claim:
    """Claim the user's delivery of `day` for this process; see the module docstring."""
    try:
        with session_scope(engine) as session:
            row = DigestDelivery(user_id=user_id, day=day, status=PENDING, attempts=0, last_error="", claimed_at=now)
            session.add(row)
            session.flush()
            return Claim(True, PENDING, row.id, now, 0)
    except IntegrityError:
        pass  # claimed before, by this or another process: look at its state
    with session_scope(engine) as session:
        row = session.execute(select(DigestDelivery).where(DigestDelivery.user_id == user_id,
                                                           DigestDelivery.day == day)).scalar_one()
        if row.status == SENT or (row.status == PENDING and row.claimed_at > now - stale_after):
            return Claim(False, row.status, row.id)
        taken = matched_rows(
            session,
            update(DigestDelivery)
            .where(DigestDelivery.id == row.id, DigestDelivery.status == row.status,
                   DigestDelivery.claimed_at == row.claimed_at)
            .values(status=PENDING, claimed_at=now))
        if taken != 1:  # another process re-claimed it between our read and our update
            return Claim(False, PENDING, row.id)
        return Claim(True, PENDING, row.id, now, row.attempts)


def record_delivery(engine: Engine, claim: Claim, sent: bool, attempts: int, error: str, now: datetime) -> bool:
    """Store the outcome of a claimed delivery; False when another process has taken the claim over meanwhile."""
    values = {"status": SENT if sent else FAILED, "attempts": claim.attempts + attempts}
    if error:
        values["last_error"] = error
    if sent:
        values["sent_at"] = now
    with session_scope(engine) as session:
        return matched_rows(
            session,
            update(DigestDelivery)
            .where(DigestDelivery.id == claim.delivery_id, DigestDelivery.status == PENDING,
                   DigestDelivery.claimed_at == claim.claimed_at)
            .values(**values)) == 1


def deliveries(session: Session, day: date) -> list[DeliveryRecord]:
    """Every delivery of `day`, by username."""
    rows = session.execute(select(DigestDelivery, User).join(User, User.id == DigestDelivery.user_id)
                           .where(DigestDelivery.day == day).order_by(User.username))
    return [DeliveryRecord(user.username, user.email, d.day, d.status, d.attempts, d.last_error, d.claimed_at,
                           d.sent_at) for d, user in rows]
