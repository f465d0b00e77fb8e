"""Pipeline stage: classify and place-tag each stored article once per model version.

Each batch is one transaction that stores the readings, marks their stories as waiting for the
alert stage (`StoryCluster.needs_alert_refresh`) and records the articles the classifier failed
on, so a process killed at any point leaves nothing half done and nothing forgotten.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, func, or_, select, update
from sqlalchemy.orm import Session

from classifiers.service import Classifier, NewsItem
from monitor.alerts.evidence import evidence_sentences, severity_cues
from monitor.config import StageSettings
from monitor.db.models import Article, ArticleClassification, ClassificationFailure, StoryCluster, utcnow
from monitor.db.session import session_scope
from monitor.service.model_registry import active_classifier

BATCH = 500
EXPLAIN_TERMS = 8
MAX_ERROR_CHARS = 500

log = logging.getLogger("waspada.classify")


@dataclass(frozen=True)
class StageResult:
    """How many articles a run classified, and how many the classifier failed on."""

    classified: int
    model_version: str
    failed: int


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


def _read(classifier: Classifier, articles: list[Article]) -> list[ArticleClassification]:
    results = classifier.classify([NewsItem(a.id, a.title, a.summary_text) for a in articles], explain=EXPLAIN_TERMS)
    if len(results) != len(articles):
        raise ValueError(f"pengklasifikasi mengembalikan {len(results)} hasil untuk {len(articles)} artikel")
    return [_record(classifier, a, r) for a, r in zip(articles, results, strict=True)]


def _read_each(classifier: Classifier, articles: list[Article]) -> tuple[list[ArticleClassification], dict[int, str]]:
    """The readings of a batch; if the batch fails, article by article, so one bad text fails alone."""
    try:
        return _read(classifier, articles), {}
    except Exception:  # noqa: BLE001 - which article caused it is found below, one at a time
        readings, failures = [], {}
        for article in articles:
            try:
                readings.extend(_read(classifier, [article]))
            except Exception as exc:  # noqa: BLE001 - recorded as this article's failure, never raised
                failures[article.id] = f"gagal diklasifikasi: {type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        return readings, failures


def _note_failures(session: Session, version: str, known: dict[int, ClassificationFailure | None],
                   failures: dict[int, str], max_attempts: int) -> None:
    """Record each failure (one row per article and model version); drop the rows of articles now read."""
    now = utcnow()
    for article_id, failure in known.items():
        error = failures.get(article_id)
        if error is None:
            if failure is not None:
                session.delete(failure)  # read at last: no longer failing
            continue
        if failure is None:
            failure = ClassificationFailure(article_id=article_id, model_version=version, error=error, attempts=1,
                                            first_failed_at=now, last_failed_at=now)
            session.add(failure)
        else:
            failure.error, failure.attempts, failure.last_failed_at = error, failure.attempts + 1, now
        log.warning("artikel %d %s (percobaan %d dari %d)", article_id, error, failure.attempts, max_attempts)


def classify_articles(
    engine: Engine,
    classifier: Classifier | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    settings: StageSettings | None = None,
) -> StageResult:
    """Classify every article (optionally published in [since, until)) that this model version has not read.

    Idempotent: an article already classified by the same model version is skipped; a new model
    version adds its own rows, so re-scoring a date range after a model change is this call. An
    article the classifier fails on is recorded and skipped; it is tried again on later runs until
    `settings.classify_max_attempts` failures of this model version.
    """
    classifier = classifier or active_classifier(engine)
    settings = settings or StageSettings.from_env()
    version = classifier.version
    done = failed = 0
    after = 0  # articles are taken in id order, so one that fails is not retried within this run
    while True:
        with session_scope(engine) as session:
            query = (
                select(Article, ClassificationFailure)
                .outerjoin(ArticleClassification, and_(
                    ArticleClassification.article_id == Article.id, ArticleClassification.model_version == version))
                .outerjoin(ClassificationFailure, and_(
                    ClassificationFailure.article_id == Article.id, ClassificationFailure.model_version == version))
                .where(ArticleClassification.id.is_(None), Article.id > after,
                       or_(ClassificationFailure.id.is_(None),
                           ClassificationFailure.attempts < settings.classify_max_attempts))
                .order_by(Article.id)
                .limit(BATCH)
            )
            published = func.coalesce(Article.published_at, Article.fetched_at)
            if since is not None:
                query = query.where(published >= since)
            if until is not None:
                query = query.where(published < until)
            rows = session.execute(query).all()
            if not rows:
                return StageResult(done, version, failed)
            articles = [article for article, _failure in rows]
            after = articles[-1].id
            readings, failures = _read_each(classifier, articles)
            session.add_all(readings)
            _note_failures(session, version, {a.id: f for a, f in rows}, failures, settings.classify_max_attempts)
            clusters = {a.cluster_id for a in articles if a.cluster_id is not None and a.id not in failures}
            if clusters:
                session.execute(update(StoryCluster).where(StoryCluster.id.in_(clusters)).values(needs_alert_refresh=True))
            done += len(readings)
            failed += len(failures)
