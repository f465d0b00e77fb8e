"""Pipeline stage: classify and place-tag each stored article once per model version.

Each batch is one transaction that stores the readings and marks their stories as waiting for
the alert stage (`StoryCluster.needs_alert_refresh`), so a process killed at any point leaves
nothing half done and nothing forgotten.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, func, select, update

from classifiers.service import Classifier, NewsItem, load_classifier
from monitor.alerts.evidence import evidence_sentences, severity_cues
from monitor.db.models import Article, ArticleClassification, StoryCluster
from monitor.db.session import session_scope

BATCH = 500
EXPLAIN_TERMS = 8


@dataclass(frozen=True)
class StageResult:
    """How many articles a run classified."""

    classified: int
    model_version: str


def _record(classifier: Classifier, article: Article, result: dict) -> ArticleClassification:
    text = f"{article.title}. {article.summary_text}"
    terms = [term for pairs in result.get("explanation", {}).values() for term, _weight in pairs]
    return ArticleClassification(
        article_id=article.id, model_version=classifier.version, categories=result["categories"],
        scores=result["scores"], conflict=result["conflict"],
        is_conflict=result["conflict"] >= classifier.loaded.model.thresholds["conflict"],
        kabupaten=result["kabupaten"], kecamatan=result["kecamatan"], desa=result["desa"],
        kalteng=result["kalteng"], places=result["places"],
        evidence=evidence_sentences(text, terms) if result["categories"] else [],
        severity=severity_cues(text),
    )


def classify_articles(
    engine: Engine,
    classifier: Classifier | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> StageResult:
    """Classify every article (optionally published in [since, until)) that this model version has not read.

    Idempotent: an article already classified by the same model version is skipped; a new model
    version adds its own rows, so re-scoring a date range after a model change is this call.
    """
    classifier = classifier or load_classifier()
    done = 0
    while True:
        with session_scope(engine) as session:
            query = (
                select(Article)
                .outerjoin(ArticleClassification, and_(
                    ArticleClassification.article_id == Article.id,
                    ArticleClassification.model_version == classifier.version,
                ))
                .where(ArticleClassification.id.is_(None))
                .order_by(Article.id)
                .limit(BATCH)
            )
            published = func.coalesce(Article.published_at, Article.fetched_at)
            if since is not None:
                query = query.where(published >= since)
            if until is not None:
                query = query.where(published < until)
            articles = list(session.scalars(query))
            if not articles:
                return StageResult(done, classifier.version)
            results = classifier.classify(
                [NewsItem(a.id, a.title, a.summary_text) for a in articles], explain=EXPLAIN_TERMS
            )
            session.add_all(_record(classifier, a, r) for a, r in zip(articles, results))
            clusters = {a.cluster_id for a in articles if a.cluster_id is not None}
            if clusters:
                session.execute(update(StoryCluster).where(StoryCluster.id.in_(clusters)).values(needs_alert_refresh=True))
            done += len(articles)
