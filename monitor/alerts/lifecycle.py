"""Alert lifecycle with an audit trail, and analysts' corrections kept as labels for retraining."""
from __future__ import annotations

import json
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.alerts.events import member_reasons
from monitor.db.models import Alert, AlertEvent, Article, Feed, LabelCorrection

STATUSES = ("baru", "ditinjau", "ditindaklanjuti", "selesai", "bukan_konflik", "duplikat")
TRANSITIONS = {
    "baru": {"ditinjau", "bukan_konflik", "duplikat"},
    "ditinjau": {"ditindaklanjuti", "selesai", "bukan_konflik", "duplikat"},
    "ditindaklanjuti": {"selesai"},
    "selesai": {"ditindaklanjuti"},
    "bukan_konflik": {"ditinjau"},
    "duplikat": {"ditinjau"},
}


class LifecycleError(ValueError):
    """A change that the lifecycle does not allow (message in Indonesian)."""


def _alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise LifecycleError(f"peringatan #{alert_id} tidak ada")
    return alert


def _articles(session: Session, alert: Alert) -> list[Article]:
    """Every report of the alert's event."""
    clusters = list(member_reasons(session, alert.cluster_id))
    return list(session.scalars(select(Article).where(Article.cluster_id.in_(clusters)).order_by(Article.id)))


def change_status(session: Session, alert_id: int, to_status: str, actor: str, note: str = "") -> AlertEvent:
    """Move an alert along its lifecycle; 'bukan_konflik' also stores a negative label per article."""
    if not actor.strip():
        raise LifecycleError("nama petugas wajib diisi")
    alert = _alert(session, alert_id)
    if to_status not in STATUSES:
        raise LifecycleError(f"status '{to_status}' tidak dikenal (pilihan: {', '.join(STATUSES)})")
    if to_status not in TRANSITIONS[alert.status]:
        allowed = ", ".join(sorted(TRANSITIONS[alert.status]))
        raise LifecycleError(f"status tidak bisa berubah dari '{alert.status}' ke '{to_status}' (boleh: {allowed})")
    event = AlertEvent(alert_id=alert.id, actor=actor, from_status=alert.status, to_status=to_status, note=note)
    alert.status = to_status
    session.add(event)
    if to_status == "bukan_konflik":
        for article in _articles(session, alert):
            session.add(LabelCorrection(article_id=article.id, alert_id=alert.id, actor=actor, categories=[],
                                        kabupaten=list(alert.kabupaten), kalteng=True, note=note or "bukan konflik"))
    return event


def correct_labels(session: Session, alert_id: int, actor: str, categories: list[str], kabupaten: list[str],
                   note: str = "", known_categories: tuple[str, ...] = ()) -> AlertEvent:
    """An analyst's correction of categories and places: applied to the alert and kept as labels."""
    if not actor.strip():
        raise LifecycleError("nama petugas wajib diisi")
    unknown = [c for c in categories if known_categories and c not in known_categories]
    if unknown:
        raise LifecycleError(f"kategori tidak dikenal: {', '.join(unknown)}")
    alert = _alert(session, alert_id)
    changes = {"categories": [alert.categories, sorted(categories)], "kabupaten": [alert.kabupaten, sorted(kabupaten)]}
    alert.categories, alert.kabupaten = sorted(categories), sorted(kabupaten)
    alert.correction = {"categories": sorted(categories), "kabupaten": sorted(kabupaten)}  # kept by later stage runs
    for article in _articles(session, alert):
        session.add(LabelCorrection(article_id=article.id, alert_id=alert.id, actor=actor,
                                    categories=sorted(categories), kabupaten=sorted(kabupaten), kalteng=True,
                                    note=note))
    event = AlertEvent(alert_id=alert.id, actor=actor, from_status=alert.status, to_status=alert.status,
                       note=note or "koreksi label", changes=changes)
    session.add(event)
    return event


def latest_labels(session: Session) -> list[tuple[int, dict]]:
    """Analysts' latest label of each article as (label row id, training record), oldest label first.

    The record is the format `waspada train --labels` reads (classifiers.seed.read_labels)."""
    latest: dict[int, LabelCorrection] = {}
    for correction in session.scalars(select(LabelCorrection).order_by(LabelCorrection.at, LabelCorrection.id)):
        latest[correction.article_id] = correction
    records = []
    for correction in sorted(latest.values(), key=lambda c: (c.at, c.id)):
        article = session.get_one(Article, correction.article_id)
        outlet = session.get_one(Feed, article.feed_id).outlet
        records.append((correction.id, {
            "id": f"article-{article.id}", "title": article.title, "lead": " ".join(article.summary_text.split()[:80]),
            "categories": correction.categories, "kabupaten": correction.kabupaten, "kalteng": correction.kalteng,
            "publisher": outlet, "url": article.url, "synthetic": False, "split": "train",
        }))
    return records


def export_labels(session: Session, out: IO[str]) -> int:
    """Write analysts' latest label per article as JSON lines for `waspada train --labels`."""
    records = latest_labels(session)
    for _label_id, record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(records)
