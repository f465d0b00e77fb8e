"""Classify benchmark: items/s of category model + place tagging on one core, training time, and the
cached stemmer against plain PySastrawi on the same words, printed side by side; with --candidates,
the items/s of every model `waspada evaluate` compares, against plain logistic regression.

    .venv/bin/python benchmarks/bench_classify.py            # 5,000 items of ~300 words
    .venv/bin/python benchmarks/bench_classify.py --items 2000 --skip-training
    .venv/bin/python benchmarks/bench_classify.py --items 2000 --skip-training --candidates
"""
from __future__ import annotations

import argparse
import os

# one core: pin the process and keep numeric libraries to one thread (set before numpy loads)
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

import random  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from classifiers.categories import ModelConfig  # noqa: E402
from classifiers.comparison import CANDIDATES  # noqa: E402
from classifiers.places import PlaceTagger  # noqa: E402
from classifiers.seed import load_seed  # noqa: E402
from classifiers.service import Classifier, NewsItem  # noqa: E402
from classifiers.artifacts import LoadedModel, load_model  # noqa: E402
from classifiers.paths import default_model_dir  # noqa: E402
from classifiers.taxonomy import load_taxonomy  # noqa: E402
from classifiers.text import stem_word, tokenize  # noqa: E402
from classifiers.training import fit_model, training_items  # noqa: E402

TARGET = 1_500  # items/s on one core (the floor)


def make_items(count: int, words: int, rng: random.Random) -> list[NewsItem]:
    """Items of about `words` words, each joined from several seed leads (real Indonesian news text)."""
    seed = load_seed()
    items = []
    for number in range(count):
        parts, total = [], 0
        while total < words:
            lead = rng.choice(seed).text
            parts.append(lead)
            total += len(lead.split())
        text = " ".join(" ".join(parts).split()[:words])
        items.append(NewsItem(number, rng.choice(seed).title, text))
    return items


def _classify_all(classifier: Classifier, items: list[NewsItem]) -> float:
    started = time.perf_counter()
    for start in range(0, len(items), 1000):
        classifier.classify(items[start : start + 1000])
    return time.perf_counter() - started


def bench_classify(items: list[NewsItem]) -> None:
    classifier = Classifier(load_model(default_model_dir()), PlaceTagger.default())
    words = sum(len(i.title.split()) + len(i.text.split()) for i in items) / len(items)
    cold = _classify_all(classifier, items)  # every new word goes through Sastrawi once
    warm = _classify_all(classifier, items)  # steady state of a running monitor: words already seen
    print(f"classify + places, {len(items)} items of {words:.0f} words, one core (target >= {TARGET:,} items/s):")
    print(f"  first pass (empty caches): {cold:.2f} s = {len(items) / cold:,.0f} items/s")
    print(f"  second pass (warm caches): {warm:.2f} s = {len(items) / warm:,.0f} items/s")


def bench_candidates(items: list[NewsItem]) -> None:
    """Warm-cache items/s of each compared model, trained on the seed set, side by side."""
    train, taxonomy = training_items(load_seed()), load_taxonomy()
    print(f"compared models (trained on the seed set), classify + places, warm caches, {len(items)} items:")
    baseline = None
    for candidate in CANDIDATES:
        model = fit_model(train, taxonomy, candidate.config(ModelConfig()))
        classifier = Classifier(LoadedModel(model, {"version": candidate.name}, Path(candidate.name)), PlaceTagger.default())
        _classify_all(classifier, items)  # fills this model's caches
        elapsed = _classify_all(classifier, items)
        baseline = baseline or elapsed
        print(f"  {candidate.name:<20} {len(items) / elapsed:>8,.0f} items/s  {baseline / elapsed:5.2f}x")


def bench_training() -> None:
    items = training_items(load_seed())
    started = time.perf_counter()
    fit_model(items, load_taxonomy(), ModelConfig())
    print(f"training on the seed set: {len(items)} items in {time.perf_counter() - started:.1f} s")


def bench_stemmer(items: list[NewsItem]) -> None:
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory
    from Sastrawi.Stemmer.Stemmer import Stemmer
    from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary

    words = [w for item in items[:500] for w in tokenize(item.text)]
    factory = StemmerFactory()
    runs = {
        "PySastrawi Stemmer, no cache": Stemmer(ArrayDictionary(factory.get_words())).stem,
        "PySastrawi create_stemmer() (its own cache)": factory.create_stemmer().stem,
    }
    stem_word.cache_clear()
    runs["waspada stem_word (one instance, per-word lru_cache)"] = stem_word
    print(f"stemming {len(words):,} words ({len(set(words)):,} distinct), same words for each:")
    baseline = None
    for name, stem in runs.items():
        started = time.perf_counter()
        for word in words:
            stem(word)
        elapsed = time.perf_counter() - started
        baseline = baseline or elapsed
        print(f"  {name:<52} {elapsed:6.3f} s  {len(words) / elapsed:>10,.0f} words/s  {baseline / elapsed:5.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--words", type=int, default=300)
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--candidates", action="store_true", help="also time every model the evaluation compares")
    args = parser.parse_args()
    items = make_items(args.items, args.words, random.Random(7))
    bench_stemmer(items)
    bench_classify(items)
    if args.candidates:
        bench_candidates(items)
    if not args.skip_training:
        bench_training()


if __name__ == "__main__":
    main()
