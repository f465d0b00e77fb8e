"""What the labeled sets hold, and how far their two independent readings agreed.

    python -m classifiers.label_agreement

Kalteng set: reads `classifiers/data/kalteng/kalteng.jsonl` (final labels) and `readings.jsonl` (both
readings of every item); prints the set's composition (items, outlets, kabupaten, years, categories)
and the agreement of the first and second readings before any disagreement was settled: exact
agreement on the category set, on the conflict signal and on the kabupaten set, and Cohen's kappa per
category (sklearn's `cohen_kappa_score`).

National seed set: `classifiers/data/seed/readings.jsonl` holds the first reading and the blind second
reading of every item that had been read once; the same agreement figures (categories only: the
national items' places were re-read separately) and how the final labels moved.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

KALTENG_DIR = Path(__file__).resolve().parent / "data" / "kalteng"
SEED_DIR = Path(__file__).resolve().parent / "data" / "seed"


def _lines(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _conflict(categories: list[str]) -> bool:
    return bool(set(categories) - {"penanganan"})


def composition(items: list[dict]) -> dict:
    """Counts of the final set: items, outlets, per kabupaten, per year, per category, conflict."""
    return {
        "items": len(items),
        "outlets": len({i["outlet"] for i in items}),
        "kabupaten": dict(sorted(Counter(k for i in items for k in i["kabupaten"]).items())),
        "years": dict(sorted(Counter(i["date"][:4] for i in items).items())),
        "categories": dict(Counter(c for i in items for c in i["categories"]).most_common()),
        "conflict": sum(_conflict(i["categories"]) for i in items),
        "place_test": sum(i["place_split"] == "test" for i in items),
    }


def agreement(readings: list[dict], codes: list[str]) -> dict:
    """Agreement of the two independent readings (before settling)."""
    first, second = [r["first"] for r in readings], [r["second"] for r in readings]

    def same(field: str) -> int:
        return sum(sorted(a.get(field) or []) == sorted(b.get(field) or [])
                   for a, b in zip(first, second, strict=True))

    kappa = {}
    for code in codes:
        a = [code in (r["categories"] or []) for r in first]
        b = [code in (r["categories"] or []) for r in second]
        kappa[code] = cohen_kappa_score(a, b) if any(a) or any(b) else None
    conflict_a = [_conflict(r["categories"] or []) for r in first]
    conflict_b = [_conflict(r["categories"] or []) for r in second]
    return {
        "items": len(readings),
        "categories_same": same("categories"),
        "kabupaten_same": same("kabupaten"),
        "conflict_same": sum(a == b for a, b in zip(conflict_a, conflict_b, strict=True)),
        "conflict_kappa": cohen_kappa_score(conflict_a, conflict_b),
        "kappa": kappa,
        "third_reader": sum(r["final_by"] == "third_reader" for r in readings),
    }


def label_moves(readings: list[dict], final: dict[str, list[str]]) -> dict:
    """How the final conflict signal differs from the first reading's: gained, lost, unchanged."""
    first = {r["id"]: _conflict(r["first"]["categories"] or []) for r in readings}
    now = {item_id: _conflict(final[item_id]) for item_id in first}
    return {
        "conflict_first": sum(first.values()), "conflict_final": sum(now.values()),
        "became_conflict": sum(now[i] and not first[i] for i in first),
        "no_longer_conflict": sum(first[i] and not now[i] for i in first),
        "categories_changed": sum(sorted(r["first"]["categories"] or []) != sorted(final[r["id"]])
                                  for r in readings),
    }


def _print_agreement(agreed: dict, with_places: bool) -> None:
    n = agreed["items"]
    print(f"  same category set      {agreed['categories_same']:5d}  ({agreed['categories_same'] / n:.1%})")
    print(f"  same conflict signal   {agreed['conflict_same']:5d}  ({agreed['conflict_same'] / n:.1%}), "
          f"Cohen's kappa {agreed['conflict_kappa']:.3f}")
    if with_places:
        print(f"  same kabupaten set     {agreed['kabupaten_same']:5d}  ({agreed['kabupaten_same'] / n:.1%})")
    print(f"  settled by a third reader: {agreed['third_reader']} items (every disagreement on any label)")
    print("  Cohen's kappa per category: " + ", ".join(
        f"{code} {value:.2f}" for code, value in agreed["kappa"].items() if value is not None))


def print_seed_rereading(codes: list[str]) -> None:
    """The national seed's blind second reading: agreement before settling and how the labels moved."""
    readings = _lines(SEED_DIR / "readings.jsonl")
    final = {item["id"]: item["categories"] for item in _lines(SEED_DIR / "seed.jsonl")}
    moved = label_moves(readings, final)
    print(f"National seed set: blind second reading of {len(readings)} items first read once (before settling):")
    _print_agreement(agreement(readings, codes), with_places=False)
    print(f"  conflict signal: {moved['conflict_first']} items by the first reading, {moved['conflict_final']} "
          f"final ({moved['became_conflict']} gained, {moved['no_longer_conflict']} lost); "
          f"{moved['categories_changed']} items' category sets changed")


def main() -> None:
    from classifiers.taxonomy import load_taxonomy

    codes = [c.code for c in load_taxonomy().categories]
    items = _lines(KALTENG_DIR / "kalteng.jsonl")
    readings = _lines(KALTENG_DIR / "readings.jsonl")
    made = composition(items)
    agreed = agreement(readings, codes)
    n = agreed["items"]
    print(f"Kalteng set: {made['items']} items, {made['outlets']} outlets, years {min(made['years'])}-"
          f"{max(made['years'])}; {made['conflict']} with a conflict signal, {made['items'] - made['conflict']} "
          f"without; {made['place_test']} in the place test split")
    print("  per kabupaten: " + ", ".join(f"{k} {v}" for k, v in made["kabupaten"].items()))
    print("  per year:      " + ", ".join(f"{k} {v}" for k, v in made["years"].items()))
    print("  per category:  " + ", ".join(f"{k} {v}" for k, v in made["categories"].items()))
    print(f"Two independent readings of {n} items (before settling):")
    _print_agreement(agreed, with_places=True)
    print_seed_rereading(codes)


if __name__ == "__main__":
    main()
