"""Evaluation on data the model did not train on: publisher held out, stemming ablation, place tags.

Headline split: leave-one-publisher-out. For each publisher, a model trained on every other
publisher (plus synthetic items) predicts that publisher's real items; the predictions are pooled.
These throw-away models may learn from the committed held-out slice of other publishers; the
slice itself is kept from the shipped model only and is reported separately. Synthetic items are
never evaluated.
"""
from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from classifiers.categories import CategoryModel, ModelConfig
from classifiers.metrics import binary_report, multilabel_report, prf, set_counts
from classifiers.places import PlaceTagger
from classifiers.salience import tag_item
from classifiers.seed import LabeledItem
from classifiers.taxonomy import Taxonomy
from classifiers.training import fit_model, training_items


def _is_conflict(labels: Sequence[str], taxonomy: Taxonomy) -> bool:
    return bool(set(labels) & set(taxonomy.conflict_codes))


def score_predictions(items: Sequence[LabeledItem], predictions, taxonomy: Taxonomy) -> dict:
    """Category and conflict-signal metrics of predictions against the items' labels."""
    gold = [item.categories for item in items]
    report = multilabel_report(gold, [p.categories for p in predictions], taxonomy.codes, taxonomy.conflict_codes)
    report["conflict_signal"] = binary_report([_is_conflict(g, taxonomy) for g in gold], [p.is_conflict for p in predictions])
    return report


def evaluate_model(model: CategoryModel, items: Sequence[LabeledItem], taxonomy: Taxonomy) -> dict:
    """Metrics of a trained model on the given (unseen) items."""
    return score_predictions(items, model.predict([item.document for item in items]), taxonomy)


def publisher_held_out(items: Sequence[LabeledItem], taxonomy: Taxonomy, config: ModelConfig | None = None) -> dict:
    """Leave-one-publisher-out: pooled metrics plus each publisher's own conflict-signal F1."""
    real = [item for item in items if not item.synthetic]
    publishers = sorted({item.publisher for item in real})
    pooled_items, pooled_predictions, per_publisher = [], [], {}
    for publisher in publishers:
        test = [item for item in real if item.publisher == publisher]
        train = [item for item in items if item.publisher != publisher]
        model = fit_model(train, taxonomy, config)
        predictions = model.predict([item.document for item in test])
        pooled_items.extend(test)
        pooled_predictions.extend(predictions)
        report = score_predictions(test, predictions, taxonomy)
        per_publisher[publisher] = {"items": len(test), "conflict_signal": report["conflict_signal"],
                                    "micro": report["micro"]}
    report = score_predictions(pooled_items, pooled_predictions, taxonomy)
    report["per_publisher"] = per_publisher
    return report


def place_report(items: Sequence[LabeledItem], tagger: PlaceTagger) -> dict:
    """Kabupaten set F1 (micro over item x kabupaten) and the Kalteng flag, tagger against labels."""
    real = [item for item in items if not item.synthetic]
    tags = [tag_item(tagger, item.title, item.text) for item in real]
    gold = [item.kabupaten for item in real]
    predicted = [t.kabupaten for t in tags]
    tp, fp, fn = set_counts(gold, predicted)
    errors = [
        {"id": item.id, "gold": sorted(item.kabupaten), "predicted": sorted(t.kabupaten)}
        for item, t in zip(real, tags) if set(item.kabupaten) != set(t.kabupaten)
    ]
    return {
        "kabupaten": {**prf(tp, fp, fn), "support": tp + fn, "items_with_kabupaten": sum(1 for g in gold if g)},
        "kalteng": binary_report([item.kalteng for item in real], [t.kalteng for t in tags]),
        "errors": errors[:50],
    }


def full_report(items: Sequence[LabeledItem], taxonomy: Taxonomy, config: ModelConfig, tagger: PlaceTagger) -> dict:
    """Everything `waspada evaluate` reports: held-out slice, publisher held out, ablation, places."""
    started = time.perf_counter()
    train = training_items(items)
    holdout = [item for item in items if item.split == "holdout" and not item.synthetic]
    report: dict = {"config": config.__dict__, "items": len(items), "synthetic": sum(i.synthetic for i in items)}
    if holdout:
        report["holdout_slice"] = evaluate_model(fit_model(train, taxonomy, config), holdout, taxonomy)
    report["publisher_held_out"] = publisher_held_out(items, taxonomy, config)
    ablated = replace(config, stem=not config.stem)
    other = publisher_held_out(items, taxonomy, ablated)
    report["stemming_ablation"] = {
        ("with_stemming" if config.stem else "without_stemming"): summary(report["publisher_held_out"]),
        ("without_stemming" if config.stem else "with_stemming"): summary(other),
    }
    report["places"] = place_report(items, tagger)
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def summary(report: dict) -> dict:
    return {"conflict_f1": report["conflict_signal"]["f1"], "macro_f1": report["macro_f1"], "micro_f1": report["micro"]["f1"]}


def to_markdown(report: dict) -> str:
    """The report as Markdown, for people."""
    lines = ["# Evaluasi model kategori konflik", ""]
    held = report["publisher_held_out"]
    lines += [
        "## Penerbit ditahan (leave-one-publisher-out)", "",
        f"- Sinyal konflik: presisi {held['conflict_signal']['precision']:.3f}, recall {held['conflict_signal']['recall']:.3f}, "
        f"F1 {held['conflict_signal']['f1']:.3f} (dukungan {held['conflict_signal']['support']})",
        f"- F1 mikro {held['micro']['f1']:.3f}; F1 makro {held['macro_f1']:.3f} atas {len(held['macro_over'])} kategori yang punya contoh", "",
        "| kategori | presisi | recall | F1 | dukungan |", "|---|---|---|---|---|",
    ]
    for code, values in held["per_label"].items():
        if values["support"]:
            lines.append(f"| {code} | {values['precision']:.3f} | {values['recall']:.3f} | {values['f1']:.3f} | {values['support']} |")
        else:
            lines.append(f"| {code} | - | - | - | 0 (tidak ada contoh nyata; {values['predicted']} prediksi) |")
    lines += ["", "| penerbit ditahan | item | item konflik | F1 sinyal konflik |", "|---|---|---|---|"]
    for publisher, values in held["per_publisher"].items():
        signal = values["conflict_signal"]
        f1 = f"{signal['f1']:.3f}" if signal["support"] else "-"
        lines.append(f"| {publisher} | {values['items']} | {signal['support']} | {f1} |")
    if "holdout_slice" in report:
        slice_ = report["holdout_slice"]
        lines += ["", "## Potongan uji tetap (split=holdout)", "",
                  f"- Sinyal konflik F1 {slice_['conflict_signal']['f1']:.3f}; F1 makro {slice_['macro_f1']:.3f}; item {slice_['items']}"]
    lines += ["", "## Ablasi stemming (penerbit ditahan)", "", "| varian | F1 sinyal konflik | F1 makro | F1 mikro |", "|---|---|---|---|"]
    for name, values in report["stemming_ablation"].items():
        lines.append(f"| {name} | {values['conflict_f1']:.3f} | {values['macro_f1']:.3f} | {values['micro_f1']:.3f} |")
    places = report["places"]
    lines += [
        "", "## Penanda tempat", "",
        f"- Kabupaten (himpunan, mikro): presisi {places['kabupaten']['precision']:.3f}, recall {places['kabupaten']['recall']:.3f}, "
        f"F1 {places['kabupaten']['f1']:.3f} (dukungan {places['kabupaten']['support']})",
        f"- Penanda Kalteng: presisi {places['kalteng']['precision']:.3f}, recall {places['kalteng']['recall']:.3f}, F1 {places['kalteng']['f1']:.3f}",
        "", f"Waktu: {report['seconds']} detik.",
    ]
    return "\n".join(lines) + "\n"


def write_report(report: dict, output_dir: Path) -> tuple[Path, Path]:
    """Write evaluation.json and evaluation.md into `output_dir`."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = output_dir / "evaluation.json", output_dir / "evaluation.md"
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(to_markdown(report), encoding="utf-8")
    return json_path, md_path
