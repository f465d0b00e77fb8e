"""The labeling queue: one item per story, the ones the active model is least sure of first, spread over
kabupaten and categories; an analyst's label is stored for every report of the story (LabelCorrection),
the same labels that alert corrections and 'bukan konflik' produce.

Uncertainty is the smallest distance of any category probability (or the conflict signal) to its
threshold in the active model's card: 0 means the model was on the edge of that decision.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from classifiers.text import compose_document
from monitor.alerts.coverage import kabupaten_names
from monitor.db.models import (
    Alert,
    Article,
    ArticleClassification,
    Feed,
    LabelCorrection,
    LabelSkip,
    StoryCluster,
    present,
)
from monitor.service import audit

POOL_STORIES = 2000  # the newest stories the queue is chosen from
CONFLICT = "conflict"  # the conflict signal's key among a card's thresholds


class LabelingError(ValueError):
    """A label that cannot be stored (Indonesian message)."""


@dataclass(frozen=True)
class QueueItem:
    """A story to label: its first report, the active model's reading of it, and how unsure the model was."""

    cluster_id: int
    article_id: int
    title: str
    summary: str
    outlet: str
    published_at: datetime | None
    categories: list[str]
    scores: dict[str, float]
    conflict: float
    kabupaten: list[str]
    kalteng: bool
    places: list = field(default_factory=list)
    margin: float = 1.0

    @property
    def group(self) -> tuple[str, str]:
        """(kabupaten, category) the queue spreads over: the first predicted of each, '' when none."""
        category = max(self.categories, key=lambda c: self.scores.get(c, 0.0)) if self.categories else ""
        return (self.kabupaten[0] if self.kabupaten else "", category)


def story_readings(session: Session, version: str, username: str,
                   pool: int = POOL_STORIES) -> list[tuple[Article, ArticleClassification, str]]:
    """The stories to choose from: the first report of each of the newest `pool` stories, with its reading by
    `version` and its outlet, leaving out stories anyone labelled and the ones `username` skipped.

    The one place that decides what a "story" is (today a copy cluster)."""
    newest = select(StoryCluster.id).order_by(StoryCluster.id.desc()).limit(pool).scalar_subquery()
    first = (select(Article.cluster_id, func.min(Article.id).label("article_id"))
             .where(Article.cluster_id.in_(newest)).group_by(Article.cluster_id).subquery())
    labelled = select(Article.cluster_id).join(LabelCorrection, LabelCorrection.article_id == Article.id)
    skipped = select(LabelSkip.cluster_id).where(LabelSkip.username == username)
    query = (select(Article, ArticleClassification, Feed.outlet)
             .join(first, first.c.article_id == Article.id)
             .join(ArticleClassification, and_(ArticleClassification.article_id == Article.id,
                                               ArticleClassification.model_version == version))
             .join(Feed, Feed.id == Article.feed_id)
             .where(Article.cluster_id.not_in(labelled.where(Article.cluster_id.is_not(None))),
                    Article.cluster_id.not_in(skipped)))
    return [(article, reading, outlet) for article, reading, outlet in session.execute(query)]


def margin(scores: dict[str, float], conflict: float, thresholds: dict[str, float]) -> float:
    """The smallest distance of a category probability or the conflict signal to its threshold."""
    gaps = [abs(score - thresholds[code]) for code, score in scores.items() if code in thresholds]
    if CONFLICT in thresholds:
        gaps.append(abs(conflict - thresholds[CONFLICT]))
    return min(gaps, default=1.0)


def spread(items: list[QueueItem]) -> list[QueueItem]:
    """Round-robin over (kabupaten, category) groups: each round takes every group's most uncertain item,
    groups in the order of their most uncertain item."""
    groups: dict[tuple[str, str], list[QueueItem]] = defaultdict(list)
    for item in sorted(items, key=lambda i: (i.margin, i.cluster_id)):
        groups[item.group].append(item)
    lanes = list(groups.values())  # in order of first appearance: most uncertain first
    ordered: list[QueueItem] = []
    for depth in range(max((len(lane) for lane in lanes), default=0)):
        ordered.extend(lane[depth] for lane in lanes if depth < len(lane))
    return ordered


def label_queue(session: Session, card: dict, username: str, limit: int = 20) -> list[QueueItem]:
    """The next `limit` stories for `username` to label, read by the model of `card` (the active model)."""
    thresholds = card.get("thresholds", {})
    items = [
        QueueItem(present(article.cluster_id), article.id, article.title, article.summary_text, outlet,
                  article.published_at,
                  list(reading.categories), dict(reading.scores), reading.conflict, list(reading.kabupaten),
                  reading.kalteng, list(reading.places or []),
                  margin(reading.scores, reading.conflict, thresholds))
        for article, reading, outlet in story_readings(session, str(card.get("version", "")), username)
    ]
    return spread(items)[:limit]


def marked_text(title: str, summary: str, places: list) -> list[tuple[str, str | None]]:
    """The text the tagger read, cut into (text, place name or None) pieces at the tagger's offsets.

    Pages escape every piece and mark the named ones; offsets that overlap or fall outside are ignored."""
    text = compose_document(title, summary)
    pieces: list[tuple[str, str | None]] = []
    at = 0
    spans = [(p.get("span") or [], p.get("name", "")) for p in places if isinstance(p, dict)]
    for span, name in sorted((s for s in spans if _valid_span(s[0], len(text))), key=lambda s: s[0][0]):
        start, end = span
        if start < at:
            continue
        if start > at:
            pieces.append((text[at:start], None))
        pieces.append((text[start:end], str(name) or None))
        at = end
    if at < len(text):
        pieces.append((text[at:], None))
    return pieces


def _valid_span(span, length: int) -> bool:
    return (isinstance(span, (list, tuple)) and len(span) == 2 and all(isinstance(v, int) for v in span)
            and 0 <= span[0] < span[1] <= length)


def label_story(session: Session, cluster_id: int, actor: str, categories: list[str], kabupaten: list[str],
                kalteng: bool, known_categories: tuple[str, ...], address: str = "") -> int:
    """Store an analyst's label for every report of a story (audited); returns how many reports were labelled.

    A kabupaten implies `kalteng` (LABELING.md: the events happen in Kalimantan Tengah)."""
    unknown = sorted(set(categories) - set(known_categories))
    if unknown:
        raise LabelingError(f"kategori tidak dikenal: {', '.join(unknown)}")
    places = kabupaten_names()
    unknown = sorted(set(kabupaten) - set(places))
    if unknown:
        raise LabelingError(f"kabupaten/kota tidak dikenal: {', '.join(unknown)}")
    articles = list(session.scalars(select(Article).where(Article.cluster_id == cluster_id).order_by(Article.id)))
    if not articles:
        raise LabelingError(f"cerita #{cluster_id} tidak ada")
    alert_id = session.scalar(select(Alert.id).where(Alert.cluster_id == cluster_id))
    kalteng = kalteng or bool(kabupaten)
    for article in articles:
        session.add(LabelCorrection(article_id=article.id, alert_id=alert_id, actor=actor,
                                    categories=sorted(categories), kabupaten=sorted(kabupaten), kalteng=kalteng,
                                    note="antrean pelabelan"))
    session.execute(delete(LabelSkip).where(LabelSkip.cluster_id == cluster_id))
    audit.record(session, actor, "labels.queue", f"story:{cluster_id}", {
        "categories": sorted(categories), "kabupaten": sorted(kabupaten), "kalteng": kalteng,
        "articles": len(articles)}, address)
    return len(articles)


def skip_story(session: Session, cluster_id: int, username: str) -> None:
    """Take a story out of `username`'s queue (it stays in the others')."""
    if session.get(StoryCluster, cluster_id) is None:
        raise LabelingError(f"cerita #{cluster_id} tidak ada")
    if session.get(LabelSkip, (cluster_id, username)) is None:
        session.add(LabelSkip(cluster_id=cluster_id, username=username))
