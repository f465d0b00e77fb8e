"""Multi-label metrics: per-label precision/recall/F1, micro and macro F1, conflict signal, place sets."""
from __future__ import annotations

from collections.abc import Sequence


def prf(tp: int, fp: int, fn: int) -> dict:
    """Precision, recall and F1 from counts (0 where undefined)."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def set_counts(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]],
               label: str | None = None) -> tuple[int, int, int]:
    """True/false positives and false negatives over items, for one label or for all set members."""
    tp = fp = fn = 0
    for gold_item, predicted_item in zip(gold, predicted, strict=True):
        g, p = set(gold_item), set(predicted_item)
        if label is not None:
            g, p = g & {label}, p & {label}
        tp += len(g & p)
        fp += len(p - g)
        fn += len(g - p)
    return tp, fp, fn


def multilabel_report(gold, predicted, labels: Sequence[str], conflict_labels: Sequence[str]) -> dict:
    """Per-label P/R/F1 with support, micro F1, macro F1 over labels with support, and the conflict signal."""
    per_label = {}
    for label in labels:
        tp, fp, fn = set_counts(gold, predicted, label)
        per_label[label] = {**prf(tp, fp, fn), "support": tp + fn, "predicted": tp + fp}
    supported = [v["f1"] for v in per_label.values() if v["support"] > 0]
    micro = prf(*set_counts(gold, predicted))
    conflict = set(conflict_labels)
    gold_conflict = [["x"] if conflict & set(g) else [] for g in gold]
    pred_conflict = [["x"] if conflict & set(p) else [] for p in predicted]
    return {
        "per_label": per_label,
        "micro": micro,
        "macro_f1": round(sum(supported) / len(supported), 4) if supported else 0.0,
        "macro_over": [k for k, v in per_label.items() if v["support"] > 0],
        "conflict_from_categories": {**prf(*set_counts(gold_conflict, pred_conflict)),
                                     "support": sum(map(bool, gold_conflict))},
        "items": len(gold),
    }


def binary_report(gold: Sequence[bool], predicted: Sequence[bool]) -> dict:
    """P/R/F1 of a yes/no decision."""
    tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p and not g)
    fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g and not p)
    return {**prf(tp, fp, fn), "support": tp + fn}
