"""Content similarity of reports: cosine of TF-IDF vectors over content words.

Content words are the lower-cased word tokens of the cleaned text without Indonesian stopwords,
numbers and one- or two-letter words. They are not stemmed: Sastrawi costs about a millisecond a
new word, and the document frequencies come from the shipped seed corpus (4,680 news titles and
leads, classifiers/data/seed), read once per process, so a word's weight does not change with what
else happens to be stored and matching stays deterministic across runs.
"""
from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache

from classifiers.seed import load_seed
from classifiers.text import normalize, stopwords, tokenize

MAX_TERMS = 300  # an event keeps its most frequent content words for matching


def content_words(text: str) -> list[str]:
    """The content words of a text, in order."""
    stop = stopwords()
    return [t for t in tokenize(normalize(text)) if len(t) > 2 and not t.isdigit() and t not in stop]


@lru_cache(maxsize=1)
def _document_frequencies() -> tuple[dict[str, int], int]:
    frequencies: Counter[str] = Counter()
    items = load_seed()
    for item in items:
        frequencies.update(set(content_words(item.document)))
    return dict(frequencies), len(items)


def idf(word: str) -> float:
    """Smoothed inverse document frequency of a word in the seed corpus (unseen words weigh most)."""
    frequencies, n = _document_frequencies()
    return math.log((1 + n) / (1 + frequencies.get(word, 0))) + 1.0


def term_counts(text: str) -> dict[str, int]:
    """Content word -> how often the text uses it."""
    return dict(Counter(content_words(text)))


def add_terms(total: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    """The sum of two term counts, cut to the MAX_TERMS most frequent (ties by word, so deterministic)."""
    summed = Counter(total)
    summed.update(more)
    return dict(sorted(summed.items(), key=lambda item: (-item[1], item[0]))[:MAX_TERMS])


def unit_vector(counts: dict[str, int]) -> dict[str, float]:
    """The term counts weighted by sublinear TF x IDF and scaled to length 1 (empty for no words)."""
    weights = {word: (1.0 + math.log(count)) * idf(word) for word, count in counts.items() if count > 0}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {word: w / norm for word, w in weights.items()} if norm else {}


def dot(a: dict[str, float], b: dict[str, float]) -> float:
    """The cosine similarity (0..1) of two unit vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(weight * b[word] for word, weight in a.items() if word in b)

