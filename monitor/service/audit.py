"""The audit log: every change made through a front door, with who, when, what and from where."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.db.models import AuditEntry
from monitor.service.paging import Page, PageRequest


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


def entries(session: Session, page: PageRequest, target: str | None = None) -> Page[AuditRecord]:
    """Newest entries first, optionally of one target (e.g. 'alert:12')."""
    query = select(AuditEntry)
    if target:
        query = query.where(AuditEntry.target == target)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(AuditEntry.id.desc()).offset(page.offset).limit(page.size))
    return Page([AuditRecord(r.at, r.actor, r.action, r.target, dict(r.details or {}), r.address) for r in rows],
                total, page)
