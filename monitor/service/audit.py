"""The audit log: every change made through a front door, with who, when, what and from where."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.db.models import AuditEntry
from monitor.service.paging import Page, PageRequest, Slice, keyset_slice


def record(session: Session, actor: str, action: str, target: str = "", details: dict | None = None,
           address: str = "") -> None:
    """Add one audit entry in the caller's transaction (so it commits with the change it describes)."""
    session.add(AuditEntry(actor=actor, action=action, target=target, details=details or {}, address=address))


@dataclass(frozen=True)
class AuditRecord:
    """One audit entry as shown to admins."""

    at: datetime
    actor: str
    action: str
    target: str
    details: dict
    address: str


def _record(entry: AuditEntry) -> AuditRecord:
    return AuditRecord(entry.at, entry.actor, entry.action, entry.target, dict(entry.details or {}), entry.address)


def _of_target(target: str | None):
    query = select(AuditEntry)
    return query.where(AuditEntry.target == target) if target else query


def entries(session: Session, page: PageRequest, target: str | None = None) -> Page[AuditRecord]:
    """Newest entries first, optionally of one target (e.g. 'alert:12')."""
    query = _of_target(target)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.scalars(query.order_by(AuditEntry.id.desc()).offset(page.offset).limit(page.size))
    return Page([_record(r) for r in rows], total, page)


def entry_slice(session: Session, cursor: str | None = None, limit: int = 50,
                target: str | None = None) -> Slice[AuditRecord]:
    """Entries newest first, optionally of one target, after `cursor` (raises CursorError when it is not ours)."""
    return keyset_slice(session, _of_target(target), AuditEntry.at, AuditEntry.id, cursor, limit,
                        lambda rows: [_record(r) for r in rows])
