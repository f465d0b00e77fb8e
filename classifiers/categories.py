"""Multi-label conflict-category model: TF-IDF of stemmed words and word pairs, one linear model per label.

Besides the word features, words that report a conflict event (EVENT_STEMS: bentrok, blokade, tuntut,
tolak, sengketa, ...) are counted once more, and one feature marks such a word in the document's opening:
routine news on conflict topics (plasma programmes, mining permits, elections logistics) shares the
topic words with conflict news but seldom its event words. Kalteng-set items weigh more than national
items in training (ModelConfig.kalteng_weight).

Each label's linear model (logistic regression, or a linear SVM) is calibrated with a Platt sigmoid
fitted on out-of-fold decision values; the same out-of-fold probabilities choose a per-label threshold
that leans to precision (F-beta, beta <= 1). The overall conflict signal (any category except
activity evidence such as `penanganan`) averages two views: a binary model trained on "any conflict
category" and the most probable conflict category. Measured on publisher-held-out data the average
beat either view alone.

Options compared by `waspada evaluate` (classifiers.comparison): character n-grams of the document's
opening next to the word features, a linear SVM instead of logistic regression, and gradient boosting
on top (one booster per label reads every label's calibrated probability, so labels inform each other;
the boosters are kept as plain arrays, classifiers.boosted_trees).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TypeVar

import numpy as np
from scipy import sparse
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from classifiers.boosted_trees import BoostedTrees
from classifiers.text import analyze, normalize

CONFLICT = "conflict"
# Stems (Sastrawi) of words that report a conflict event or stance, latent, open or violent (LABELING.md:
# tuntutan, penolakan, somasi, demo, blokade, bentrok, perusakan, ...). Fixed before measuring; words
# common in routine news too (tangkap, korban, lapor, klaim) are left out.
EVENT_STEMS = frozenset({
    "amuk", "ancam", "aniaya", "bacok", "bakar", "bentrok", "blokade", "blokir", "cekcok", "demo", "demonstrasi",
    "gugat", "gusur", "hoaks", "intoleransi", "kecam", "keluh", "keroyok", "konflik", "mogok", "noda", "portal",
    "protes", "provokasi", "rasisme", "ricuh", "rusak", "rusuh", "segel", "selisih", "sengketa", "serang",
    "serobot", "somasi", "tawur", "tegang", "tikai", "tolak", "tuntut", "unjuk", "usir",
})
EVENT_OPENING = 12  # tokens: about a title's length
_Part = TypeVar("_Part")


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters; all choices are recorded in the model card."""

    stem: bool = True
    ngram_max: int = 2
    min_df: int = 2
    max_features: int = 150_000
    C: float = 8.0
    estimator: str = "logreg"  # "logreg" or "linear_svm"
    svm_C: float = 0.5  # set before any evaluation, not tuned on its folds
    # > 0: also character n-grams (3..char_ngram_max, inside words) of the document's first char_prefix
    # characters (the title and the lead's opening); the whole text would cost too much time per item
    char_ngram_max: int = 0
    char_prefix: int = 200
    stack: str = "none"  # "gboost": gradient boosting over every label's calibrated probability
    folds: int = 4
    precision_beta: float = 0.8
    min_threshold: float = 0.2
    seed: int = 13
    # Each EVENT_STEMS word adds the feature "peristiwa:<stem>" (so it counts twice), and an event word in
    # the first EVENT_OPENING tokens adds "peristiwa@awal". With kalteng_weight=2 it raised Kalteng
    # outlets-held-out conflict F1 0.894 -> 0.902 (round 2 precision 0.663 -> 0.690), macro F1 0.789 -> 0.798,
    # and national publisher-held-out conflict F1 0.861 -> 0.868.
    event_words: bool = True
    # Weight of a Kalteng-set item against a national one in each label's linear model, its calibration and
    # the thresholds (not in the boosters of stack="gboost"):
    # the Kalteng set is the register the model serves and about half the national set's size, so 2 gives
    # the two corpora about equal weight (chosen a priori, not tuned on the report's folds).
    kalteng_weight: float = 2.0


@dataclass
class Prediction:
    """One item's result: categories above threshold, every probability, and the conflict signal."""

    categories: list[str]
    scores: dict[str, float]
    conflict: float
    is_conflict: bool
    explanation: dict[str, list[tuple[str, float]]] = field(default_factory=dict)


def _trained(part: _Part | None) -> _Part:
    """A part that `fit` or `from_state` sets; None means the model was neither trained nor loaded."""
    if part is None:
        raise ValueError("the model is neither trained nor loaded")
    return part


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _best_threshold(y: np.ndarray, p: np.ndarray, beta: float, floor: float, weights: np.ndarray) -> float:
    """Threshold on probabilities maximising weighted F-beta (ties go to the higher, more precise threshold)."""
    if y.sum() == 0:
        return 0.5
    best_score, best_t = -1.0, 0.5
    for t in np.arange(floor, 0.96, 0.01):
        predicted = p >= t
        tp = float(np.sum(weights[predicted & (y == 1)]))
        fp = float(np.sum(weights[predicted & (y == 0)]))
        fn = float(np.sum(weights[~predicted & (y == 1)]))
        denom = (1 + beta**2) * tp + beta**2 * fn + fp
        score = (1 + beta**2) * tp / denom if denom else 0.0
        if score >= best_score:
            best_score, best_t = score, float(t)
    return round(best_t, 2)


class CategoryModel:
    """Fit on texts and label sets; predict categories, probabilities and the conflict signal."""

    def __init__(self, codes: Sequence[str], conflict_codes: Sequence[str], config: ModelConfig | None = None):
        self.codes = list(codes)
        self.conflict_codes = list(conflict_codes)
        self.config = config or ModelConfig()
        self.vectorizer: TfidfVectorizer | None = None
        self.char_vectorizer: TfidfVectorizer | None = None
        self.boosters: BoostedTrees | None = None  # gradient boosting on top, when configured
        self.weights: np.ndarray | None = None  # (n_features, n_outputs): one column per label + conflict
        self.bias: np.ndarray | None = None
        self.calibration: np.ndarray | None = None  # (n_outputs, 2): Platt slope and intercept
        self.thresholds: dict[str, float] = {}

    @property
    def outputs(self) -> list[str]:
        return [*self.codes, CONFLICT]

    def prepare(self, texts: Sequence[str]) -> list[list[str]]:
        """Cleaned, stemmed tokens of each text."""
        return [analyze(text, stem=self.config.stem) for text in texts]

    def _features(self, tokens: list[str]) -> list[str]:
        # unigrams and word n-grams named as scikit-learn's word analyzer names them ("a b")
        features = list(tokens)
        for n in range(2, self.config.ngram_max + 1):
            features.extend(map(" ".join, zip(*(tokens[k:] for k in range(n)), strict=False)))
        if self.config.event_words:
            # ":" and "@" never occur in a token, so these names cannot meet a word's
            features.extend("peristiwa:" + token for token in tokens if token in EVENT_STEMS)
            if not EVENT_STEMS.isdisjoint(tokens[:EVENT_OPENING]):
                features.append("peristiwa@awal")
        return features

    def _targets(self, label_sets: Sequence[Sequence[str]]) -> np.ndarray:
        y = np.zeros((len(label_sets), len(self.outputs)), dtype=int)
        conflict = set(self.conflict_codes)
        for i, labels in enumerate(label_sets):
            for label in labels:
                if label in self.codes:
                    y[i, self.codes.index(label)] = 1
            y[i, -1] = int(bool(conflict.intersection(labels)))
        return y

    def _new_vectorizer(self, **fitting) -> TfidfVectorizer:
        # documents arrive as prepared token lists; the n-grams are made here, faster than re-tokenising
        return TfidfVectorizer(analyzer=self._features, sublinear_tf=True, dtype=np.float32, **fitting)

    def _new_char_vectorizer(self, **fitting) -> TfidfVectorizer:
        return TfidfVectorizer(analyzer="char_wb", ngram_range=(3, self.config.char_ngram_max), lowercase=False,
                               preprocessor=self._opening, sublinear_tf=True, dtype=np.float32, **fitting)

    def _opening(self, text: str) -> str:
        return normalize(text)[: self.config.char_prefix].lower()

    def _new_estimator(self) -> LogisticRegression | LinearSVC:
        if self.config.estimator == "linear_svm":
            return LinearSVC(C=self.config.svm_C, class_weight="balanced", max_iter=5000)
        return LogisticRegression(C=self.config.C, class_weight="balanced", max_iter=3000, solver="liblinear")

    def _new_booster(self) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(max_iter=60, learning_rate=0.1, max_leaf_nodes=8, min_samples_leaf=20,
                                              early_stopping=False, random_state=self.config.seed)

    def fit(self, texts: Sequence[str], label_sets: Sequence[Sequence[str]],
            weights: Sequence[float] | None = None) -> CategoryModel:
        """Train every label's model, its calibration and its threshold; `weights`: one per text (default 1)."""
        cfg = self.config
        w = np.ones(len(texts)) if weights is None else np.asarray(weights, dtype=np.float64)
        self.vectorizer = self._new_vectorizer(min_df=cfg.min_df, max_features=cfg.max_features)
        X = self.vectorizer.fit_transform(self.prepare(texts))
        if cfg.char_ngram_max:
            self.char_vectorizer = self._new_char_vectorizer(min_df=cfg.min_df, max_features=cfg.max_features)
            X = sparse.hstack([X, self.char_vectorizer.fit_transform(texts)], format="csr")
        y = self._targets(label_sets)
        n_features, n_outputs = X.shape[1], len(self.outputs)
        self.weights = np.zeros((n_features, n_outputs), dtype=np.float64)
        self.bias = np.zeros(n_outputs)
        self.calibration = np.tile([1.0, 0.0], (n_outputs, 1))
        out_of_fold = np.zeros(y.shape)
        for j in range(n_outputs):
            positives = int(y[:, j].sum())
            if positives == 0:
                self.bias[j], self.calibration[j] = -10.0, (1.0, 0.0)
                continue
            oof = self._out_of_fold_decisions(X, y[:, j], w)
            platt = LogisticRegression(C=1e4, max_iter=1000).fit(oof.reshape(-1, 1), y[:, j], sample_weight=w)
            slope, intercept = float(platt.coef_[0, 0]), float(platt.intercept_[0])
            out_of_fold[:, j] = _sigmoid(slope * oof + intercept)
            final = self._new_estimator().fit(X, y[:, j], sample_weight=w)
            self.weights[:, j] = final.coef_[0]
            self.bias[j] = final.intercept_[0]
            self.calibration[j] = (slope, intercept)
        if cfg.stack == "gboost":
            out_of_fold = self._fit_boosters(out_of_fold, y)
        for j, code in enumerate(self.codes):
            self.thresholds[code] = _best_threshold(y[:, j], out_of_fold[:, j], cfg.precision_beta, cfg.min_threshold,
                                                    w)
        self.thresholds[CONFLICT] = _best_threshold(
            y[:, -1], self._conflict_score(out_of_fold), cfg.precision_beta, cfg.min_threshold, w
        )
        return self

    @threadpool_limits.wrap(limits=1, user_api="openmp")  # one core: OpenMP threads on a busy machine spin for minutes
    def _fit_boosters(self, calibrated: np.ndarray, y: np.ndarray) -> np.ndarray:
        """One booster per label over every label's out-of-fold probability; returns the boosters' own
        out-of-fold probabilities (for the thresholds). Labels with too few examples keep the linear model."""
        stacked = calibrated.copy()
        fitted = []
        for j in range(y.shape[1]):
            positives = int(y[:, j].sum())
            if min(positives, len(y) - positives) < self.config.folds:
                continue
            splitter = StratifiedKFold(n_splits=self.config.folds, shuffle=True, random_state=self.config.seed)
            stacked[:, j] = cross_val_predict(self._new_booster(), calibrated, y[:, j], cv=splitter,
                                              method="predict_proba")[:, 1]
            fitted.append((j, self._new_booster().fit(calibrated, y[:, j])))
        self.boosters = BoostedTrees.from_fitted(fitted) if fitted else None
        return stacked

    def _conflict_score(self, probabilities: np.ndarray) -> np.ndarray:
        """Mean of the conflict model's probability and the highest conflict-category probability."""
        columns = [self.codes.index(code) for code in self.conflict_codes if code in self.codes]
        strongest = probabilities[:, columns].max(axis=1) if columns else probabilities[:, -1]
        return (probabilities[:, -1] + strongest) / 2

    def _out_of_fold_decisions(self, X, y_col: np.ndarray, weights: np.ndarray) -> np.ndarray:
        positives = int(y_col.sum())
        folds = min(self.config.folds, positives, int(len(y_col) - positives))
        decisions = np.zeros(len(y_col))
        if folds < 2:
            # too few examples to hold any out: fall back to in-sample decisions (recorded in the card)
            return self._new_estimator().fit(X, y_col, sample_weight=weights).decision_function(X)
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.config.seed)
        for train, test in splitter.split(np.zeros(len(y_col)), y_col):
            estimator = self._new_estimator().fit(X[train], y_col[train], sample_weight=weights[train])
            decisions[test] = estimator.decision_function(X[test])
        return decisions

    def _matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        X = _trained(self.vectorizer).transform(self.prepare(texts))
        if self.char_vectorizer is not None:
            X = sparse.hstack([X, self.char_vectorizer.transform(texts)], format="csr")
        return X

    def _feature_names(self) -> np.ndarray:
        names = _trained(self.vectorizer).get_feature_names_out()
        if self.char_vectorizer is not None:
            names = np.concatenate([names, ["~" + term for term in self.char_vectorizer.get_feature_names_out()]])
        return names

    def _probabilities(self, X) -> np.ndarray:
        decisions = np.asarray(X @ self.weights) + self.bias
        calibration = _trained(self.calibration)
        probabilities = _sigmoid(decisions * calibration[:, 0] + calibration[:, 1])
        if self.boosters is not None:
            probabilities[:, self.boosters.columns] = self.boosters.predict_proba(probabilities)
        probabilities[:, -1] = self._conflict_score(probabilities)
        return probabilities

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, shape (n_texts, n_labels + 1); the last column is the conflict signal."""
        return self._probabilities(self._matrix(texts))

    def predict(self, texts: Sequence[str], explain: int = 0) -> list[Prediction]:
        """Predictions for texts; with explain=k, the k terms that pushed each predicted label most."""
        X = self._matrix(texts)
        probabilities = self._probabilities(X)
        names = self._feature_names() if explain else None
        results = []
        for i, row in enumerate(probabilities):
            scores = {code: round(float(row[j]), 4) for j, code in enumerate(self.codes)}
            categories = [code for j, code in enumerate(self.codes) if row[j] >= self.thresholds[code]]
            conflict = float(row[-1])
            prediction = Prediction(categories, scores, round(conflict, 4), conflict >= self.thresholds[CONFLICT])
            if explain:
                prediction.explanation = {
                    code: self._top_terms(X[i], self.outputs.index(code), names, explain)
                    for code in categories + ([CONFLICT] if prediction.is_conflict else [])
                }
            results.append(prediction)
        return results

    def _top_terms(self, x_row, column: int, names, k: int) -> list[tuple[str, float]]:
        row = x_row.tocsr()
        contributions = row.data * _trained(self.weights)[row.indices, column]
        order = np.argsort(-contributions)[:k]
        return [(str(names[row.indices[o]]), round(float(contributions[o]), 4)) for o in order if contributions[o] > 0]

    def to_state(self) -> dict:
        """Plain state for a skops artifact: numpy arrays, lists, dicts and scalars only.

        The vocabulary is stored as an array of terms in column order, not as the vectorizer object:
        smaller on disk, and the file needs no scikit-learn class to be trusted; so are the boosters' trees.
        """
        vectorizer = _trained(self.vectorizer)
        state = {
            "codes": self.codes, "conflict_codes": self.conflict_codes, "config": asdict(self.config),
            "terms": vectorizer.get_feature_names_out().astype(str), "idf": vectorizer.idf_.astype(np.float32),
            "weights": _trained(self.weights).astype(np.float32), "bias": self.bias,
            "calibration": self.calibration, "thresholds": self.thresholds,
        }
        if self.char_vectorizer is not None:
            state["char_terms"] = self.char_vectorizer.get_feature_names_out().astype(str)
            state["char_idf"] = self.char_vectorizer.idf_.astype(np.float32)
        if self.boosters is not None:
            state["boosters"] = self.boosters.to_state()
        return state

    @classmethod
    def from_state(cls, state: dict) -> CategoryModel:
        """Rebuild a model from `to_state` output."""
        # artifacts written before event_words and kalteng_weight existed were trained without them
        config = ModelConfig(**{"event_words": False, "kalteng_weight": 1.0, **state["config"]})
        model = cls(state["codes"], state["conflict_codes"], config)
        model.vectorizer = model._new_vectorizer(vocabulary={term: i for i, term in enumerate(state["terms"].tolist())})
        model.vectorizer.idf_ = np.asarray(state["idf"], dtype=np.float64)
        if "char_terms" in state:
            model.char_vectorizer = model._new_char_vectorizer(
                vocabulary={term: i for i, term in enumerate(state["char_terms"].tolist())})
            model.char_vectorizer.idf_ = np.asarray(state["char_idf"], dtype=np.float64)
        model.weights, model.bias = np.asarray(state["weights"], dtype=np.float64), state["bias"]
        model.calibration, model.thresholds = state["calibration"], dict(state["thresholds"])
        if "boosters" in state:
            model.boosters = BoostedTrees.from_state(state["boosters"])
        return model
