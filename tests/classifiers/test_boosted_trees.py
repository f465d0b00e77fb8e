"""Boosted trees as plain arrays predict exactly what scikit-learn's own predictor does."""
import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from classifiers.boosted_trees import BoostedTrees


def _booster(X, y, **changes):
    settings = dict(max_iter=30, max_leaf_nodes=8, min_samples_leaf=10, early_stopping=False, random_state=0)
    return HistGradientBoostingClassifier(**{**settings, **changes}).fit(X, y)


def test_arrays_give_scikit_learns_probabilities_for_every_output_also_with_missing_values():
    rng = np.random.default_rng(7)
    X = rng.random((600, 6))
    X[::25, 2] = np.nan  # trees learn where missing values go
    targets = [(X[:, 0] + X[:, 1] > 1).astype(int), (np.nan_to_num(X[:, 2]) > 0.7).astype(int),
               (rng.random(600) < 0.2).astype(int)]
    boosters = [(column, _booster(X, y, max_leaf_nodes=leaves))
                for column, y, leaves in zip([4, 0, 2], targets, [8, 4, 16], strict=True)]  # trees of unequal size
    trees = BoostedTrees.from_fitted(boosters)
    unseen = rng.random((200, 6))
    unseen[::3, 2] = np.nan
    expected = np.column_stack([booster.predict_proba(unseen)[:, 1] for _, booster in boosters])
    assert np.allclose(trees.predict_proba(unseen), expected, rtol=0, atol=1e-12)
    assert trees.columns.tolist() == [4, 0, 2]
    again = BoostedTrees.from_state(trees.to_state())
    assert np.array_equal(again.predict_proba(unseen), trees.predict_proba(unseen))


def test_boosters_of_unequal_length_are_refused():
    rng = np.random.default_rng(1)
    X, y = rng.random((200, 3)), (rng.random(200) < 0.5).astype(int)
    with pytest.raises(ValueError, match="same number of trees"):
        BoostedTrees.from_fitted([(0, _booster(X, y)), (1, _booster(X, y, max_iter=10))])
