"""Evaluation splits that keep a publisher, or a period, entirely on one side.

A fold holds out whole publishers: every item of a held-out publisher is a test item, and no item
of it (national or Kalteng, real or not) is in that fold's training part. Publishers are compared by
`publisher_key`, so the Kalteng outlet kalteng.tribunnews.com and the national publisher tribunnews
count as one. With more publishers than `max_folds`, publishers are grouped into `max_folds` folds
of about equal size (leave-publishers-out); otherwise each fold is one publisher.

The time split trains on items dated up to a boundary year and tests on items of the later years.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from classifiers.seed import LabeledItem

# Second-level suffixes under which the registrable name is the third label (kaltengpos.co.id -> kaltengpos)
_SECOND_LEVEL = frozenset({"co", "go", "or", "ac", "web", "my", "sch", "net", "com", "org", "biz", "ponpes", "desa",
                           "mil"})


@dataclass(frozen=True)
class Fold:
    """One train/test division: the held-out group names, the items to learn from and the items to score."""

    name: str
    held_out: tuple[str, ...]
    train: list[LabeledItem]
    test: list[LabeledItem]


def publisher_key(publisher: str) -> str:
    """The publisher an outlet belongs to: the registrable name of a host, or a plain publisher name as is.

    >>> publisher_key("kalteng.tribunnews.com"), publisher_key("kaltengpos.co.id"), publisher_key("kompas")
    ('tribunnews', 'kaltengpos', 'kompas')
    """
    labels = publisher.strip().lower().removeprefix("www.").split(".")
    if len(labels) < 2:
        return labels[0]
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return labels[-3]
    return labels[-2]


def group_folds(sizes: dict[str, int], max_folds: int) -> list[list[str]]:
    """Groups into at most `max_folds` folds of about equal total size (largest group first, then by name)."""
    if len(sizes) <= max_folds:
        return [[name] for name in sorted(sizes)]
    folds: list[list[str]] = [[] for _ in range(max_folds)]
    totals = [0] * max_folds
    for name in sorted(sizes, key=lambda n: (-sizes[n], n)):
        smallest = min(range(max_folds), key=lambda k: (totals[k], k))
        folds[smallest].append(name)
        totals[smallest] += sizes[name]
    return [sorted(fold) for fold in folds]


def publisher_folds(items: Sequence[LabeledItem], corpus: str, max_folds: int) -> list[Fold]:
    """Folds holding out whole publishers of `corpus`; test items are that corpus's real items."""
    keys = {id(item): publisher_key(item.publisher) for item in items}
    tested = [item for item in items if item.corpus == corpus and not item.synthetic]
    sizes = Counter(keys[id(item)] for item in tested)
    folds = []
    for groups in group_folds(sizes, max_folds):
        held = set(groups)
        name = groups[0] if len(groups) == 1 else f"{len(groups)} penerbit ({groups[0]}, ...)"
        folds.append(Fold(
            name=name, held_out=tuple(groups),
            train=[item for item in items if item.synthetic or keys[id(item)] not in held],
            test=[item for item in tested if keys[id(item)] in held],
        ))
    return folds


def time_split(items: Sequence[LabeledItem], corpus: str, last_train_year: int, last_test_year: int) -> Fold:
    """Train on everything except `corpus` items dated after `last_train_year` (or undated); test on its
    real items dated in the years after it up to `last_test_year`."""

    def year(item: LabeledItem) -> int | None:
        return int(item.date[:4]) if item.date[:4].isdigit() else None

    def later(item: LabeledItem) -> bool:
        dated = year(item)
        return item.corpus == corpus and (dated is None or dated > last_train_year)

    test = [item for item in items if item.corpus == corpus and not item.synthetic
            and (dated := year(item)) is not None and last_train_year < dated <= last_test_year]
    return Fold(name=f"<= {last_train_year} -> {last_train_year + 1}-{last_test_year}",
                held_out=(f"{last_train_year + 1}-{last_test_year}",),
                train=[item for item in items if not later(item)], test=test)
