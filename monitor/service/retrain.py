"""Retraining from the product: the seed set plus analysts' labels -> a candidate model, compared with the active one.

The newest analyst labels (WASPADA_NEWEST_LABELS_PERCENT of them, newest first, at most
WASPADA_NEWEST_LABELS_MAX) are kept out of the candidate's training and form the "newest labels"
evaluation set, with the frozen set (the seed's held-out slice). Items the active model learned from are
removed from the newest set, so both models are measured on items neither saw. The held-back labels
enter training on a later retrain, once newer labels have taken their place.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from classifiers.artifacts import load_model
from classifiers.comparison import shipped_config
from classifiers.seed import LabeledItem, load_kalteng, load_seed, read_labels
from classifiers.taxonomy import load_taxonomy
from classifiers.training import merge_labels, new_version, train_and_save, training_items
from monitor.alerts.lifecycle import latest_labels
from monitor.config import TrainingSettings
from monitor.db.models import ModelVersion, present
from monitor.db.session import session_scope
from monitor.service import model_registry
from monitor.service.model_quality import frozen_set, measure, worse_reasons

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class AnalystLabels:
    """Analysts' labels split into what the candidate learns from and the newest ones it is measured on."""

    train: list[LabeledItem]
    newest: list[LabeledItem]


def article_id(item: LabeledItem) -> int | None:
    """The article id of an analyst label ('article-12' -> 12), None for a seed item."""
    prefix, _, number = item.id.partition("-")
    return int(number) if prefix == "article" and number.isdigit() else None


def analyst_labels(engine: Engine, settings: TrainingSettings) -> AnalystLabels:
    """The latest label of each labelled article, the newest share held back for evaluation."""
    with session_scope(engine) as session:
        records = [record for _label_id, record in latest_labels(session)]  # oldest first
    items = read_labels([json.dumps(record, ensure_ascii=False) for record in records], "label analis")
    held = min(settings.newest_labels_max, len(items) * settings.newest_labels_share // 100)
    cut = len(items) - held
    return AnalystLabels(items[:cut], items[cut:])


def spread(items: Sequence[LabeledItem], limit: int) -> list[LabeledItem]:
    """At most `limit` items taken evenly across `items` (all of them when limit is 0 or not smaller)."""
    if not limit or limit >= len(items):
        return list(items)
    step = len(items) / limit
    return [items[int(k * step)] for k in range(limit)]


def training_set(labels: AnalystLabels, max_items: int) -> list[LabeledItem]:
    """The shipped model's training items (national seed training split, synthetic items, the Kalteng set; an
    even spread when `max_items` is set) plus every analyst label that is trained on."""
    seed = training_items(load_seed() + load_kalteng())
    room = max(0, max_items - len(labels.train)) if max_items else 0
    return merge_labels(spread(seed, room) if max_items else seed, labels.train)


def _unique_version(engine: Engine, root: Path) -> str:
    base = new_version()
    with session_scope(engine) as session:
        taken = set(session.scalars(select(ModelVersion.version).where(ModelVersion.version.like(f"{base}%"))))
    version, n = base, 1
    while version in taken or (root / version).exists():
        n += 1
        version = f"{base}-{n}"
    return version


def train_candidate(engine: Engine, settings: TrainingSettings, actor: str, max_items: int | None = None,
                    progress: Progress = lambda _pct, _msg: None) -> model_registry.ModelRecord:
    """Train a candidate, measure it and the active model on the frozen set and the newest labels, register it."""
    progress(5, "Memuat set benih dan label analis")
    taxonomy = load_taxonomy()
    labels = analyst_labels(engine, settings)
    limit = settings.max_items if max_items is None else max_items
    items = training_set(labels, limit)
    frozen = frozen_set()
    root = Path(settings.models_root)
    version = _unique_version(engine, root)
    progress(15, f"Melatih {version} pada {len(items)} item")
    folder, card = train_and_save(
        items, taxonomy, root, config=shipped_config(), version=version,
        sources=["classifiers/data/seed", f"label analis ({len(labels.train)} item; {len(labels.newest)} "
                                          "terbaru ditahan untuk evaluasi)"],
        measure=lambda model: {"frozen_set": measure(model, frozen, taxonomy)})
    progress(70, "Mengukur kandidat dan model aktif")
    candidate = load_model(folder)  # as the monitor will read it (checksum checked)
    with session_scope(engine) as session:
        active, active_trained = model_registry.active_loaded(session)
    seen_by_active = set(active_trained)
    unseen = [item for item in labels.newest if article_id(item) not in seen_by_active]
    evaluation: dict[str, Any] = {
        "against": str(active.card.get("version", "")),
        "frozen": {"candidate": card["metrics"]["frozen_set"], "active": measure(active.model, frozen, taxonomy)},
        "newest": {"candidate": measure(candidate.model, unseen, taxonomy),
                   "active": measure(active.model, unseen, taxonomy)},
        "newest_held_out": len(labels.newest),
        "max_items": limit,
    }
    evaluation["worse_on_frozen"] = worse_reasons(evaluation["frozen"]["candidate"], evaluation["frozen"]["active"])
    progress(90, "Mencatat kandidat di registri")
    with session_scope(engine) as session:
        record = model_registry.register(session, folder, card, evaluation,
                                         [present(article_id(item)) for item in labels.train], actor)
    progress(100, f"Kandidat {version} siap dibandingkan")
    return record
