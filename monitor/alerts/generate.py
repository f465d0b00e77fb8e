"""Stories to alerts: a conflict signal in Kalimantan Tengah becomes an alert linked to plan actions;
activity news (`penanganan`) becomes evidence of realisation for the actions it matches.

Activity news names the conflict it handles ("mediasi sengketa plasma" is `perkebunan` and
`penanganan`), so a story counts as activity when `penanganan` is confidently predicted and the
story reports no violence; violence with police present ("bentrok ... petugas keamanan") stays an alert.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import astuple, dataclass
from typing import Iterable

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from monitor.alerts.matching import ACTIVITY_CATEGORY, PlanIndex, match_actions
from monitor.alerts.stories import Story
from monitor.db.models import Alert, Article, ArticleClassification, PlanLink, StoryCluster
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
        stories.setdefault(article.cluster_id, Story(article.cluster_id)).add(article, classification)
    return list(stories.values())


def search_text(titles: Iterable[str]) -> str:
    """What the alert list's text search reads: the distinct titles, lowercased, one a line."""
    return "\n".join(dict.fromkeys(title.strip().lower() for title in titles if title and title.strip()))


def report_titles(session: Session, cluster_ids: list[int]) -> dict[int, list[str]]:
    """The titles of every report of these stories, read by a model or not (the search finds them all)."""
    titles: dict[int, list[str]] = defaultdict(list)
    for cluster_id, title in session.execute(select(Article.cluster_id, Article.title)
                                             .where(Article.cluster_id.in_(cluster_ids)).order_by(Article.id)):
        titles[cluster_id].append(title)
    return titles


def _link(session: Session, plans: PlanIndex, story: Story, kind: str, existing: dict) -> int:
    """Make the story's plan links its current matches plus the links people made by hand; returns how many."""
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
            session.add(PlanLink(cluster_id=story.cluster_id, action_id=match.action_id, kind=kind, matched_on=match.reason))
        elif link.kind != MANUAL_LINK:
            link.kind, link.matched_on = kind, match.reason
    return len(matches) + manual


def _unlink(session: Session, story: Story, existing: dict) -> None:
    """A story that is neither an alert nor activity news (any more) keeps no plan links."""
    for (cluster_id, _action_id), link in existing.items():
        if cluster_id == story.cluster_id:
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


def update_alerts(engine: Engine, model_version: str, cluster_ids: Iterable[int] | None = None) -> AlertRun:
    """Create or refresh alerts and plan links for the stories (all, or the given clusters).

    Idempotent and keeps each alert's status. Stories are handled in batches, each in its own
    transaction, so memory stays bounded however long the history is; each batch also clears its
    stories' `needs_alert_refresh` mark.
    """
    if cluster_ids is None:
        with session_scope(engine) as session:
            cluster_ids = session.scalars(
                select(Article.cluster_id).join(ArticleClassification, ArticleClassification.article_id == Article.id)
                .where(ArticleClassification.model_version == model_version, Article.cluster_id.is_not(None)).distinct()
            ).all()
    ordered = sorted(set(cluster_ids))
    total = AlertRun(0, 0, 0, 0, 0)
    for start in range(0, len(ordered), STORY_BATCH):
        run = _update_batch(engine, model_version, ordered[start:start + STORY_BATCH])
        total = AlertRun(*(a + b for a, b in zip(astuple(total), astuple(run))))
    return total


def update_pending_alerts(engine: Engine, model_version: str) -> AlertRun:
    """Refresh the stories marked `needs_alert_refresh` (by classification), batch by batch, until none is left.

    The marks are the stage's to-do list in the database: a run killed half way leaves the
    unfinished stories marked, and the next run, in any process, takes them up. Only marked
    stories are read, so a pass costs what changed, not the whole history.
    """
    total = AlertRun(0, 0, 0, 0, 0)
    while True:
        with session_scope(engine) as session:
            batch = session.scalars(select(StoryCluster.id).where(StoryCluster.needs_alert_refresh)
                                    .order_by(StoryCluster.id).limit(STORY_BATCH)).all()
        if not batch:
            return total
        run = _update_batch(engine, model_version, list(batch))
        total = AlertRun(*(a + b for a, b in zip(astuple(total), astuple(run))))


def _update_batch(engine: Engine, model_version: str, cluster_ids: list[int]) -> AlertRun:
    created = updated = realisations = gaps = 0
    with session_scope(engine) as session:
        # Cleared first, in the transaction that writes the alerts: the write lock (SQLite) or the
        # row locks (PostgreSQL) make a classification committed meanwhile either visible to the
        # reads below or wait and mark the story again after this commit; nothing is lost.
        session.execute(update(StoryCluster).where(StoryCluster.id.in_(cluster_ids)).values(needs_alert_refresh=False))
        stories = load_stories(session, model_version, cluster_ids)
        plans = PlanIndex(session)
        alerts = {a.cluster_id: a for a in session.scalars(select(Alert).where(Alert.cluster_id.in_(cluster_ids)))}
        links = {(l.cluster_id, l.action_id): l for l in session.scalars(select(PlanLink).where(PlanLink.cluster_id.in_(cluster_ids)))}
        titles = report_titles(session, cluster_ids)
        for story in stories:
            if is_activity(story) and in_kalteng(story):
                realisations += bool(_link(session, plans, story, "realisasi", links))
                continue
            if not is_alert(story):
                _unlink(session, story, links)
                continue
            matched = _link(session, plans, story, "alert", links)  # queries first: the alert must be complete when flushed
            alert = alerts.get(story.cluster_id)
            if alert is None:
                alert = Alert(cluster_id=story.cluster_id, status="baru")
                created += 1
            else:
                updated += 1
            alert.categories = sorted(story.categories)
            alert.kabupaten, alert.kecamatan, alert.desa = sorted(story.kabupaten), sorted(story.kecamatan), sorted(story.desa)
            alert.score = round(story.conflict, 4)
            alert.severity = sorted(story.severity)
            alert.evidence = story.evidence[:MAX_EVIDENCE]
            alert.title = story.title
            alert.search_text = search_text([story.title, *titles[story.cluster_id]])
            alert.n_sources = len(story.sources)
            alert.plan_gap = matched == 0
            alert.model_version = model_version
            alert.first_seen_at, alert.last_seen_at = story.first_seen, story.last_seen
            session.add(alert)
            gaps += alert.plan_gap
    return AlertRun(len(stories), created, updated, realisations, gaps)
