"""Stories to events to alerts: conflict stories in Kalimantan Tengah are placed into conflict events
(monitor/alerts/events.py), and each event becomes one alert linked to plan actions; activity news
(`penanganan`) becomes evidence of realisation for the actions it matches.

Activity news names the conflict it handles ("mediasi sengketa plasma" is `perkebunan` and
`penanganan`), so a story counts as activity when `penanganan` is confidently predicted and the
story reports no violence; violence with police present ("bentrok ... petugas keamanan") stays an alert.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import astuple, dataclass, field

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, selectinload

from monitor.alerts import failures
from monitor.alerts.events import EventMatcher, Placement, rebuild
from monitor.alerts.matching import ACTIVITY_CATEGORY, PlanIndex, match_actions
from monitor.alerts.stories import Story
from monitor.config import EventSettings, StageSettings
from monitor.db.models import (
    Alert,
    Article,
    ArticleClassification,
    ConflictEvent,
    EventMember,
    PlanLink,
    StoryCluster,
    present,
)
from monitor.db.session import session_scope

MAX_EVIDENCE = 5
MANUAL_LINK = "manual"  # a link an operator made: kept whatever the matching says
STORY_BATCH = 2000
ACTIVITY_MIN_SCORE = 0.8
VIOLENT_CUES = frozenset({"korban jiwa", "korban luka", "pembakaran", "bentrok"})


@dataclass(frozen=True)
class AlertRun:
    """What one run of the alert stage did."""

    stories: int
    created: int
    updated: int
    realisations: int
    plan_gaps: int
    joined: int = 0  # stories that joined an event another report had started (rewrites, follow-up reports)
    failed: int = 0  # stories and events the stage failed on: recorded in stage_failures, retried on later passes


def load_stories(session: Session, model_version: str, cluster_ids: Iterable[int] | None = None) -> list[Story]:
    """Stories with at least one article read by `model_version` (only the given clusters, if any)."""
    query = (
        select(Article, ArticleClassification)
        .join(ArticleClassification, ArticleClassification.article_id == Article.id)
        .where(ArticleClassification.model_version == model_version, Article.cluster_id.is_not(None))
        .order_by(Article.cluster_id, Article.id)
    )
    if cluster_ids is not None:
        query = query.where(Article.cluster_id.in_(list(cluster_ids)))
    stories: dict[int, Story] = {}
    for article, classification in session.execute(query):
        cluster_id = present(article.cluster_id)  # the query keeps only clustered articles
        stories.setdefault(cluster_id, Story(cluster_id)).add(article, classification)
    return list(stories.values())


def search_text(titles: Iterable[str]) -> str:
    """What the alert list's text search reads: the distinct titles, lowercased, one a line."""
    return "\n".join(dict.fromkeys(title.strip().lower() for title in titles if title and title.strip()))


def report_titles(session: Session, cluster_ids: list[int]) -> dict[int, list[str]]:
    """The titles of every report of these stories, read by a model or not (the search finds them all)."""
    titles: dict[int, list[str]] = defaultdict(list)
    for cluster_id, title in session.execute(select(Article.cluster_id, Article.title)
                                             .where(Article.cluster_id.in_(cluster_ids)).order_by(Article.id)):
        titles[present(cluster_id)].append(title)
    return titles


def _link(session: Session, plans: PlanIndex, story: Story, kind: str, existing: dict) -> int:
    """Make the story's plan links its current matches plus the links people made by hand; returns how many.

    Links are keyed by the story's cluster: an event's are on its anchor cluster (its alert's `cluster_id`).
    """
    matches = match_actions(plans, story.year, story.categories, story.places, story.text)
    matched_ids = {match.action_id for match in matches}
    manual = 0
    for (cluster_id, action_id), link in existing.items():
        if cluster_id != story.cluster_id:
            continue
        if link.kind == MANUAL_LINK:
            manual += action_id not in matched_ids
        elif action_id not in matched_ids:
            session.delete(link)  # the plan or the story changed since this link was made
    for match in matches:
        link = existing.get((story.cluster_id, match.action_id))
        if link is None:
            session.add(PlanLink(cluster_id=story.cluster_id, action_id=match.action_id, kind=kind,
                                 matched_on=match.reason))
        elif link.kind != MANUAL_LINK:
            link.kind, link.matched_on = kind, match.reason
    return len(matches) + manual


def _unlink(session: Session, cluster_id: int, existing: dict) -> None:
    """A story that is neither an alert nor activity news (any more), or not its event's anchor, keeps no plan links."""
    for (linked_cluster, _action_id), link in existing.items():
        if linked_cluster == cluster_id:
            session.delete(link)


def in_kalteng(story: Story) -> bool:
    return story.kalteng or bool(story.kabupaten)


def is_activity(story: Story) -> bool:
    """News of conflict handling (evidence of a plan being carried out), not a new threat."""
    return (ACTIVITY_CATEGORY in story.categories and story.scores.get(ACTIVITY_CATEGORY, 0.0) >= ACTIVITY_MIN_SCORE
            and not story.severity & VIOLENT_CUES)


def is_alert(story: Story) -> bool:
    """A conflict signal in (or about) Kalimantan Tengah, and not activity news."""
    return story.is_conflict and in_kalteng(story) and not is_activity(story)


def update_alerts(engine: Engine, model_version: str, cluster_ids: Iterable[int] | None = None,
                  settings: EventSettings | None = None, stage: StageSettings | None = None) -> AlertRun:
    """Create or refresh events, alerts and plan links for the stories (all, or the given clusters).

    Idempotent and keeps each alert's status. Stories are handled in batches, each in its own
    transaction, so memory stays bounded however long the history is; each batch also clears its
    stories' `needs_alert_refresh` mark.
    """
    settings = settings or EventSettings.from_env()
    max_attempts = (stage or StageSettings.from_env()).alert_max_attempts
    ordered = in_time_order(engine, read_by(engine, model_version) if cluster_ids is None else cluster_ids)
    total = AlertRun(0, 0, 0, 0, 0)
    for start in range(0, len(ordered), STORY_BATCH):
        run, _failed = _update_batch(engine, model_version, ordered[start:start + STORY_BATCH], settings, max_attempts)
        total = _added(total, run)
    return total


def read_by(engine: Engine, model_version: str) -> list[int]:
    """The clusters with at least one article read by `model_version`."""
    with session_scope(engine) as session:
        return [present(cluster_id) for cluster_id in session.scalars(
            select(Article.cluster_id).join(ArticleClassification, ArticleClassification.article_id == Article.id)
            .where(ArticleClassification.model_version == model_version, Article.cluster_id.is_not(None)).distinct())]


def _added(total: AlertRun, run: AlertRun) -> AlertRun:
    return AlertRun(*(a + b for a, b in zip(astuple(total), astuple(run), strict=True)))


def update_pending_alerts(engine: Engine, model_version: str, settings: EventSettings | None = None,
                          stage: StageSettings | None = None) -> AlertRun:
    """Refresh the stories marked `needs_alert_refresh` (by classification), batch by batch, until none is left.

    The marks are the stage's to-do list in the database: a run killed half way leaves the
    unfinished stories marked, and the next run, in any process, takes them up. Only marked
    stories are read, so a pass costs what changed, not the whole history. Stories are placed into
    events in one order, their clusters' (first seen, id), whatever the batches, so a killed and
    resumed run builds the same events as one that was never interrupted.
    """
    settings = settings or EventSettings.from_env()
    max_attempts = (stage or StageSettings.from_env()).alert_max_attempts
    total = AlertRun(0, 0, 0, 0, 0)
    failed_now: set[int] = set()  # a story that failed stays marked for a later pass, not this one
    while True:
        given_up = failures.given_up(failures.ALERT_STORY, max_attempts)
        with session_scope(engine) as session:
            query = (select(StoryCluster.id).where(StoryCluster.needs_alert_refresh, StoryCluster.id.not_in(given_up))
                     .order_by(StoryCluster.first_seen_at, StoryCluster.id).limit(STORY_BATCH))
            if failed_now:
                query = query.where(StoryCluster.id.not_in(sorted(failed_now)))
            batch = session.scalars(query).all()
        if not batch:
            return total
        run, failed = _update_batch(engine, model_version, list(batch), settings, max_attempts)
        failed_now |= failed
        total = _added(total, run)


def in_time_order(engine: Engine, cluster_ids: Iterable[int]) -> list[int]:
    """The clusters by (first seen, id): the one order stories are placed into events in."""
    wanted = set(cluster_ids)
    with session_scope(engine) as session:
        rows = session.execute(select(StoryCluster.id).order_by(StoryCluster.first_seen_at, StoryCluster.id)).scalars()
        return [cluster_id for cluster_id in rows if cluster_id in wanted]


def _update_batch(engine: Engine, model_version: str, cluster_ids: list[int], settings: EventSettings,
                  max_attempts: int) -> tuple[AlertRun, set[int]]:
    """Place the stories into events and refresh the events' alerts, in one transaction; with the clusters that
    failed.

    The stories are placed together in a savepoint (else each in its own), and the events refreshed together in
    one (else each in its own): a story or event that raises is recorded in stage_failures and its stories stay
    marked for a later pass (until `max_attempts` failures), while the others are stored.
    """
    failed: set[int] = set()
    with session_scope(engine) as session:
        # Cleared first, in the transaction that writes the alerts: the write lock (SQLite) or the
        # row locks (PostgreSQL) make a classification committed meanwhile either visible to the
        # reads below or wait and mark the story again after this commit; nothing is lost.
        session.execute(update(StoryCluster).where(StoryCluster.id.in_(cluster_ids)).values(needs_alert_refresh=False))
        stories = load_stories(session, model_version, cluster_ids)
        plans = PlanIndex(session)
        placed = dict(session.execute(select(EventMember.cluster_id, EventMember.event_id)
                                      .where(EventMember.cluster_id.in_(cluster_ids))).all())
        follows = dict(session.execute(select(StoryCluster.id, StoryCluster.follows_cluster_id).where(
            StoryCluster.id.in_(cluster_ids), StoryCluster.follows_cluster_id.is_not(None))).all())
        first_seen = dict(session.execute(select(StoryCluster.id, StoryCluster.first_seen_at)
                                          .where(StoryCluster.id.in_(cluster_ids))).all())
        ordered = sorted(stories, key=lambda s: (first_seen[s.cluster_id], s.cluster_id))
        batch = _StoryBatch(session, plans, placed, follows, settings, cluster_ids)
        try:  # all stories in one savepoint; only if one fails are they placed again, each in its own
            with session.begin_nested():
                touched, new_events, realisations, joined = batch.place_all(ordered)
        except Exception:  # noqa: BLE001 - the failing story is found and recorded below
            touched, new_events, realisations, joined = batch.place_all(ordered, failed, max_attempts)
        failures.clear(session, failures.ALERT_STORY, [s.cluster_id for s in stories if s.cluster_id not in failed])
        session.flush()
        touched.update(event.id for event in new_events)
        by_cluster = {s.cluster_id: s for s in stories}
        refreshed, failed_events = _refresh_isolated(session, sorted(touched), model_version, plans, by_cluster,
                                                     max_attempts)
        if failed_events:
            failed.update(session.scalars(select(EventMember.cluster_id)
                                          .where(EventMember.event_id.in_(failed_events))))
        if failed:  # tried again on a later pass
            session.execute(update(StoryCluster).where(StoryCluster.id.in_(sorted(failed)))
                            .values(needs_alert_refresh=True))
    run = AlertRun(len(stories), refreshed.created, refreshed.updated, realisations, refreshed.plan_gaps, joined,
                   len(failed))
    return run, failed


class _StoryBatch:
    """Places a batch's stories into events (see `_update_batch`)."""

    def __init__(self, session: Session, plans: PlanIndex, placed: dict, follows: dict, settings: EventSettings,
                 cluster_ids: list[int]):
        self.session, self.plans, self.placed, self.follows = session, plans, placed, follows
        self.settings, self.cluster_ids = settings, cluster_ids

    def place_all(self, stories: list[Story], failed: set[int] | None = None, max_attempts: int = 0):
        """(touched event ids, new events, realisations, joined) of placing the stories in order.

        With `failed` (a retry after the batch failed), each story is placed in a savepoint of its own and a
        story that raises is recorded and added to `failed`; without it, any error is raised.
        """
        session = self.session
        # read afresh: a rolled-back attempt leaves neither links nor matcher state behind
        links = _links_of(session, self.cluster_ids)
        matcher = EventMatcher(session, self.settings)
        touched: set[int] = set()
        new_events: list[ConflictEvent] = []
        realisations = joined = 0
        for story in stories:
            if failed is None:
                kind, value = _place(session, self.plans, links, self.placed, self.follows, matcher, story)
            else:
                try:
                    with session.begin_nested():
                        kind, value = _place(session, self.plans, links, self.placed, self.follows, matcher, story)
                        session.flush()  # a row the database refuses fails this story alone
                except Exception as exc:  # noqa: BLE001 - recorded as this story's failure, the others go on
                    failures.note_failure(session, failures.ALERT_STORY, story.cluster_id, exc, max_attempts)
                    failed.add(story.cluster_id)
                    matcher = EventMatcher(session, self.settings)  # it may have read the rolled-back event
                    continue
            if isinstance(value, Placement):
                joined += value.joined
                new_events.append(value.event)
            elif kind == "realisation":
                realisations += value
            elif kind == "in event":
                touched.add(value)
        return touched, new_events, realisations, joined


def _links_of(session: Session, cluster_ids: list[int]) -> dict[tuple[int, int], PlanLink]:
    """The stories' plan links by (cluster, action)."""
    return {(link.cluster_id, link.action_id): link
            for link in session.scalars(select(PlanLink).where(PlanLink.cluster_id.in_(cluster_ids)))}


def _place(session: Session, plans: PlanIndex, links: dict, placed: dict, follows: dict, matcher: EventMatcher,
           story: Story) -> tuple[str, int | Placement]:
    """Handle one story: ("realisation", links made), ("none", 0), ("in event", its event id) or ("placed",
    Placement)."""
    if is_activity(story) and in_kalteng(story):
        return "realisation", int(bool(_link(session, plans, story, "realisasi", links)))
    if not is_alert(story):
        _unlink(session, story.cluster_id, links)
        return "none", 0
    if story.cluster_id in placed:  # a story keeps its event: refreshed, never moved
        return "in event", placed[story.cluster_id]
    return "placed", matcher.place(story, follows.get(story.cluster_id))


def _refresh_isolated(session: Session, event_ids: list[int], model_version: str, plans: PlanIndex,
                      stories: dict[int, Story], max_attempts: int) -> tuple[EventRefresh, list[int]]:
    """`refresh_events` for all events in a savepoint; if that fails, each event in its own (failures recorded)."""
    exhausted = set(session.scalars(failures.given_up(failures.ALERT_EVENT, max_attempts)))
    event_ids = [event_id for event_id in event_ids if event_id not in exhausted]
    try:
        with session.begin_nested():
            refreshed = refresh_events(session, event_ids, model_version, plans, stories)
        failures.clear(session, failures.ALERT_EVENT, event_ids)
        return refreshed, []
    except Exception:  # noqa: BLE001 - which event fails is found below, one at a time
        pass
    created = updated = gaps = 0
    failed = []
    for event_id in event_ids:
        try:
            with session.begin_nested():
                one = refresh_events(session, [event_id], model_version, plans, stories)
        except Exception as exc:  # noqa: BLE001 - recorded as this event's failure, the others go on
            failures.note_failure(session, failures.ALERT_EVENT, event_id, exc, max_attempts)
            failed.append(event_id)
            continue
        failures.clear(session, failures.ALERT_EVENT, [event_id])
        created, updated, gaps = created + one.created, updated + one.updated, gaps + one.plan_gaps
    return EventRefresh(created, updated, gaps), failed


@dataclass(frozen=True)
class EventRefresh:
    """What refreshing some events' alerts did."""

    created: int
    updated: int
    plan_gaps: int
    alerts: dict[int, Alert] = field(default_factory=dict, compare=False)  # event id -> its alert


def event_story(stories: list[Story], anchor: int) -> Story:
    """One story of all the event's stories, in time order, under the anchor cluster's id."""
    combined = Story(anchor)
    for story in sorted(stories, key=lambda s: (s.first_seen, s.cluster_id)):
        combined.absorb(story)
    return combined


def refresh_events(session: Session, event_ids: list[int], model_version: str, plans: PlanIndex,
                   known: dict[int, Story] | None = None) -> EventRefresh:
    """Make each event's alert (created on its first alert story, status kept) and plan links its stories' union.

    An event's alert is keyed by its anchor cluster: the alert's cluster while it stays in the event,
    else the event's earliest story. An analyst's correction of categories and kabupaten is kept over
    the model's reading. An event with no alert story (any more) keeps its alert as it was.
    """
    created = updated = gaps = 0
    alerts: dict[int, Alert] = {}
    events = list(session.scalars(select(ConflictEvent).where(ConflictEvent.id.in_(event_ids))
                                  .options(selectinload(ConflictEvent.members), selectinload(ConflictEvent.keys))
                                  .order_by(ConflictEvent.id)))
    members = {event.id: [member.cluster_id for member in event.members] for event in events}
    cluster_ids = sorted({cluster for clusters in members.values() for cluster in clusters})
    known = dict(known or {})
    missing = [cluster for cluster in cluster_ids if cluster not in known]
    if missing:
        known.update({story.cluster_id: story for story in load_stories(session, model_version, missing)})
    existing = {a.cluster_id: a for a in session.scalars(select(Alert).where(Alert.cluster_id.in_(cluster_ids)))}
    links = _links_of(session, cluster_ids)
    titles = report_titles(session, cluster_ids)
    for event in events:
        stories = [known[c] for c in members[event.id] if c in known and is_alert(known[c])]
        if not stories:
            continue
        alert = min((existing[c] for c in members[event.id] if c in existing), key=lambda a: a.id, default=None)
        anchor = (alert.cluster_id if alert is not None
                  else min(stories, key=lambda s: (s.seen_from, s.cluster_id)).cluster_id)
        story = event_story(stories, anchor)
        correction = (alert.correction if alert is not None else None) or {}
        if correction:
            story.categories, story.kabupaten = set(correction["categories"]), set(correction["kabupaten"])
        rebuild(event, stories, *((set(correction["categories"]), set(correction["kabupaten"])) if correction else ()))
        for other in stories:
            if other.cluster_id != anchor:
                _unlink(session, other.cluster_id, links)  # the event's links live on its anchor
        matched = _link(session, plans, story, "alert", links)  # queries first: the alert must be complete when flushed
        if alert is None:
            alert = Alert(cluster_id=anchor, status="baru")
            created += 1
        else:
            updated += 1
        alert.categories = sorted(story.categories)
        alert.kabupaten, alert.kecamatan = sorted(story.kabupaten), sorted(story.kecamatan)
        alert.desa = sorted(story.desa)
        alert.score = round(story.conflict, 4)
        alert.severity = sorted(story.severity)
        alert.evidence = story.evidence[:MAX_EVIDENCE]
        alert.title = story.title
        alert.search_text = search_text([story.title, *(t for c in members[event.id] for t in titles[c])])
        alert.n_sources = len(story.sources)
        alert.plan_gap = matched == 0
        alert.model_version = model_version
        alert.first_seen_at, alert.last_seen_at = story.seen_from, story.seen_until
        session.add(alert)
        alerts[event.id] = alert
        gaps += alert.plan_gap
    return EventRefresh(created, updated, gaps, alerts)
