"""Gradient-boosted trees held as plain arrays, so the trusted model file can carry them.

A fitted `HistGradientBoostingClassifier` is made of scikit-learn tree objects; skops could only load
those by trusting scikit-learn's internal classes, and the model file trusts nothing but numpy arrays
and builtins (classifiers.artifacts). So the boosters of all labels are read out once after training
into a few arrays (per tree node: feature, threshold, children, leaf value) and predicted here with
numpy, every label's trees walked together, one tree level per step. This deliberately replaces
scikit-learn's predictor at prediction time only; training stays scikit-learn's, and a test checks
the two give the same probabilities.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

CHUNK = 256  # samples walked at once


@dataclass(frozen=True)
class _Walk:
    roots: np.ndarray  # (n_trees,) int32: each tree's first flat position
    feature: np.ndarray  # flat, int32 (0 at leaves, which never move)
    threshold: np.ndarray  # flat
    children: np.ndarray  # flat, int32: [2 * position] left child, [2 * position + 1] right child
    missing_right: np.ndarray  # flat, bool
    value: np.ndarray  # flat
    depth: int  # the deepest leaf's depth


def _depth(left: np.ndarray, right: np.ndarray, is_leaf: np.ndarray) -> int:
    """The largest number of steps from a root to a leaf, over all trees."""
    deepest = 0
    for tree in range(left.shape[0]):
        level, steps = [0], 0
        while True:
            level = [child for node in level if not is_leaf[tree, node]
                     for child in (left[tree, node], right[tree, node])]
            if not level:
                break
            steps += 1
        deepest = max(deepest, steps)
    return deepest


@dataclass(frozen=True)
class BoostedTrees:
    """Binary boosters of some outputs, every tree padded to the same number of nodes.

    Tree t belongs to output column `columns[t // trees_per_output]`; a sample's probability for that
    output is the sigmoid of the output's baseline plus the leaf values its trees reach.
    """

    feature: np.ndarray  # (n_trees, n_nodes) int64: the feature a node splits on
    threshold: np.ndarray  # (n_trees, n_nodes) float64: go left when the value is <= threshold
    left: np.ndarray  # (n_trees, n_nodes) int64
    right: np.ndarray  # (n_trees, n_nodes) int64
    is_leaf: np.ndarray  # (n_trees, n_nodes) uint8
    missing_left: np.ndarray  # (n_trees, n_nodes) uint8: where a missing value (NaN) goes
    value: np.ndarray  # (n_trees, n_nodes) float64: a leaf's raw score
    baseline: np.ndarray  # (n_outputs,) float64: each booster's starting raw score
    columns: np.ndarray  # (n_outputs,) int64: the output column each booster predicts

    @classmethod
    def from_fitted(cls, boosters: Sequence[tuple[int, HistGradientBoostingClassifier]]) -> BoostedTrees:
        """Read fitted binary boosters, each with the output column it predicts, into arrays."""
        trees, baselines = [], []
        counts = {len(booster._predictors) for _, booster in boosters}
        if len(counts) != 1:
            raise ValueError("every booster needs the same number of trees (early stopping off)")
        for _, booster in boosters:
            if booster.n_trees_per_iteration_ != 1:
                raise ValueError("only binary boosters are supported")
            for (predictor,) in booster._predictors:
                if predictor.nodes["is_categorical"].any():
                    raise ValueError("categorical splits are not supported")
                trees.append(predictor.nodes)
            baselines.append(float(np.ravel(booster._baseline_prediction)[0]))
        width = max(len(nodes) for nodes in trees)

        def padded(field: str, dtype) -> np.ndarray:
            out = np.zeros((len(trees), width), dtype=dtype)
            for t, nodes in enumerate(trees):
                out[t, :len(nodes)] = nodes[field]
            return out

        return cls(feature=padded("feature_idx", np.int64), threshold=padded("num_threshold", np.float64),
                   left=padded("left", np.int64), right=padded("right", np.int64),
                   is_leaf=padded("is_leaf", np.uint8), missing_left=padded("missing_go_to_left", np.uint8),
                   value=padded("value", np.float64), baseline=np.array(baselines, dtype=np.float64),
                   columns=np.array([column for column, _ in boosters], dtype=np.int64))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probability of each booster's positive class, shape (n_samples, n_outputs), in `columns` order."""
        X = np.ascontiguousarray(X, dtype=np.float64)
        walk = self._walk
        out = np.empty((X.shape[0], len(self.columns)))
        for start in range(0, X.shape[0], CHUNK):  # chunks keep the position arrays in cache
            out[start:start + CHUNK] = self._chunk(X[start:start + CHUNK], walk)
        return out

    def _chunk(self, X: np.ndarray, walk: _Walk) -> np.ndarray:
        n_samples, n_features = X.shape
        # flat node positions (tree * width + node), moved by 1-D takes: several times faster than 2-D indexing
        position = np.broadcast_to(walk.roots, (n_samples, len(walk.roots))).copy()
        row_start = (np.arange(n_samples, dtype=np.int32) * n_features)[:, None]
        values = X.ravel()
        missing = np.isnan(values).any()
        for _ in range(walk.depth):  # a leaf is its own child on either side, so every walk can take depth steps
            x = values.take(row_start + walk.feature.take(position))
            go_right = x > walk.threshold.take(position)
            if missing:
                go_right = np.where(np.isnan(x), walk.missing_right.take(position), go_right)
            position = walk.children.take(position * 2 + go_right)
        leaves = walk.value.take(position).reshape(n_samples, len(self.columns), -1)
        return 1.0 / (1.0 + np.exp(-(self.baseline + leaves.sum(axis=2))))

    @functools.cached_property
    def _walk(self) -> _Walk:
        """The arrays flattened for walking: children as flat positions, leaves pointing at themselves."""
        n_trees, width = self.feature.shape
        start = (np.arange(n_trees, dtype=np.int32) * width)[:, None]
        own = start + np.arange(width, dtype=np.int32)
        leaf = self.is_leaf == 1
        left = np.where(leaf, own, start + self.left).ravel()
        right = np.where(leaf, own, start + self.right).ravel()
        return _Walk(roots=start.ravel(), feature=np.where(leaf, 0, self.feature).astype(np.int32).ravel(),
                     threshold=self.threshold.ravel(), children=np.column_stack([left, right]).astype(np.int32).ravel(),
                     missing_right=(self.missing_left == 0).ravel(), value=self.value.ravel(),
                     depth=_depth(self.left, self.right, self.is_leaf))

    def to_state(self) -> dict[str, np.ndarray]:
        """The arrays, by name."""
        return {field.name: getattr(self, field.name) for field in fields(self)}

    @classmethod
    def from_state(cls, state: dict) -> BoostedTrees:
        """Rebuild from `to_state` output."""
        return cls(**{field.name: np.asarray(state[field.name]) for field in fields(cls)})
