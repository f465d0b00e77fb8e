"""The shipped default model: loads from a fresh clone, and meets the issue's quality bar on the
committed held-out slice (seed items with split=holdout, never used to train the shipped model)."""
import pytest

from classifiers.artifacts import load_model
from classifiers.evaluation import evaluate_model, place_report
from classifiers.paths import default_model_dir
from classifiers.places import PlaceTagger
from classifiers.training import data_fingerprint, training_items

CONFLICT_F1, MACRO_F1, KABUPATEN_F1 = 0.85, 0.70, 0.90


@pytest.fixture(scope="module")
def shipped():
    return load_model(default_model_dir())


@pytest.fixture(scope="module")
def holdout(seed_items):
    items = [item for item in seed_items if item.split == "holdout"]
    assert len(items) >= 300 and not any(item.synthetic for item in items)
    return items


def test_shipped_model_was_trained_without_the_held_out_slice(shipped, seed_items, holdout):
    card = shipped.card
    assert card["training_data"]["sha256"] == data_fingerprint(training_items(seed_items))
    assert card["training_data"]["items"] == len(seed_items) - len(holdout)


def test_shipped_model_meets_the_quality_bar_on_the_held_out_slice(shipped, holdout, taxonomy):
    report = evaluate_model(shipped.model, holdout, taxonomy)
    assert report["conflict_signal"]["f1"] >= CONFLICT_F1, report["conflict_signal"]
    assert report["macro_f1"] >= MACRO_F1, {k: v["f1"] for k, v in report["per_label"].items()}


def test_place_tagger_meets_the_kabupaten_bar_on_the_held_out_slice(holdout):
    report = place_report(holdout, PlaceTagger.default())
    assert report["kabupaten"]["support"] >= 5
    assert report["kabupaten"]["f1"] >= KABUPATEN_F1, report["errors"]
