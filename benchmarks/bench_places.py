"""Place tagging benchmark on one core: the gazetteer tagger alone (baseline) and the tagger plus the
place-of-events rules (classifiers.salience) on the same items, side by side.

    .venv/bin/python benchmarks/bench_places.py                 # real seed items (title + lead), 3 rounds
    .venv/bin/python benchmarks/bench_places.py --kalteng-only  # only items naming a Kalteng place
"""
from __future__ import annotations

import argparse
import os

if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

import time  # noqa: E402

from classifiers.places import PlaceTagger  # noqa: E402
from classifiers.salience import default_cues, tag_item  # noqa: E402
from classifiers.seed import load_seed  # noqa: E402
from classifiers.text import compose_document  # noqa: E402


def _best_of(rounds: int, run) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kalteng-only", action="store_true")
    args = parser.parse_args()
    tagger = PlaceTagger.default()
    default_cues()

    items = [(i.title, i.text) for i in load_seed() if not i.synthetic]
    if args.kalteng_only:
        items = [(t, x) for t, x in items if tagger.tag(compose_document(t, x)).places]
    documents = [compose_document(t, x) for t, x in items]
    alone = _best_of(args.rounds, lambda: [tagger.tag(d) for d in documents])
    rules = _best_of(args.rounds, lambda: [tag_item(tagger, t, x) for t, x in items])
    n = len(items)
    print(f"{n} items, one core, best of {args.rounds}:")
    print(f"  tagger alone (baseline):      {alone:.3f} s = {n / alone:,.0f} items/s")
    print(f"  tagger + place-of-events:     {rules:.3f} s = {n / rules:,.0f} items/s  (x{rules / alone:.2f} the baseline)")


if __name__ == "__main__":
    main()
