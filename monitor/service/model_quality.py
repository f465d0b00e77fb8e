"""How good a model is, for the promote decision: the one place that calls classifiers.evaluation.

Two evaluation sets, both unseen by the candidate: the frozen set (the seed's committed held-out slice,
split == "holdout", never trained on) and the newest analyst labels kept out of the candidate's
training (see monitor.service.retrain). Each model is measured per category and per kabupaten.
"""
from __future__ import annotations

from collections.abc import Sequence

from classifiers.categories import CategoryModel
from classifiers.evaluation import score_predictions
from classifiers.seed import LabeledItem, load_seed
from classifiers.taxonomy import Taxonomy

HEADLINES = ("conflict_f1", "macro_f1")  # a candidate lower on either, on the frozen set, is worse


def frozen_set() -> list[LabeledItem]:
    """The committed held-out slice of the seed set (real items only): never trained on."""
    return [item for item in load_seed() if item.split == "holdout" and not item.synthetic]


def _headline(report: dict, items: int) -> dict:
    return {"items": items, "conflict_f1": round(report["conflict_signal"]["f1"], 4),
            "macro_f1": round(report["macro_f1"], 4), "micro_f1": round(report["micro"]["f1"], 4)}


def measure(model: CategoryModel, items: Sequence[LabeledItem], taxonomy: Taxonomy) -> dict:
    """Headline metrics, F1 per category (None without examples) and, per labelled kabupaten, the share of its
    items whose conflict signal the model decides right (F1 is undefined for a kabupaten without conflict items).
    An empty dict for no items."""
    if not items:
        return {}
    items = list(items)
    predictions = model.predict([item.document for item in items])
    report = score_predictions(items, predictions, taxonomy)
    result = _headline(report, len(items))
    result["per_label"] = {code: {"f1": round(values["f1"], 4) if values["support"] else None,
                                  "support": values["support"]}
                           for code, values in report["per_label"].items()}
    conflict_codes = set(taxonomy.conflict_codes)
    right = [bool(conflict_codes & set(item.categories)) == prediction.is_conflict
             for item, prediction in zip(items, predictions, strict=True)]
    result["per_kabupaten"] = {}
    for code in sorted({code for item in items for code in item.kabupaten}):
        picked = [n for n, item in enumerate(items) if code in item.kabupaten]
        result["per_kabupaten"][code] = {"items": len(picked),
                                         "conflict_accuracy": round(sum(right[n] for n in picked) / len(picked), 4)}
    return result


def worse_reasons(candidate: dict, active: dict) -> list[str]:
    """Why the candidate's frozen-set metrics are worse than the active model's (Indonesian); [] if not worse."""
    names = {"conflict_f1": "F1 sinyal konflik", "macro_f1": "F1 makro"}
    return [f"{names[key]} {candidate[key]:.3f} < {active[key]:.3f}"
            for key in HEADLINES if candidate and active and candidate[key] < active[key]]
