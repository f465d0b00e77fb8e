"""Why an alert was raised: the terms that pushed each predicted category of its first report, and its
evidence sentences with those terms and the severity cues marked.

The terms are computed on demand with the installed model (loaded once per process by
`classifiers.service.load_classifier`; reading one report then takes milliseconds), and only when
that model is the one that read the alert: another model's terms would explain a different reading.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from classifiers.service import Classifier, NewsItem, load_classifier
from monitor.alerts.evidence import marked_segments
from monitor.service.alerts import AlertDetail

TERMS_PER_CATEGORY = 8
MAX_REPORTS = 20  # reports read to mark the evidence (a story's copies say much the same)
CONFLICT = "conflict"  # the classifier's key for the conflict signal's own terms

log = logging.getLogger("waspada.explain")


@dataclass(frozen=True)
class Explanation:
    """The terms per predicted category (and `conflict`), the marked evidence, and why terms are missing."""

    terms: dict[str, list[tuple[str, float]]]
    evidence: list[list[tuple[str, bool]]]  # each evidence sentence as (text, marked) pieces
    article_id: int | None = None  # the report the terms come from
    note: str = ""  # Indonesian; set when there are no terms
    categories: list[str] = field(default_factory=list)  # what the model predicted for that report


def _terms(detail: AlertDetail, classifier: Classifier | None) -> tuple[dict, set[str], int | None, list[str], str]:
    """The first report's terms per category, the terms of every report read, that report's id and categories,
    and a note when there are no terms."""
    if not detail.articles:
        return {}, set(), None, [], "Peringatan ini tidak punya berita sumber."
    try:
        classifier = classifier or load_classifier()
    except Exception as exc:  # noqa: BLE001 - an unusable model leaves the page without terms, never broken
        log.warning("model tidak dapat dimuat untuk penjelasan: %s", exc)
        return {}, set(), None, [], "Istilah pendorong tidak dapat dihitung: model pengklasifikasi tidak dapat dimuat."
    if classifier.version != detail.model_version:
        return {}, set(), None, [], (f"Istilah pendorong tidak ditampilkan: peringatan ini dibaca model "
                              f"'{detail.model_version}', sedangkan model terpasang '{classifier.version}'.")
    reports = detail.articles[:MAX_REPORTS]
    records = classifier.classify([NewsItem(a.id, a.title, a.summary) for a in reports], explain=TERMS_PER_CATEGORY)
    first = records[0]
    terms = {code: [(str(term), float(weight)) for term, weight in pairs]
             for code, pairs in first.get("explanation", {}).items()}
    words = {str(term) for record in records for pairs in record.get("explanation", {}).values() for term, _ in pairs}
    note = "" if terms else "Model tidak menemukan istilah pendorong pada berita pertama."
    return terms, words, reports[0].id, list(first["categories"]), note


def explain_alert(detail: AlertDetail, classifier: Classifier | None = None) -> Explanation:
    """The alert's explanation; `classifier` defaults to the installed model (cached per process)."""
    terms, words, article_id, categories, note = _terms(detail, classifier)
    evidence = [marked_segments(sentence, sorted(words)) for sentence in detail.evidence]
    return Explanation(terms, evidence, article_id, note, categories)
