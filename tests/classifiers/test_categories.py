"""The category model: calibrated probabilities, thresholds, conflict signal, explanations."""
import numpy as np


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
