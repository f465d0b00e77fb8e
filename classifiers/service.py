"""Classify news items: categories from the model, places from the gazetteer tagger, in one record."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from classifiers.artifacts import LoadedModel, load_model
from classifiers.paths import default_model_dir
from classifiers.places import PlaceTagger
from classifiers.salience import tag_item
from classifiers.text import compose_document


@dataclass(frozen=True)
class NewsItem:
    """What the classifier reads."""

    id: object
    title: str
    text: str

    @property
    def document(self) -> str:
        return compose_document(self.title, self.text)


class Classifier:
    """A loaded model plus the place tagger."""

    def __init__(self, loaded: LoadedModel, tagger: PlaceTagger | None = None):
        self.loaded = loaded
        self.tagger = tagger or PlaceTagger.default()

    @property
    def version(self) -> str:
        return str(self.loaded.card.get("version", ""))

    def classify(self, items: Sequence[NewsItem], explain: int = 0) -> list[dict]:
        """One output record per item, in order (the `waspada classify` contract)."""
        predictions = self.loaded.model.predict([item.document for item in items], explain=explain)
        records = []
        for item, prediction in zip(items, predictions, strict=True):
            places = tag_item(self.tagger, item.title, item.text).to_dict()
            record = {
                "id": item.id,
                "categories": prediction.categories,
                "scores": prediction.scores,
                "conflict": prediction.conflict,
                "kabupaten": places["kabupaten"],
                "kecamatan": places["kecamatan"],
                "desa": places["desa"],
                "kalteng": places["kalteng"],
                "places": places["places"],
            }
            if explain:
                record["explanation"] = {k: [[t, w] for t, w in v] for k, v in prediction.explanation.items()}
            records.append(record)
        return records


@lru_cache(maxsize=4)
def load_classifier(model_dir: str | None = None) -> Classifier:
    """A cached classifier for a model folder (default: the shipped model)."""
    return Classifier(load_model(Path(model_dir) if model_dir else default_model_dir()))
