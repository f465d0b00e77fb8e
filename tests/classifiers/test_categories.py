"""The category model: calibrated probabilities, thresholds, conflict signal, explanations, variants."""
import numpy as np
import pytest

from classifiers.artifacts import load_model, save_model
from classifiers.categories import CategoryModel, ModelConfig, _best_threshold
from classifiers.training import fit_model


def test_probabilities_are_in_range_and_thresholds_chosen(small_model, taxonomy):
    probabilities = small_model.predict_proba(["Mahasiswa demo tolak RUU, ricuh dengan aparat"])
    assert probabilities.shape == (1, len(taxonomy.codes) + 1)
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    assert set(small_model.thresholds) == set(taxonomy.codes) | {"conflict"}
    assert all(0 < t < 1 for t in small_model.thresholds.values())


def test_clear_cases(small_model):
    demo, recipe = small_model.predict([
        "Ribuan mahasiswa berunjuk rasa di depan gedung DPR menolak revisi UU KPK, demo berakhir ricuh",
        "Resep kue lapis legit untuk lebaran yang mudah dibuat di rumah",
    ])
    assert "unjuk_rasa" in demo.categories and demo.is_conflict
    assert recipe.categories == [] and not recipe.is_conflict
    assert demo.conflict > recipe.conflict


def test_explanation_names_the_terms_that_pushed_a_label(small_model):
    (prediction,) = small_model.predict(["Ribuan mahasiswa demo di depan DPR, unjuk rasa ricuh"], explain=5)
    terms = [term for term, _weight in prediction.explanation["unjuk_rasa"]]
    assert terms and any(t in ("demo", "unjuk rasa", "unjuk", "rasa", "mahasiswa") for t in terms)
    assert all(weight > 0 for _t, weight in prediction.explanation["unjuk_rasa"])


def test_event_words_are_counted_again_and_marked_in_the_opening(small_model):
    features = small_model._features(["warga", "tolak", "izin", "tambang"])
    assert {"peristiwa:tolak", "peristiwa@awal"} <= set(features)
    assert not any(f.startswith("peristiwa") for f in small_model._features(["sosialisasi", "plasma", "sawit"]))


def test_artifacts_from_before_the_event_words_load_as_trained(small_model):
    state = small_model.to_state()
    state["config"] = {k: v for k, v in state["config"].items() if k not in ("event_words", "kalteng_weight")}
    old = CategoryModel.from_state(state)
    assert not old.config.event_words and old.config.kalteng_weight == 1.0


def test_thresholds_weigh_items_by_their_weight():
    y, p = np.array([1, 1, 0, 0]), np.array([0.9, 0.5, 0.6, 0.1])
    # the false positive at 0.6 is cheap when it weighs little, dear when it weighs much
    assert _best_threshold(y, p, 1.0, 0.2, np.array([1.0, 1.0, 0.1, 1.0])) <= 0.5
    assert _best_threshold(y, p, 1.0, 0.2, np.array([1.0, 1.0, 10.0, 1.0])) > 0.6


@pytest.fixture(scope="module")
def small_items(seed_items):
    return [item for item in seed_items if item.split == "train"][:600]


@pytest.mark.parametrize("changes", [{"estimator": "linear_svm", "char_ngram_max": 4}, {"estimator": "linear_svm"}])
def test_variants_learn_and_survive_a_round_trip_through_the_trusted_artifact(tmp_path, small_items, taxonomy, changes):
    model = fit_model(small_items, taxonomy, ModelConfig(folds=3, **changes))
    texts = ["Ribuan mahasiswa berunjuk rasa di depan gedung DPR, demo berakhir ricuh", "Resep kue lapis legit"]
    demo, recipe = model.predict(texts)
    assert "unjuk_rasa" in demo.categories and demo.conflict > recipe.conflict
    save_model(model, tmp_path / "m", {"version": "m"})
    loaded = load_model(tmp_path / "m").model
    assert loaded.config == model.config
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts), atol=1e-5)
    if changes.get("char_ngram_max"):
        (explained,) = loaded.predict(texts[:1], explain=40)
        assert any(term.startswith("~") for term, _ in explained.explanation["unjuk_rasa"])  # character n-grams count


def test_gradient_boosting_on_top_predicts_and_survives_a_round_trip_through_the_trusted_artifact(
        tmp_path, small_items, taxonomy):
    model = fit_model(small_items, taxonomy, ModelConfig(folds=3, stack="gboost"))
    assert model.boosters is not None and len(model.boosters.columns) > 1
    texts = ["Dua kelompok pemuda bentrok, satu tewas", "Resep kue lapis legit"]
    probabilities = model.predict_proba(texts)
    assert np.all((probabilities >= 0) & (probabilities <= 1)) and probabilities[0, -1] > probabilities[1, -1]
    save_model(model, tmp_path / "m", {"version": "m"})
    loaded = load_model(tmp_path / "m").model
    assert loaded.config.stack == "gboost" and loaded.boosters is not None
    assert np.allclose(loaded.predict_proba(texts), probabilities, atol=1e-5)
