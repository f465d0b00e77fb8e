"""Alerts for every front door: filtered, sorted and paged in SQL; detail; lifecycle changes with audit."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Date, String, and_, exists, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from classifiers.text import compose_document
from monitor.alerts.events import event_of_cluster, member_reasons
from monitor.alerts.generate import MANUAL_LINK
from monitor.alerts.levels import LEVELS, compute_levels
from monitor.alerts.lifecycle import LifecycleError, change_status, correct_labels
from monitor.db.models import (
    Alert,
    AlertCategory,
    AlertEvent,
    AlertPlace,
    Article,
    ArticleClassification,
    ConflictEvent,
    EscalationLevel,
    EventMember,
    Feed,
    Plan,
    PlanAction,
    PlanLink,
    present,
)
from monitor.plans.schema import natural_key
from monitor.service import audit
from monitor.service.paging import Page, PageRequest, Slice, keyset_slice
from monitor.timezones import today_wib

DISMISSED = ("bukan_konflik", "duplikat")  # statuses that take an alert out of the level counts

SORTS = {
    "terbaru": (Alert.first_seen_at.desc(), Alert.id.desc()),
    "terlama": (Alert.first_seen_at.asc(), Alert.id.asc()),
    "skor": (Alert.score.desc(), Alert.id.desc()),
    "sumber": (Alert.n_sources.desc(), Alert.id.desc()),
}


@dataclass(frozen=True)
class AlertFilters:
    """What the alert list shows; every field is optional. Days are WIB dates, `until` inclusive."""

    since: date | None = None
    until: date | None = None
    kabupaten: str | None = None
    category: str | None = None
    level: str | None = None  # at least this level in one of the alert's kabupaten on its first day
    exact_level: bool = False  # `level` is the highest level of the alert's kabupaten, not a minimum
    status: str | None = None
    feed_id: str | None = None
    text: str | None = None  # in the title of any report of the alert's story, ignoring case
    plan_gap: bool | None = None
    sort: str = "terbaru"


@dataclass(frozen=True)
class AlertRow:
    """An alert as a list shows it."""

    id: int
    title: str
    status: str
    categories: list[str]
    kabupaten: list[str]
    score: float
    severity: list[str]
    n_sources: int
    plan_gap: bool
    first_seen_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class SourceArticle:
    """One report of the alert's story."""

    id: int
    feed_id: str
    outlet: str
    url: str
    title: str
    summary: str
    published_at: datetime | None
    scores: dict = field(default_factory=dict)
    places: list = field(default_factory=list)
    conflict: float | None = None  # the conflict score of this report (None: not read by the alert's model)
    reason: str = ""  # why the report is part of the alert's event


@dataclass(frozen=True)
class LinkedAction:
    """A RAD-PKS action the alert is linked to."""

    id: int
    code: str
    kegiatan: str
    program: str
    bidang: str
    plan_year: int
    plan_region: str
    matched_on: str
    kind: str


@dataclass(frozen=True)
class PlaceMention:
    """A place the story's reports name, with the words they name it by."""

    code: str
    name: str
    level: str  # kabupaten | kecamatan | desa (the gazetteer's level)
    mentions: tuple[str, ...]  # the distinct words as written in the reports
    n_articles: int


@dataclass(frozen=True)
class LinkChoice:
    """A plan action an alert may be linked to by hand."""

    id: int
    code: str
    kegiatan: str
    bidang: str
    plan_year: int
    plan_region: str


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    from_status: str | None
    to_status: str | None
    note: str
    changes: dict


@dataclass(frozen=True)
class AlertDetail:
    """Everything about one alert: the row, evidence, places, reports, plan actions, history."""

    row: AlertRow
    kecamatan: list[str]
    desa: list[str]
    evidence: list[str]
    model_version: str
    articles: list[SourceArticle]
    actions: list[LinkedAction]
    history: list[HistoryEntry]
    places: list[PlaceMention] = field(default_factory=list)
    follows: int | None = None  # the alert of the earlier event this one continues (lanjutan)
    followed_by: tuple[int, ...] = ()  # alerts of later events that continue this one

    @property
    def category_scores(self) -> dict[str, float]:
        """Each category's highest score among the story's reports, highest first."""
        best: dict[str, float] = {}
        for article in self.articles:
            for code, score in article.scores.items():
                best[code] = max(best.get(code, 0.0), float(score))
        return dict(sorted(best.items(), key=lambda item: -item[1]))


def _row(alert: Alert) -> AlertRow:
    return AlertRow(alert.id, alert.title, alert.status, list(alert.categories), list(alert.kabupaten), alert.score,
                    list(alert.severity), alert.n_sources, alert.plan_gap, alert.first_seen_at, alert.last_seen_at)


class _no_sqlite_index(FunctionElement):
    """A text column SQLite may not index on the fly (`column || ''`); the bare column on other engines.

    In `_raised_alerts` under NOT IN, SQLite otherwise indexes the spans by kabupaten and walks every place
    row (3 s at 1,000,000 articles; 90 ms from the spans). On PostgreSQL the expression would only spoil
    the join's estimates, so there it is the column itself. SQLAlchemy's compiler extension renders it.
    """

    type = String()
    inherit_cache = True


@compiles(_no_sqlite_index)
def _bare_column(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_no_sqlite_index, "sqlite")
def _sqlite_unindexed(element, compiler, **kw):
    return f"({compiler.process(element.clauses, **kw)} || '')"


def _raised_alerts(level: str):
    """The ids of alerts with a kabupaten whose stored level on the alert's first day is at least `level`.

    A stored level holds from its day until the kabupaten's next stored day (for ever when it is the last).
    Each raised span is joined to its kabupaten's place rows of those days through one index, so the cost
    follows the alerts that match, not every alert and place. A derived table (DISTINCT) to join, so
    PostgreSQL builds it once instead of running it again for each alert it walks in list order.
    """
    wanted = LEVELS[LEVELS.index(level):]
    next_day = func.lead(EscalationLevel.day).over(partition_by=EscalationLevel.kabupaten,
                                                   order_by=EscalationLevel.day)
    spans = (select(EscalationLevel.kabupaten, EscalationLevel.level, EscalationLevel.day.label("start"),
                    func.coalesce(next_day, literal(date.max, Date)).label("stop"))
             .where(EscalationLevel.category == "").subquery())
    return (select(AlertPlace.alert_id).distinct()
            .join(spans, and_(AlertPlace.code == _no_sqlite_index(spans.c.kabupaten),
                              AlertPlace.first_seen_day >= spans.c.start, AlertPlace.first_seen_day < spans.c.stop))
            .where(spans.c.level.in_(wanted)).subquery())


def filtered_query(filters: AlertFilters):
    """The SELECT of alerts matching `filters` (no order, no paging)."""
    query = select(Alert)
    if filters.since:
        query = query.where(Alert.first_seen_day >= filters.since)
    if filters.until:
        query = query.where(Alert.first_seen_day <= filters.until)
    if filters.kabupaten:
        query = query.where(exists().where(AlertPlace.alert_id == Alert.id, AlertPlace.code == filters.kabupaten))
    if filters.category:
        query = query.where(exists().where(AlertCategory.alert_id == Alert.id,
                                           AlertCategory.category == filters.category))
    if filters.status:
        query = query.where(Alert.status == filters.status)
    if filters.plan_gap is not None:
        query = query.where(Alert.plan_gap.is_(filters.plan_gap))
    if filters.feed_id:  # a report of any copy cluster of the alert's event
        anchor, member = aliased(EventMember), aliased(EventMember)
        query = query.where(or_(
            exists().where(Article.cluster_id == Alert.cluster_id, Article.feed_id == filters.feed_id),
            exists().where(anchor.cluster_id == Alert.cluster_id, member.event_id == anchor.event_id,
                           Article.cluster_id == member.cluster_id, Article.feed_id == filters.feed_id)))
    if filters.text:  # the stored text is lowercased: LIKE on one column, no per-row lower() or join of reports
        query = query.where(Alert.search_text.like(f"%{filters.text.strip().lower()}%"))
    if filters.level and filters.level != "normal":
        raised = _raised_alerts(filters.level)
        query = query.join(raised, raised.c.alert_id == Alert.id)
    if filters.level and filters.exact_level and filters.level != LEVELS[-1]:
        higher = _raised_alerts(LEVELS[LEVELS.index(filters.level) + 1])
        query = query.where(Alert.id.not_in(select(higher.c.alert_id)))
    return query


def _check_level(filters: AlertFilters) -> None:
    if filters.level is not None and filters.level not in LEVELS:
        raise ValueError(f"level harus salah satu dari {', '.join(LEVELS)}")


def list_alerts(session: Session, filters: AlertFilters, page: PageRequest = PageRequest()) -> Page[AlertRow]:
    """One page of the alerts matching `filters`, in the chosen order, with the total."""
    _check_level(filters)
    query = filtered_query(filters)
    total = session.execute(select(func.count()).select_from(query.with_only_columns(Alert.id).subquery())).scalar_one()
    order = SORTS.get(filters.sort, SORTS["terbaru"])
    alerts = session.scalars(query.order_by(*order).offset(page.offset).limit(page.size))
    return Page([_row(alert) for alert in alerts], total, page)


def alert_slice(session: Session, filters: AlertFilters, cursor: str | None = None, limit: int = 50) -> Slice[AlertRow]:
    """The alerts matching `filters` newest first (`filters.sort` aside), after `cursor` (raises CursorError when it
    is not one of ours): the JSON API's and the exports' walk, stable while alerts are added."""
    _check_level(filters)
    return keyset_slice(session, filtered_query(filters), Alert.first_seen_at, Alert.id, cursor, limit,
                        lambda alerts: [_row(alert) for alert in alerts])


def source_links(session: Session, alert_ids: list[int]) -> dict[int, list[str]]:
    """Alert id -> the links of its story's reports (oldest first; reports without a link left out), in one query."""
    rows = session.execute(
        select(Alert.id, Article.url).join(Article, Article.cluster_id == Alert.cluster_id)
        .where(Alert.id.in_(alert_ids), Article.url != "").order_by(Alert.id, Article.published_at, Article.id))
    links: dict[int, list[str]] = {alert_id: [] for alert_id in alert_ids}
    for alert_id, url in rows:
        links[alert_id].append(url)
    return links


def alert_status(session: Session, alert_id: int) -> str | None:
    """The alert's current status, or None when there is no such alert."""
    return session.scalar(select(Alert.status).where(Alert.id == alert_id))


def alert_detail(session: Session, alert_id: int) -> AlertDetail | None:
    """The whole alert, or None when there is no such alert."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        return None
    reasons = member_reasons(session, alert.cluster_id)
    rows = session.execute(
        select(Article, ArticleClassification)
        .outerjoin(ArticleClassification, and_(ArticleClassification.article_id == Article.id,
                                               ArticleClassification.model_version == alert.model_version))
        .where(Article.cluster_id.in_(list(reasons))).order_by(Article.published_at, Article.id)
    ).all()
    first_of: dict[int, int] = {}  # cluster -> its first report, which carries the cluster's join reason
    for article, _reading in rows:
        first_of.setdefault(present(article.cluster_id), article.id)

    def reason(article: Article) -> str:
        cluster = present(article.cluster_id)
        if first_of[cluster] == article.id:
            return reasons[cluster]
        return f"salinan hampir sama dari berita #{first_of[cluster]}"

    articles = [SourceArticle(a.id, a.feed_id, a.feed.outlet, a.url, a.title, a.summary_text, a.published_at,
                              dict(c.scores) if c else {}, list(c.places) if c else [], c.conflict if c else None,
                              reason(a))
                for a, c in rows]
    links = session.execute(
        select(PlanLink, PlanAction, Plan).join(PlanAction, PlanAction.id == PlanLink.action_id)
        .join(Plan, Plan.id == PlanAction.plan_id).where(PlanLink.cluster_id == alert.cluster_id)
        .order_by(PlanAction.code)
    ).all()
    actions = [LinkedAction(action.id, action.code, action.kegiatan, action.program, action.bidang, plan.year,
                            plan.region_code, link.matched_on, link.kind) for link, action, plan in links]
    history = [HistoryEntry(e.at, e.actor, e.from_status, e.to_status, e.note, dict(e.changes or {}))
               for e in session.scalars(
                   select(AlertEvent).where(AlertEvent.alert_id == alert.id).order_by(AlertEvent.id))]
    follows, followed_by = _continuations(session, alert.cluster_id)
    return AlertDetail(_row(alert), list(alert.kecamatan), list(alert.desa), list(alert.evidence), alert.model_version,
                       articles, actions, history, place_mentions(articles), follows, followed_by)


def event_sources(session: Session, alert_ids) -> dict[int, list[tuple[str, str]]]:
    """Alert id -> (outlet, link) of every report of its event, oldest first, one query for all the alerts."""
    anchor, member = aliased(EventMember), aliased(EventMember)
    wanted = list(alert_ids)
    rows = session.execute(
        select(Alert.id, Feed.outlet, Feed.id, Article.url)
        .join(anchor, anchor.cluster_id == Alert.cluster_id).join(member, member.event_id == anchor.event_id)
        .join(Article, Article.cluster_id == member.cluster_id).join(Feed, Feed.id == Article.feed_id)
        .where(Alert.id.in_(wanted)).order_by(Alert.id, Article.published_at, Article.id))
    sources: dict[int, list[tuple[str, str]]] = {}
    for alert_id, outlet, feed_id, url in rows:
        sources.setdefault(alert_id, []).append((outlet or feed_id, url))
    return sources


def alert_of_events(session: Session, event_ids) -> dict[int, int]:
    """Event id -> the id of its alert, for the events that have one."""
    return dict(session.execute(select(EventMember.event_id, Alert.id)
                                .join(Alert, Alert.cluster_id == EventMember.cluster_id)
                                .where(EventMember.event_id.in_(list(event_ids)))).all())


def _continuations(session: Session, cluster_id: int) -> tuple[int | None, tuple[int, ...]]:
    """The alert of the event this alert's event continues, and the alerts of the events continuing it."""
    event = event_of_cluster(session, cluster_id)
    if event is None:
        return None, ()
    later = session.scalars(select(ConflictEvent.id).where(ConflictEvent.follows_event_id == event.id)).all()
    alerts = alert_of_events(session, [*later, *([event.follows_event_id] if event.follows_event_id else [])])
    earlier = alerts.get(event.follows_event_id) if event.follows_event_id is not None else None
    return earlier, tuple(sorted(alerts[e] for e in later if e in alerts))


PLACE_LEVEL_ORDER = ("kabupaten", "kota", "kecamatan", "desa", "kelurahan")


def place_mentions(articles: list[SourceArticle]) -> list[PlaceMention]:
    """The places the reports name (from the tagger's spans in title + ". " + text), kabupaten first."""
    found: dict[str, dict] = {}
    for article in articles:
        document = compose_document(article.title, article.summary)
        for place in article.places:
            code = str(place.get("code", ""))
            if not code:
                continue
            entry = found.setdefault(code, {"name": str(place.get("name", code)), "level": str(place.get("level", "")),
                                            "mentions": [], "articles": set()})
            span: list[int] = place.get("span") or []
            if len(span) == 2 and 0 <= span[0] < span[1] <= len(document):
                words = " ".join(document[span[0]:span[1]].split())
                if words and words not in entry["mentions"]:
                    entry["mentions"].append(words)
            entry["articles"].add(article.id)
    rank = {level: i for i, level in enumerate(PLACE_LEVEL_ORDER)}
    return [PlaceMention(code, e["name"], e["level"], tuple(e["mentions"]), len(e["articles"]))
            for code, e in sorted(found.items(), key=lambda item: (rank.get(item[1]["level"], len(rank)), item[0]))]


def recompute_levels_from(session: Session, start: date | None) -> None:
    """Levels from `start` (default today) to today, in the caller's session, after alerts left or rejoined the
    counts."""
    session.flush()
    start = start or today_wib()
    compute_levels(session, start, max(start, today_wib()))


def set_status(session: Session, alert_id: int, status: str, actor: str, note: str = "", address: str = "") -> None:
    """Move an alert along its lifecycle (raises LifecycleError with an Indonesian message); audited.

    A move into or out of bukan_konflik/duplikat changes what the levels count, so the levels are
    recomputed from the alert's first day to today in the same transaction.
    """
    event = change_status(session, alert_id, status, actor, note)
    audit.record(session, actor, "alert.status", f"alert:{alert_id}",
                 {"from": event.from_status, "to": event.to_status, "note": note}, address)
    if (event.from_status in DISMISSED) != (event.to_status in DISMISSED):
        recompute_levels_from(session, session.get_one(Alert, alert_id).first_seen_day)


def correct(session: Session, alert_id: int, actor: str, categories: list[str], kabupaten: list[str],
            known_categories: tuple[str, ...], note: str = "", address: str = "") -> None:
    """Correct an alert's categories and kabupaten; stored as labels for retraining; audited.

    The levels count alerts per kabupaten and category, so a change of either recomputes them from
    the alert's first day to today in the same transaction (a dismissed alert counts nowhere).
    """
    event = correct_labels(session, alert_id, actor, categories, kabupaten, note, known_categories)
    audit.record(session, actor, "alert.correct", f"alert:{alert_id}", dict(event.changes), address)
    alert = session.get_one(Alert, alert_id)
    if alert.status not in DISMISSED and any(before != after for before, after in event.changes.values()):
        recompute_levels_from(session, alert.first_seen_day)


def link_choices(session: Session, alert_id: int) -> list[LinkChoice]:
    """The actions an alert may be linked to by hand: those of the plans of its first day's year for its
    kabupaten and for the province, not linked yet; province plan last, actions in code order."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        return []
    year = (alert.first_seen_day or today_wib()).year
    regions = [code for code in alert.kabupaten if code.count(".") == 1] + ["62"]
    linked = select(PlanLink.action_id).where(PlanLink.cluster_id == alert.cluster_id)
    rows = list(session.execute(
        select(PlanAction, Plan).join(Plan, Plan.id == PlanAction.plan_id)
        .where(Plan.year == year, Plan.region_code.in_(regions), PlanAction.id.not_in(linked))).all())
    rows.sort(key=lambda r: (r[1].region_code == "62", r[1].region_code, natural_key(r[0].code)))
    return [LinkChoice(action.id, action.code, action.kegiatan, action.bidang, plan.year, plan.region_code)
            for action, plan in rows]


def link_action(session: Session, alert_id: int, action_id: int, actor: str, note: str = "", address: str = "") -> None:
    """Link an alert to a plan action by hand (kept across re-runs as a manual link); audited."""
    alert = session.get(Alert, alert_id)
    action = session.get(PlanAction, action_id)
    if alert is None or action is None:
        raise LifecycleError("peringatan atau aksi RAD-PKS tidak ada")
    existing = session.scalar(select(PlanLink).where(PlanLink.cluster_id == alert.cluster_id,
                                                     PlanLink.action_id == action_id))
    if existing is None:
        session.add(PlanLink(cluster_id=alert.cluster_id, action_id=action_id, kind=MANUAL_LINK,
                             matched_on=f"ditautkan oleh {actor}"))
    alert.plan_gap = False
    session.add(AlertEvent(alert_id=alert.id, actor=actor, from_status=alert.status, to_status=alert.status,
                           note=note or f"ditautkan ke aksi {action.code}", changes={"action": action.code}))
    audit.record(session, actor, "alert.link_action", f"alert:{alert_id}", {"action": action.code}, address)


def stage_failures(session: Session) -> list[StageFailureRow]:
    """The stories and events the alert stage failed on, most recent first, with their error and attempts."""
    from monitor.alerts.failures import recorded

    return [StageFailureRow(f.stage, f.item_id, f.attempts, f.error, f.first_failed_at, f.last_failed_at)
            for f in recorded(session)]


@dataclass(frozen=True)
class StageFailureRow:
    """One item the alert stage failed on (see monitor/alerts/failures.py)."""

    stage: str
    item_id: int
    attempts: int
    error: str
    first_failed_at: datetime
    last_failed_at: datetime

