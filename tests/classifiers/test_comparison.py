"""Model comparison: the simplest candidate within one point of the best is kept."""
import pytest

from classifiers.categories import ModelConfig
from classifiers.comparison import CANDIDATES, choose, compare_models


@pytest.mark.parametrize("scores, chosen", [
    ([0.80, 0.805, 0.83], 2),  # only the best is within one point
    ([0.821, 0.825, 0.83], 0),  # the simplest is within one point: kept
    ([0.82, 0.83], 0),  # exactly one point below still counts as within
    ([0.85, 0.84, 0.80], 0),  # the simplest is the best
    ([0.70, 0.815, 0.82], 1),
])
def test_the_simplest_model_within_one_point_of_the_best_is_chosen(scores, chosen):
    assert choose(scores) == chosen


def test_candidates_are_ordered_simplest_first_and_differ_from_plain_logistic_regression():
    base = ModelConfig(estimator="linear_svm", char_ngram_max=4, stack="gboost", C=3.0)
    plain = CANDIDATES[0].config(base)
    assert (plain.estimator, plain.char_ngram_max, plain.stack, plain.C) == ("logreg", 0, "none", 3.0)
    assert [c.config(base) != plain for c in CANDIDATES] == [False, True, True, True]


def test_comparison_scores_each_candidate_on_held_out_publishers_and_applies_the_rule(seed_items, taxonomy):
    items = [item for item in seed_items if not item.synthetic and item.publisher in ("kompas", "okezone", "wowkeren")]
    items = items[::6] + [item for item in seed_items if item.synthetic]
    result = compare_models(items, taxonomy, ModelConfig(folds=3), CANDIDATES[:2])
    assert [row["name"] for row in result["candidates"]] == ["lr-kata", "svm-kata"]
    for row in result["candidates"]:
        assert list(row["splits"]) == ["national_publisher_held_out"]  # no Kalteng items given
        figures = row["splits"]["national_publisher_held_out"]
        assert 0.3 < figures["conflict_f1"] <= 1 and row["score"] == round((figures["conflict_f1"] + figures["macro_f1_support5"]) / 2, 4)
    scores = [row["score"] for row in result["candidates"]]
    assert result["chosen"] == result["candidates"][choose(scores)]["name"]


def test_the_configured_variant_reuses_the_figures_the_report_measured_on_the_same_folds(seed_items, taxonomy):
    items = [item for item in seed_items if not item.synthetic and item.publisher in ("kompas", "okezone", "wowkeren")]
    items = items[::12] + [item for item in seed_items if item.synthetic]
    measured = {"national_publisher_held_out": {"conflict_signal": {"f1": 0.123}, "macro_f1_support5": 0.456}}
    result = compare_models(items, taxonomy, ModelConfig(folds=3), CANDIDATES[:2], measured=measured)
    plain, svm = (row["splits"]["national_publisher_held_out"] for row in result["candidates"])
    assert plain == {"conflict_f1": 0.123, "macro_f1_support5": 0.456}  # lr-kata is the configured variant
    assert svm["conflict_f1"] > 0.3  # measured afresh
