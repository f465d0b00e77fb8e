"""How good a model is, for the promote decision: the one place that calls classifiers.evaluation.

Two evaluation sets, both unseen by the candidate: the frozen set (the seed's committed held-out slice,
split == "holdout", never trained on) and the newest analyst labels kept out of the candidate's
training (see monitor.service.retrain). Each model is measured per category and per kabupaten.
"""
from __future__ import annotations

from typing import Sequence

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
    """Headline metrics, F1 per category and metrics per labelled kabupaten of `model` on `items` (None if empty)."""
    if not items:
        return {}
    items = list(items)
    predictions = model.predict([item.document for item in items])
    report = score_predictions(items, predictions, taxonomy)
    result = _headline(report, len(items))
    result["per_label"] = {code: {"f1": round(values["f1"], 4), "support": values["support"]}
                           for code, values in report["per_label"].items()}
    result["per_kabupaten"] = {}
    for code in sorted({code for item in items for code in item.kabupaten}):
        picked = [n for n, item in enumerate(items) if code in item.kabupaten]
        part = score_predictions([items[n] for n in picked], [predictions[n] for n in picked], taxonomy)
        result["per_kabupaten"][code] = _headline(part, len(picked))
    return result


def worse_reasons(candidate: dict, active: dict) -> list[str]:
    """Why the candidate's frozen-set metrics are worse than the active model's (Indonesian); [] if not worse."""
    names = {"conflict_f1": "F1 sinyal konflik", "macro_f1": "F1 makro"}
    return [f"{names[key]} {candidate[key]:.3f} < {active[key]:.3f}"
            for key in HEADLINES if candidate and active and candidate[key] < active[key]]
