"""An analyst's word on events: merge two alerts' events, or split a report out of one; stored, audited, kept.

The stage never moves a cluster that is in an event, and these changes mark the moved clusters as
placed by the analyst (`EventMember.pinned_by`), so later stage runs keep them. Each change refreshes
the alerts concerned at once and recomputes the levels from their first day, in the transaction of
`event_change`, which holds the alert-stage lock: a merge or split never interleaves with a stage
pass (monitor.service.flow.stage_pass) in any process.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from monitor.alerts.events import event_of_cluster
from monitor.alerts.generate import MANUAL_LINK, refresh_events
from monitor.alerts.lifecycle import LifecycleError
from monitor.alerts.matching import PlanIndex
from monitor.db import locks
from monitor.db.models import (
    Alert,
    AlertEvent,
    Article,
    ConflictEvent,
    EventMember,
    LabelCorrection,
    PlanLink,
    StoryCluster,
)
from monitor.db.session import session_scope
from monitor.service import audit
from monitor.service.alerts import recompute_levels_from
from monitor.timezones import WIB

STAGE_WAIT_SECONDS = 10.0  # how long an analyst's change waits for a running stage pass before it is refused
STAGE_BUSY = ("tahap deteksi dini sedang berjalan (mengklasifikasi berita dan memperbarui peringatan); "
              "tidak ada yang diubah, coba lagi sebentar lagi")
_STAGE_LOCK_HELD = "waspada.alert_stage_lock"  # the session.info key event_change sets


@contextmanager
def event_change(engine: Engine, wait_seconds: float = STAGE_WAIT_SECONDS) -> Iterator[Session]:
    """The transaction of an analyst's change that moves events or recomputes levels (merge, split, a status
    change, a correction), under the alert-stage lock (committed at the end).

    Waits up to `wait_seconds` for a stage pass running in any process, then raises LifecycleError
    (STAGE_BUSY) without changing anything.
    """
    lock = locks.NamedLock(engine, locks.ALERT_STAGE)
    if not lock.acquire(wait=False, timeout=wait_seconds):
        raise LifecycleError(STAGE_BUSY)
    try:
        with session_scope(engine) as session:
            session.info[_STAGE_LOCK_HELD] = True
            yield session
    finally:
        lock.release()


def _require_stage_lock(session: Session) -> None:
    if not session.info.get(_STAGE_LOCK_HELD):
        raise RuntimeError("merge and split run in the transaction of event_change(engine), under the stage lock")


def _first_day(alert: Alert) -> date:
    return alert.first_seen_at.astimezone(WIB).date()


def _alert_and_event(session: Session, alert_id: int) -> tuple[Alert, ConflictEvent]:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise LifecycleError(f"peringatan #{alert_id} tidak ada")
    event = event_of_cluster(session, alert.cluster_id)
    if event is None:
        raise LifecycleError(f"peringatan #{alert_id} belum punya peristiwa; jalankan tahap peringatan dulu")
    return alert, event


def _move_links(session: Session, from_cluster: int, to_cluster: int) -> None:
    """Links made by hand follow the event to its (new) anchor; the matched ones are made again by the refresh."""
    kept = set(session.scalars(select(PlanLink.action_id).where(PlanLink.cluster_id == to_cluster)))
    for link in session.scalars(select(PlanLink).where(PlanLink.cluster_id == from_cluster)):
        if link.kind == MANUAL_LINK and link.action_id not in kept:
            link.cluster_id = to_cluster
        else:
            session.delete(link)
    session.flush()


def merge_alerts(session: Session, into_id: int, other_id: int, actor: str, note: str = "", address: str = "") -> None:
    """Make alert `other_id`'s event part of alert `into_id`'s: one alert, every source, the history of both.

    Alert `other_id` ends (its history and labels move to `into_id`, which keeps its status); audited.
    `session` comes from `event_change`.
    """
    _require_stage_lock(session)
    if not actor.strip():
        raise LifecycleError("nama petugas wajib diisi")
    if into_id == other_id:
        raise LifecycleError("peringatan tidak bisa digabung dengan dirinya sendiri")
    into, kept_event = _alert_and_event(session, into_id)
    other, gone_event = _alert_and_event(session, other_id)
    first_day = min(_first_day(into), _first_day(other))
    for member in list(gone_event.members):
        member.event = kept_event
        member.pinned_by = actor
        member.reason = f"digabung oleh {actor} dari peringatan #{other_id} ({member.reason})"
    _move_links(session, other.cluster_id, into.cluster_id)
    for entry in list(other.events):
        entry.alert = into
    session.execute(update(LabelCorrection).where(LabelCorrection.alert_id == other_id).values(alert_id=into_id))
    session.execute(update(ConflictEvent).where(ConflictEvent.follows_event_id == gone_event.id)
                    .values(follows_event_id=kept_event.id))
    if kept_event.follows_event_id is None and gone_event.follows_event_id not in (None, kept_event.id):
        kept_event.follows_event_id = gone_event.follows_event_id
    session.delete(other)
    session.flush()
    session.delete(gone_event)
    session.flush()
    refresh_events(session, [kept_event.id], into.model_version, PlanIndex(session))
    session.add(AlertEvent(alert_id=into.id, actor=actor, from_status=into.status, to_status=into.status,
                           note=note or f"digabung dengan peringatan #{other_id}", changes={"merged": other_id}))
    audit.record(session, actor, "alert.merge", f"alert:{into_id}", {"merged": other_id, "note": note}, address)
    recompute_levels_from(session, first_day)


def _take_out(session: Session, article: Article) -> int:
    """The cluster that holds only `article`: its own, or a new one it moves to from its copies."""
    cluster = session.get_one(StoryCluster, article.cluster_id)
    reports = select(func.count()).select_from(Article).where(Article.cluster_id == cluster.id)
    if session.execute(reports).scalar_one() == 1:
        return cluster.id
    seen = article.published_at or article.fetched_at
    alone = StoryCluster(first_seen_at=seen, last_seen_at=seen, size=1)
    session.add(alone)
    session.flush()
    article.cluster_id = alone.id
    session.flush()
    first, last = session.execute(select(func.min(func.coalesce(Article.published_at, Article.fetched_at)),
                                         func.max(func.coalesce(Article.published_at, Article.fetched_at)))
                                  .where(Article.cluster_id == cluster.id)).one()
    cluster.size, cluster.first_seen_at, cluster.last_seen_at = cluster.size - 1, first, last
    return alone.id


def split_report(session: Session, alert_id: int, article_id: int, actor: str, note: str = "",
                 address: str = "") -> int | None:
    """Take report `article_id` (with nothing else) out of the alert's event into an event of its own; audited.

    Returns the new event's alert, or None when the report alone is no conflict signal. `session` comes from
    `event_change`.
    """
    _require_stage_lock(session)
    if not actor.strip():
        raise LifecycleError("nama petugas wajib diisi")
    alert, event = _alert_and_event(session, alert_id)
    article = session.get(Article, article_id)
    members = {member.cluster_id: member for member in event.members}
    if article is None or article.cluster_id not in members:
        raise LifecycleError(f"berita #{article_id} bukan laporan peringatan #{alert_id}")
    reports = select(func.count()).select_from(Article).where(Article.cluster_id.in_(list(members)))
    if session.execute(reports).scalar_one() == 1:
        raise LifecycleError(
            f"berita #{article_id} satu-satunya laporan peringatan #{alert_id}; tidak ada yang dipisahkan")
    first_day = _first_day(alert)
    cluster_id = _take_out(session, article)
    if cluster_id in members:  # the report was a cluster of its own: it leaves the event
        event.members.remove(members.pop(cluster_id))
        session.flush()
    if cluster_id == alert.cluster_id:  # the alert's anchor left: the event's earliest other cluster carries it
        anchor = session.execute(select(StoryCluster.id).where(StoryCluster.id.in_(list(members)))
                                 .order_by(StoryCluster.first_seen_at, StoryCluster.id).limit(1)).scalar_one()
        _move_links(session, cluster_id, anchor)
        alert.cluster_id = anchor
        session.flush()
    seen = article.published_at or article.fetched_at
    alone = ConflictEvent(first_seen_at=seen, last_seen_at=seen, kabupaten=[], kecamatan=[], desa=[], categories=[],
                          actors=[], terms={})
    alone.members.append(EventMember(cluster_id=cluster_id, pinned_by=actor,
                                     reason=f"dipisahkan oleh {actor} dari peringatan #{alert_id}"))
    session.add(alone)
    session.flush()
    refreshed = refresh_events(session, [event.id, alone.id], alert.model_version, PlanIndex(session))
    new_alert = refreshed.alerts.get(alone.id)
    session.flush()
    new_id = new_alert.id if new_alert is not None else None
    session.add(AlertEvent(alert_id=alert.id, actor=actor, from_status=alert.status, to_status=alert.status,
                           note=note or f"berita #{article_id} dipisahkan",
                           changes={"split": article_id, "new_alert": new_id}))
    if new_alert is not None:
        session.add(AlertEvent(alert_id=new_id, actor=actor, from_status=None, to_status=new_alert.status,
                               note=f"dipisahkan dari peringatan #{alert_id}", changes={"split_from": alert_id}))
    audit.record(session, actor, "alert.split", f"alert:{alert_id}",
                 {"article": article_id, "new_alert": new_id, "note": note}, address)
    recompute_levels_from(session, min(first_day, seen.astimezone(WIB).date()))
    return new_id
