"""The one place the reports read alerts and their plan links (alerts, plan_links, articles, levels).

Alerts are being re-keyed from story clusters to events elsewhere; everything reports need from that side
goes through these few functions, so a change of keys is adapted here alone.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from monitor.alerts.levels import LEVELS
from monitor.db.models import Alert, AlertPlace, Article, EscalationLevel, Feed, PlanLink, present
from monitor.plans.schema import natural_key
from monitor.reports.content import AlertEntry, SourceRef
from monitor.service.alerts import DISMISSED
from monitor.service.plans import REALISATION
from monitor.timezones import WIB

PROVINCE = "62"


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def _in_period(start: date, end: date):
    return and_(Alert.first_seen_day >= start, Alert.first_seen_day <= end, Alert.status.not_in(DISMISSED))


def linked_alerts(session: Session, action_ids: list[int], start: date, end: date) -> dict[int, set[int]]:
    """Alert id -> the given actions it is linked to (as a threat, not as realisation news), for the alerts first
    seen in [start, end] (WIB days) and not dismissed."""
    if not action_ids:
        return {}
    rows = session.execute(
        select(Alert.id, PlanLink.action_id).join(PlanLink, PlanLink.cluster_id == Alert.cluster_id)
        .where(PlanLink.action_id.in_(action_ids), PlanLink.kind != REALISATION, _in_period(start, end)))
    result: dict[int, set[int]] = defaultdict(set)
    for alert_id, action_id in rows:
        result[alert_id].add(action_id)
    return dict(result)


def region_alerts(session: Session, region: str, start: date, end: date, gaps_only: bool = False,
                  limit: int | None = None) -> list[int]:
    """Ids of the alerts first seen in [start, end] about `region` (any kabupaten for the province), not dismissed,
    newest first; only plan gaps when `gaps_only`."""
    query = select(Alert.id).where(_in_period(start, end))
    if region != PROVINCE:
        query = query.where(exists().where(AlertPlace.alert_id == Alert.id, AlertPlace.code == region))
    if gaps_only:
        query = query.where(Alert.plan_gap.is_(True))
    query = query.order_by(Alert.first_seen_at.desc(), Alert.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def existing_alerts(session: Session, alert_ids: list[int]) -> set[int]:
    """Which of `alert_ids` exist."""
    if not alert_ids:
        return set()
    return set(session.scalars(select(Alert.id).where(Alert.id.in_(alert_ids))))


def alert_entries(session: Session, alert_ids: list[int], action_codes: dict[int, str]) -> list[AlertEntry]:
    """The alerts of `alert_ids` (oldest first) with their reports, the highest level of their kabupaten on their
    first day, and the codes of those of `action_codes` (action id -> code) they are linked to."""
    if not alert_ids:
        return []
    alerts = list(session.scalars(select(Alert).where(Alert.id.in_(alert_ids))
                                  .order_by(Alert.first_seen_at, Alert.id)))
    clusters = [a.cluster_id for a in alerts]
    sources: dict[int, list[SourceRef]] = defaultdict(list)
    for cluster_id, outlet, title, url, published in session.execute(
            select(Article.cluster_id, Feed.outlet, Article.title, Article.url, Article.published_at)
            .join(Feed, Feed.id == Article.feed_id).where(Article.cluster_id.in_(clusters))
            .order_by(Article.cluster_id, Article.published_at, Article.id)):
        sources[present(cluster_id)].append(SourceRef(outlet or "", title or "", url or "", _iso(published)))
    links: dict[int, set[str]] = defaultdict(set)
    if action_codes:
        for cluster_id, action_id in session.execute(
                select(PlanLink.cluster_id, PlanLink.action_id)
                .where(PlanLink.cluster_id.in_(clusters), PlanLink.action_id.in_(list(action_codes)),
                       PlanLink.kind != REALISATION)):
            links[cluster_id].add(action_codes[action_id])
    levels = _levels_on(session, {(code, a.first_seen_day) for a in alerts for code in a.kabupaten if a.first_seen_day})
    entries = []
    for alert in alerts:
        day = alert.first_seen_day
        ranks = [LEVELS.index(levels.get((code, day), "normal") if day else "normal") for code in alert.kabupaten]
        entries.append(AlertEntry(alert.id, alert.title or "", alert.status, list(alert.categories or []),
                                  list(alert.kabupaten or []), LEVELS[max(ranks, default=0)],
                                  _iso(alert.first_seen_at), bool(alert.plan_gap),
                                  sorted(links[alert.cluster_id], key=natural_key), sources[alert.cluster_id]))
    return entries


def _levels_on(session: Session, wanted: set[tuple[str, date]]) -> dict[tuple[str, date], str]:
    """(kabupaten, day) -> the level stored for that kabupaten on its latest stored day up to `day`."""
    if not wanted:
        return {}
    codes = sorted({code for code, _ in wanted})
    last_day = max(day for _, day in wanted)
    stored: dict[str, list[tuple[date, str]]] = defaultdict(list)
    for code, day, level in session.execute(
            select(EscalationLevel.kabupaten, EscalationLevel.day, EscalationLevel.level)
            .where(EscalationLevel.kabupaten.in_(codes), EscalationLevel.category == "",
                   EscalationLevel.day <= last_day).order_by(EscalationLevel.day)):
        stored[code].append((day, level))
    result = {}
    for code, day in wanted:
        level = "normal"
        for stored_day, stored_level in stored.get(code, []):
            if stored_day > day:
                break
            level = stored_level
        result[(code, day)] = level
    return result


def realisation_news(session: Session, action_ids: list[int], start: date, end: date) -> dict[int, list[SourceRef]]:
    """Action id -> the news of its realisation (penanganan) published in [start, end] (WIB), oldest first."""
    if not action_ids:
        return {}
    rows = session.execute(
        select(PlanLink.action_id, PlanLink.cluster_id, Feed.outlet, Article.title, Article.url, Article.published_at)
        .join(Article, Article.cluster_id == PlanLink.cluster_id).join(Feed, Feed.id == Article.feed_id)
        .where(PlanLink.action_id.in_(action_ids), PlanLink.kind == REALISATION)
        .order_by(PlanLink.action_id, Article.published_at, Article.id))
    news: dict[int, list[SourceRef]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for action_id, cluster_id, outlet, title, url, published in rows:
        if published is None or not start <= published.astimezone(WIB).date() <= end or (action_id, cluster_id) in seen:
            continue
        seen.add((action_id, cluster_id))  # one story once, by its first report
        news[action_id].append(SourceRef(outlet or "", title or "", url or "", _iso(published)))
    return dict(news)


def highest_levels(session: Session, start: date, end: date) -> dict[str, str]:
    """Kabupaten code -> the highest level in effect on any day of [start, end] (the level stored on or before each
    day); kabupaten without a stored level are left out (normal)."""
    in_effect = (select(EscalationLevel.kabupaten, func.max(EscalationLevel.day).label("day"))
                 .where(EscalationLevel.category == "", EscalationLevel.day <= start)
                 .group_by(EscalationLevel.kabupaten).subquery())
    rows = session.execute(
        select(EscalationLevel.kabupaten, EscalationLevel.level).where(EscalationLevel.category == "").where(
            or_(and_(EscalationLevel.day > start, EscalationLevel.day <= end),
                exists().where(in_effect.c.kabupaten == EscalationLevel.kabupaten,
                               in_effect.c.day == EscalationLevel.day)))).all()
    highest: dict[str, str] = {}
    for code, level in rows:
        if code not in highest or LEVELS.index(level) > LEVELS.index(highest[code]):
            highest[code] = level
    return highest
