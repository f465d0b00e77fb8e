"""Evaluation on data the model did not train on: publishers held out, a time split, place tags.

Category splits (each fold's model trains only on the fold's training part; synthetic items are
trained on and never scored):
- national: leave-one-publisher-out over the national seed set (and analysts' labels);
- Kalteng: leave-outlets-out over the Kalteng set (outlets grouped into at most `KALTENG_FOLDS` folds);
- Kalteng time split: train on Kalteng items up to 2023 (plus all national items), test on 2024-2026.
An outlet and a national publisher of the same name (kalteng.tribunnews.com, tribunnews) are one
publisher (classifiers.splits). Throw-away models may learn from the national held-out slice of
other publishers; the slice itself is kept from the shipped model only and is reported separately.

Places: the Kalteng set's place TEST split, whose labels were not read while writing the place rules;
the dev split and the national seed set, which were read, are reported for comparison only.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from classifiers.categories import CategoryModel, ModelConfig
from classifiers.metrics import binary_report, multilabel_report, prf, set_counts
from classifiers.places import PlaceTagger
from classifiers.salience import tag_item
from classifiers.seed import KALTENG, NATIONAL, LabeledItem
from classifiers.splits import Fold, publisher_folds, time_split
from classifiers.taxonomy import Taxonomy
from classifiers.training import fit_model, training_items

NATIONAL_FOLDS, KALTENG_FOLDS = 10, 8
LAST_TRAIN_YEAR, LAST_TEST_YEAR = 2023, 2026
MIN_SUPPORT = 5  # categories in the headline macro F1
# The targets: (split, metric path, minimum)
TARGETS = [
    ("kalteng_outlet_held_out", ("conflict_signal", "f1"), 0.95),
    ("kalteng_outlet_held_out", ("macro_f1_support5",), 0.80),
    ("places_kalteng_test", ("kabupaten", "f1"), 0.95),
    ("national_publisher_held_out", ("conflict_signal", "f1"), 0.88),
]


def _is_conflict(labels: Sequence[str], taxonomy: Taxonomy) -> bool:
    return bool(set(labels) & set(taxonomy.conflict_codes))


def score_predictions(items: Sequence[LabeledItem], predictions, taxonomy: Taxonomy) -> dict:
    """Category and conflict-signal metrics of predictions against the items' labels."""
    gold = [item.categories for item in items]
    report = multilabel_report(gold, [p.categories for p in predictions], taxonomy.codes, taxonomy.conflict_codes)
    report["conflict_signal"] = binary_report([_is_conflict(g, taxonomy) for g in gold],
                                              [p.is_conflict for p in predictions])
    supported = [v["f1"] for v in report["per_label"].values() if v["support"] >= MIN_SUPPORT]
    report["macro_f1_support5"] = round(sum(supported) / len(supported), 4) if supported else 0.0
    return report


def evaluate_model(model: CategoryModel, items: Sequence[LabeledItem], taxonomy: Taxonomy) -> dict:
    """Metrics of a trained model on the given (unseen) items."""
    return score_predictions(items, model.predict([item.document for item in items]), taxonomy)


def held_out(folds: Sequence[Fold], taxonomy: Taxonomy, config: ModelConfig | None = None) -> dict:
    """Train on each fold's training part, predict its test part; pooled metrics plus each fold's own."""
    pooled_items, pooled_predictions, per_fold = [], [], {}
    for fold in folds:
        if not fold.test:
            continue
        model = fit_model(fold.train, taxonomy, config)
        predictions = model.predict([item.document for item in fold.test])
        pooled_items.extend(fold.test)
        pooled_predictions.extend(predictions)
        report = score_predictions(fold.test, predictions, taxonomy)
        per_fold[fold.name] = {"held_out": list(fold.held_out), "items": len(fold.test), "train_items": len(fold.train),
                               "conflict_signal": report["conflict_signal"], "micro": report["micro"]}
    report = score_predictions(pooled_items, pooled_predictions, taxonomy)
    report["per_fold"] = per_fold
    rounds = sorted({item.collection_round for item in pooled_items})
    if len(rounds) > 1:  # the Kalteng set's collection rounds: how the pooled figure splits
        report["per_round"] = {str(number): _round_report(pooled_items, pooled_predictions, number, taxonomy)
                               for number in rounds}
    return report


def _round_report(items: Sequence[LabeledItem], predictions, number: int, taxonomy: Taxonomy) -> dict:
    chosen = [(item, p) for item, p in zip(items, predictions, strict=True) if item.collection_round == number]
    return {"items": len(chosen), "conflict_signal": binary_report(
        [_is_conflict(item.categories, taxonomy) for item, _ in chosen], [p.is_conflict for _, p in chosen])}


def publisher_held_out(items: Sequence[LabeledItem], taxonomy: Taxonomy, config: ModelConfig | None = None,
                       corpus: str = NATIONAL, max_folds: int = NATIONAL_FOLDS) -> dict:
    """Leave-publishers-out on one corpus's real items: pooled metrics plus each fold's conflict-signal F1."""
    return held_out(publisher_folds(items, corpus, max_folds), taxonomy, config)


def time_split_report(items: Sequence[LabeledItem], taxonomy: Taxonomy, config: ModelConfig | None = None) -> dict:
    """Kalteng items up to LAST_TRAIN_YEAR (and every national item) train; later Kalteng items test."""
    fold = time_split(items, KALTENG, LAST_TRAIN_YEAR, LAST_TEST_YEAR)
    report = held_out([fold], taxonomy, config)
    report["train_kalteng_items"] = sum(1 for item in fold.train if item.corpus == KALTENG)
    return report


def place_report(items: Sequence[LabeledItem], tagger: PlaceTagger) -> dict:
    """Kabupaten and kecamatan set precision/recall/F1 (micro over item x unit) and the Kalteng flag."""
    real = [item for item in items if not item.synthetic]
    tags = [tag_item(tagger, item.title, item.text) for item in real]
    report: dict = {"items": len(real)}
    for level in ("kabupaten", "kecamatan"):
        gold = [getattr(item, level) for item in real]
        tp, fp, fn = set_counts(gold, [getattr(t, level) for t in tags])
        report[level] = {**prf(tp, fp, fn), "support": tp + fn, "items_with_label": sum(1 for g in gold if g)}
    report["kalteng"] = binary_report([item.kalteng for item in real], [t.kalteng for t in tags])
    report["errors"] = [
        {"id": item.id, "gold": sorted(item.kabupaten), "predicted": sorted(t.kabupaten)}
        for item, t in zip(real, tags, strict=True) if set(item.kabupaten) != set(t.kabupaten)
    ][:50]
    return report


def targets(report: dict) -> list[dict]:
    """The issue's targets against what was measured (None when the split had no items)."""
    rows = []
    for split, path, minimum in TARGETS:
        value = report.get(split)
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        rows.append({"split": split, "metric": ".".join(path), "target": minimum, "measured": value,
                     "met": value is not None and value >= minimum})
    return rows


def full_report(items: Sequence[LabeledItem], taxonomy: Taxonomy, config: ModelConfig, tagger: PlaceTagger,
                compare: bool = True) -> dict:
    """Everything `waspada evaluate` reports: held-out slice, the three category splits, places, model comparison."""
    from classifiers.comparison import compare_models

    started, cpu_started = time.perf_counter(), time.process_time()
    kalteng = [item for item in items if item.corpus == KALTENG]
    holdout = [item for item in items if item.split == "holdout" and not item.synthetic]
    report: dict = {"config": config.__dict__, "items": len(items), "synthetic": sum(i.synthetic for i in items),
                    "kalteng_items": len(kalteng)}
    if holdout:
        report["holdout_slice"] = evaluate_model(fit_model(training_items(items), taxonomy, config), holdout, taxonomy)
    report["national_publisher_held_out"] = publisher_held_out(items, taxonomy, config)
    if kalteng:
        report["kalteng_outlet_held_out"] = publisher_held_out(items, taxonomy, config, KALTENG, KALTENG_FOLDS)
        report["kalteng_time_split"] = time_split_report(items, taxonomy, config)
        report["places_kalteng_test"] = place_report([i for i in kalteng if i.place_split == "test"], tagger)
        report["places_kalteng_dev"] = place_report([i for i in kalteng if i.place_split == "dev"], tagger)
    report["places_national"] = place_report([item for item in items if item.corpus == NATIONAL], tagger)
    if compare:
        splits = ("national_publisher_held_out", "kalteng_outlet_held_out", "kalteng_time_split")
        report["comparison"] = compare_models(items, taxonomy, config,
                                              measured={name: report[name] for name in splits if name in report})
    report["targets"] = targets(report)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["cpu_seconds"] = round(time.process_time() - cpu_started, 1)
    return report


def summary(report: dict) -> dict:
    """The headline figures of a category report."""
    return {"conflict_f1": report["conflict_signal"]["f1"], "macro_f1_support5": report["macro_f1_support5"],
            "micro_f1": report["micro"]["f1"], "items": report["items"]}


SPLIT_TITLES = {
    "national_publisher_held_out": "Nasional: penerbit ditahan (leave-one-publisher-out)",
    "kalteng_outlet_held_out": f"Kalteng: media ditahan (leave-outlets-out, paling banyak {KALTENG_FOLDS} lipatan)",
    "kalteng_time_split":
        f"Kalteng: pembagian waktu (latih s.d. {LAST_TRAIN_YEAR}, uji {LAST_TRAIN_YEAR + 1}-{LAST_TEST_YEAR})",
}
ROUND_NAMES = {"1": "pengumpulan pertama", "2": "berita rutin bertopik konflik, Desember 2026",
               "3": "SARA dan lingkungan, Desember 2026", "4": "berita rutin bertopik konflik, tambahan Desember 2026",
               "5": "kategori kecil (SARA, kekerasan kelompok, politik, penanganan, lingkungan, kerja), Desember 2026",
               "6": "lingkungan dan penanganan, Desember 2026",
               "7": "berita rutin bertopik konflik per tema, dengan berita konflik setema, Desember 2026",
               "8": "berita rutin dan konflik dari kabupaten dengan item paling sedikit, Desember 2026",
               "9": "SARA, kekerasan kelompok, politik dan penanganan dengan berita rutin setema, Desember 2026"}
PLACE_TITLES = {
    "places_kalteng_test": "set Kalteng, bagian uji tempat (label tidak dibaca saat menulis aturan)",
    "places_kalteng_dev": "set Kalteng, bagian dev (aturan ditulis dari sini; optimistis)",
    "places_national": "set benih nasional (aturan ditulis dari sini; optimistis)",
}


def _round_lines(held: dict) -> list[str]:
    lines = []
    for number, values in held.get("per_round", {}).items():
        signal = values["conflict_signal"]
        lines.append(f"  - putaran pengumpulan {number} ({ROUND_NAMES.get(number, '-')}): presisi "
                     f"{signal['precision']:.3f}, recall {signal['recall']:.3f}, F1 {signal['f1']:.3f} "
                     f"(dukungan {signal['support']}; {values['items']} item)")
    return lines


def _split_markdown(title: str, held: dict) -> list[str]:
    signal = held["conflict_signal"]
    lines = [
        f"## {title}", "",
        f"- Sinyal konflik: presisi {signal['precision']:.3f}, recall {signal['recall']:.3f}, "
        f"F1 {signal['f1']:.3f} (dukungan {signal['support']}; {held['items']} item)",
        *_round_lines(held),
        f"- F1 makro {held['macro_f1_support5']:.3f} atas kategori dengan dukungan >= {MIN_SUPPORT}; "
        f"F1 mikro {held['micro']['f1']:.3f}", "",
        "| kategori | presisi | recall | F1 | dukungan |", "|---|---|---|---|---|",
    ]
    for code, values in held["per_label"].items():
        if values["support"]:
            lines.append(f"| {code} | {values['precision']:.3f} | {values['recall']:.3f} | {values['f1']:.3f} "
                         f"| {values['support']} |")
        else:
            lines.append(f"| {code} | - | - | - | 0 (tidak ada contoh nyata; {values['predicted']} prediksi) |")
    lines += ["", "| ditahan | item uji | item konflik | F1 sinyal konflik |", "|---|---|---|---|"]
    for name, values in held["per_fold"].items():
        signal = values["conflict_signal"]
        f1 = f"{signal['f1']:.3f}" if signal["support"] else "-"
        lines.append(f"| {name} | {values['items']} | {signal['support']} | {f1} |")
    return [*lines, ""]


def to_markdown(report: dict) -> str:
    """The report as Markdown, for people."""
    lines = ["# Evaluasi model kategori konflik", "",
             f"Data: {report['items']} item ({report['kalteng_items']} dari set Kalteng, "
             f"{report['synthetic']} sintetis).", "",
             "## Target", "", "| bagian | ukuran | target | terukur | tercapai |", "|---|---|---|---|---|"]
    for row in report["targets"]:
        measured = "-" if row["measured"] is None else f"{row['measured']:.3f}"
        met = "ya" if row["met"] else "tidak"
        lines.append(f"| {row['split']} | {row['metric']} | {row['target']:.2f} | {measured} | {met} |")
    lines.append("")
    for key, title in SPLIT_TITLES.items():
        if key in report:
            lines += _split_markdown(title, report[key])
    if "holdout_slice" in report:
        slice_ = report["holdout_slice"]
        lines += ["## Potongan uji tetap nasional (split=holdout)", "",
                  f"- Sinyal konflik F1 {slice_['conflict_signal']['f1']:.3f}; "
                  f"F1 makro {slice_['macro_f1_support5']:.3f}; item {slice_['items']}", ""]
    lines += ["## Penanda tempat", "",
              "| data | item | kabupaten presisi | recall | F1 | dukungan | kecamatan F1 | Kalteng F1 |",
              "|---|---|---|---|---|---|---|---|"]
    for key, title in PLACE_TITLES.items():
        if key in report:
            places = report[key]
            kab = places["kabupaten"]
            kecamatan = f"{places['kecamatan']['f1']:.3f}" if places["kecamatan"]["support"] else "-"
            lines.append(f"| {title} | {places['items']} | {kab['precision']:.3f} | {kab['recall']:.3f} "
                         f"| {kab['f1']:.3f} | {kab['support']} | {kecamatan} | {places['kalteng']['f1']:.3f} |")
    if "comparison" in report:
        from classifiers.comparison import comparison_markdown

        lines += ["", *comparison_markdown(report["comparison"])]
    lines += ["", f"Waktu: {report['seconds']} detik ({report['cpu_seconds']} detik CPU)."]
    return "\n".join(lines) + "\n"


def write_report(report: Any, output_dir: Path, name: str = "evaluation",
                 render: Callable[[Any], str] = to_markdown) -> tuple[Path, Path]:
    """Write `name`.json and `name`.md (the report as `render` words it) into `output_dir`."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = output_dir / f"{name}.json", output_dir / f"{name}.md"
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(render(report), encoding="utf-8")
    return json_path, md_path
