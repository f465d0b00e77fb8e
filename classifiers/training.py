"""Training: seed set plus analyst labels -> a new model version with its card."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from classifiers.artifacts import save_model
from classifiers.categories import CategoryModel, ModelConfig
from classifiers.seed import KALTENG, LabeledItem, load_kalteng, load_seed
from classifiers.taxonomy import Taxonomy


def data_fingerprint(items: Sequence[LabeledItem]) -> str:
    """sha256 over the training items' ids, texts and labels (order-independent)."""
    digest = hashlib.sha256()
    for item in sorted(items, key=lambda i: i.id):
        digest.update(json.dumps([item.id, item.document, sorted(item.categories)], ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def merge_labels(seed: Sequence[LabeledItem], analyst: Sequence[LabeledItem]) -> list[LabeledItem]:
    """Seed items overridden by analysts' labels of the same id; new analyst items appended."""
    by_id = {item.id: item for item in seed}
    for item in analyst:
        by_id[item.id] = item
    return list(by_id.values())


def training_items(items: Sequence[LabeledItem]) -> list[LabeledItem]:
    """Items a model may learn from: everything except the committed held-out slice."""
    return [item for item in items if item.split != "holdout"]


def shipped_items(analyst: Sequence[LabeledItem] = (), kalteng_path: Path | None = None) -> list[LabeledItem]:
    """All labeled data a shipped model is made from: the national seed set (analysts' labels merged in)
    and the whole Kalteng set; `training_items` of it is what the shipped model trains on."""
    return merge_labels(load_seed(), analyst) + load_kalteng(kalteng_path)


def fit_model(items: Sequence[LabeledItem], taxonomy: Taxonomy, config: ModelConfig | None = None) -> CategoryModel:
    """Fit a CategoryModel on labeled items."""
    model = CategoryModel(taxonomy.codes, taxonomy.conflict_codes, config)
    weights = [model.config.kalteng_weight if item.corpus == KALTENG else 1.0 for item in items]
    return model.fit([item.document for item in items], [item.categories for item in items], weights)


def new_version() -> str:
    """A sortable version name for a freshly trained model."""
    return datetime.now(UTC).strftime("cat-%Y%m%d-%H%M%S")


def train_and_save(
    items: Sequence[LabeledItem],
    taxonomy: Taxonomy,
    models_root: Path,
    config: ModelConfig | None = None,
    version: str | None = None,
    measure: Callable[[CategoryModel], dict] | None = None,
    sources: list[str] | None = None,
) -> tuple[Path, dict]:
    """Train on the training items and write `models_root/<version>/` with model.skops and card.json.

    `measure`, if given, receives the trained model and returns the metrics recorded in the card.
    """
    version = version or new_version()
    train = training_items(items)
    model = fit_model(train, taxonomy, config)
    metrics = measure(model) if measure else {}
    counts = {code: sum(1 for item in train if code in item.categories) for code in taxonomy.codes}
    card = save_model(
        model,
        Path(models_root) / version,
        {
            "version": version,
            "training_data": {
                "sources": sources or ["classifiers/data/seed (seed.jsonl, synthetic.jsonl)"],
                "items": len(train),
                "synthetic_items": sum(1 for item in train if item.synthetic),
                "kalteng_items": sum(1 for item in train if item.corpus == KALTENG),
                "positives_per_label": counts,
                "sha256": data_fingerprint(train),
            },
            "metrics": metrics,
        },
    )
    return Path(models_root) / version, card
