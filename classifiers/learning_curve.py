"""Learning curve on the Kalteng set: would more labeled local news still raise the held-out figures?

Each share re-runs the Kalteng outlets-held-out evaluation (the same folds as `waspada evaluate`) with every
fold's model learning from only that share of the fold's Kalteng training items; national and synthetic items
are all kept, and the test items are the same for every share. Items are drawn by a hash of their id, so a
smaller share's items are part of every larger share's and a run repeats exactly.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

from classifiers.categories import ModelConfig
from classifiers.evaluation import KALTENG_FOLDS, held_out
from classifiers.seed import KALTENG, LabeledItem
from classifiers.splits import Fold, publisher_folds
from classifiers.taxonomy import Taxonomy

SHARES = (0.25, 0.5, 0.75, 1.0)


def kept_share(item_id: str, share: float) -> bool:
    """Whether an item is in the first `share` of the Kalteng set (a fixed hash of its id; nested across shares)."""
    drawn = int.from_bytes(hashlib.sha256(item_id.encode("utf-8")).digest()[:8], "big") / 2**64
    return drawn < share


def thinned(fold: Fold, share: float) -> Fold:
    """The fold with only `share` of its Kalteng training items (the other training items and the test kept)."""
    train = [item for item in fold.train if item.corpus != KALTENG or kept_share(item.id, share)]
    return Fold(fold.name, fold.held_out, train, fold.test)


def learning_curve(items: Sequence[LabeledItem], taxonomy: Taxonomy, config: ModelConfig | None = None,
                   shares: Sequence[float] = SHARES, max_folds: int = KALTENG_FOLDS) -> list[dict]:
    """One row per share: Kalteng training items per fold (mean), pooled conflict-signal and macro F1, per round."""
    folds = [fold for fold in publisher_folds(items, KALTENG, max_folds) if fold.test]
    rows = []
    for share in shares:
        parts = [thinned(fold, share) for fold in folds]
        report = held_out(parts, taxonomy, config)
        kalteng_train = [sum(item.corpus == KALTENG for item in part.train) for part in parts]
        rows.append({
            "share": share,
            "kalteng_train_items": round(sum(kalteng_train) / len(kalteng_train)),
            "conflict_signal": report["conflict_signal"],
            "macro_f1_support5": report["macro_f1_support5"],
            "per_round": {number: values["conflict_signal"]["f1"]
                          for number, values in report.get("per_round", {}).items()},
        })
    return rows


def to_markdown(rows: Sequence[dict]) -> str:
    """The curve as a table, in Indonesian like the evaluation report."""
    rounds = sorted({number for row in rows for number in row["per_round"]}, key=int)
    header = ["bagian set Kalteng", "item Kalteng latih per lipatan", "F1 sinyal konflik (P/R)", "F1 makro"]
    header += [f"F1 putaran {number}" for number in rounds]
    lines = ["# Kurva belajar: Kalteng, media ditahan", "",
             "Model tiap lipatan belajar dari sebagian item Kalteng saja (semua item nasional tetap); item uji sama.",
             "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        signal = row["conflict_signal"]
        cells = [f"{row['share']:.0%}", str(row["kalteng_train_items"]),
                 f"{signal['f1']:.3f} ({signal['precision']:.3f}/{signal['recall']:.3f})",
                 f"{row['macro_f1_support5']:.3f}"]
        cells += [f"{row['per_round'][number]:.3f}" if number in row["per_round"] else "-" for number in rounds]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
