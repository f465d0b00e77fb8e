"""Kabupaten precision, recall and F1 of the place tagger on a labeled set, and the place split.

The Kalteng labeled set (classifiers/data/kalteng/kalteng.jsonl) carries "place_split": "dev" |
"test". Place rules are written from the dev split (and the national seed) only; the test split
measures them on labels nobody read while writing them. Items without the field get the split from
the same formula the set was built with (place_split_of).

    .venv/bin/python -m classifiers.place_scores --split dev
    .venv/bin/python -m classifiers.place_scores --labels other.jsonl --split dev --errors
    .venv/bin/python -m classifiers.place_scores --seed      # real items of the national seed
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

from classifiers.metrics import prf, set_counts
from classifiers.places import PlaceTagger
from classifiers.salience import tag_item
from classifiers.seed import place_split_of


def kalteng_labels_path() -> Path:
    """The shipped Kalteng labeled set."""
    return Path(str(resources.files("classifiers").joinpath("data/kalteng/kalteng.jsonl")))


def read_place_records(paths: Iterable[Path], split: str | None = None) -> list[dict]:
    """Labeled records (title, lead, kabupaten) from JSONL files, optionally only one place split."""
    records = []
    for path in paths:
        with Path(path).open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                record = json.loads(line)
                record.setdefault("place_split", place_split_of(record.get("url", "")))
                if split is None or record["place_split"] == split:
                    records.append(record)
    return records


def seed_place_records() -> list[dict]:
    """Real (not synthetic) items of the national seed set, as place records."""
    from classifiers.seed import load_seed

    return [
        {"id": item.id, "title": item.title, "lead": item.text, "kabupaten": list(item.kabupaten),
         "kalteng": item.kalteng}
        for item in load_seed() if not item.synthetic
    ]


def kabupaten_scores(records: Sequence[dict], tagger: PlaceTagger) -> dict:
    """Set-based micro precision, recall and F1 of kabupaten codes, with the differing items."""
    tags = [tag_item(tagger, r.get("title", ""), r.get("lead", r.get("text", ""))) for r in records]
    gold = [r.get("kabupaten", []) for r in records]
    predicted = [t.kabupaten for t in tags]
    tp, fp, fn = set_counts(gold, predicted)
    errors = [
        {"id": r["id"], "gold": sorted(g), "predicted": sorted(p)}
        for r, g, p in zip(records, gold, predicted, strict=True) if set(g) != set(p)
    ]
    return {**prf(tp, fp, fn), "tp": tp, "fp": fp, "fn": fn, "items": len(records),
            "items_with_kabupaten": sum(1 for g in gold if g), "errors": errors}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, action="append", help="JSONL files (default: the shipped Kalteng set)")
    parser.add_argument("--split", choices=("dev", "test"), help="only this place split")
    parser.add_argument("--seed", action="store_true", help="score the national seed's real items instead")
    parser.add_argument("--errors", action="store_true", help="list the items whose kabupaten differ")
    args = parser.parse_args(argv)
    if args.seed:
        records = seed_place_records()
    else:
        paths = args.labels or [kalteng_labels_path()]
        missing = [str(p) for p in paths if not Path(p).is_file()]
        if missing:
            print(f"galat: berkas label tidak ada: {', '.join(missing)}", file=sys.stderr)
            return 2
        records = read_place_records(paths, args.split)
    scores = kabupaten_scores(records, PlaceTagger.default())
    errors = scores.pop("errors")
    print(json.dumps(scores))
    if args.errors:
        for error in errors:
            print(json.dumps(error))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
