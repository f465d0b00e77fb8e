"""What the Kalteng labeled set holds, and how far its two independent readings agreed.

    python -m classifiers.label_agreement

Reads `classifiers/data/kalteng/kalteng.jsonl` (final labels) and `readings.jsonl` (both readings
of every item). Prints the set's composition (items, outlets, kabupaten, years, categories) and the
agreement of the first and second readings before any disagreement was settled: exact agreement
on the category set, on the conflict signal and on the kabupaten set, and Cohen's kappa per
category (sklearn's `cohen_kappa_score`).
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

KALTENG_DIR = Path(__file__).resolve().parent / "data" / "kalteng"


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
        return sum(sorted(a[field] or []) == sorted(b[field] or []) for a, b in zip(first, second, strict=True))

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


def main() -> None:
    from classifiers.taxonomy import load_taxonomy

    items = _lines(KALTENG_DIR / "kalteng.jsonl")
    readings = _lines(KALTENG_DIR / "readings.jsonl")
    made = composition(items)
    agreed = agreement(readings, [c.code for c in load_taxonomy().categories])
    n = agreed["items"]
    print(f"Kalteng set: {made['items']} items, {made['outlets']} outlets, years {min(made['years'])}-"
          f"{max(made['years'])}; {made['conflict']} with a conflict signal, {made['items'] - made['conflict']} "
          f"without; {made['place_test']} in the place test split")
    print("  per kabupaten: " + ", ".join(f"{k} {v}" for k, v in made["kabupaten"].items()))
    print("  per year:      " + ", ".join(f"{k} {v}" for k, v in made["years"].items()))
    print("  per category:  " + ", ".join(f"{k} {v}" for k, v in made["categories"].items()))
    print(f"Two independent readings of {n} items (before settling):")
    print(f"  same category set      {agreed['categories_same']:5d}  ({agreed['categories_same'] / n:.1%})")
    print(f"  same conflict signal   {agreed['conflict_same']:5d}  ({agreed['conflict_same'] / n:.1%}), "
          f"Cohen's kappa {agreed['conflict_kappa']:.3f}")
    print(f"  same kabupaten set     {agreed['kabupaten_same']:5d}  ({agreed['kabupaten_same'] / n:.1%})")
    print(f"  settled by a third reader: {agreed['third_reader']} items (every disagreement on any label)")
    print("  Cohen's kappa per category: " + ", ".join(
        f"{code} {value:.2f}" for code, value in agreed["kappa"].items() if value is not None))


if __name__ == "__main__":
    main()
