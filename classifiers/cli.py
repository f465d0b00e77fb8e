"""`waspada classify|train|evaluate`: registered on the main CLI by monitor.cli."""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import typer

from classifiers.layout import data_dir
from classifiers.paths import models_root as default_models_root
from classifiers.seed import KALTENG_FILE

# scikit-learn, skops and the model load only inside the commands, so other `waspada` commands start fast
BATCH = 1000
DEFAULT_VARIANT = "lr-kata"  # classifiers.comparison.SHIPPED (not imported: scikit-learn loads lazily)
VARIANT_HELP = f"Varian model dari perbandingan `waspada evaluate` (bawaan: {DEFAULT_VARIANT}, yang dipilih)"
KALTENG_HELP = "Set berlabel Kalteng (JSONL; bawaan: classifiers/data/kalteng/kalteng.jsonl bila ada)"


class _BadNumber(ValueError):
    """A number strict JSON cannot carry (NaN, Infinity, 1e999) or Python cannot read (too many digits)."""


def _refuse_constant(name: str):
    raise _BadNumber(f"{name} bukan angka JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _BadNumber(f"angka {text} di luar jangkauan")
    return number


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:  # more digits than sys.get_int_max_str_digits()
        raise _BadNumber(f"bilangan bulat {len(text.lstrip('-'))} digit terlalu panjang") from exc


def _parse_line(line: str, number: int):
    from classifiers.service import NewsItem

    try:
        record = json.loads(line, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_int)
    except json.JSONDecodeError as exc:
        raise ValueError(f"baris {number}: bukan JSON yang sah ({exc.msg}, kolom {exc.colno})") from exc
    except _BadNumber as exc:
        raise ValueError(f"baris {number}: bukan JSON yang sah ({exc})") from exc
    except RecursionError as exc:
        raise ValueError(f"baris {number}: JSON bersarang terlalu dalam") from exc
    if not isinstance(record, dict):
        raise ValueError(f"baris {number}: harus berupa objek JSON")
    if "id" not in record:
        raise ValueError(f"baris {number}: kolom 'id' tidak ada")
    if isinstance(record["id"], (dict, list)):
        raise ValueError(f"baris {number}: 'id' harus berupa teks atau angka")
    title, text = record.get("title", ""), record.get("text", "")
    if not isinstance(title, str) or not isinstance(text, str):
        raise ValueError(f"baris {number}: 'title' dan 'text' harus berupa teks")
    if not (title.strip() or text.strip()):
        raise ValueError(f"baris {number}: 'title' dan 'text' kosong")
    return NewsItem(record["id"], title, text)


def classify_stream(classifier, lines, out, err, explain: int = 0) -> int:
    """Classify JSON lines from `lines` into `out` in order; bad lines get an error record. Returns the error count."""
    from classifiers.service import NewsItem

    errors = 0
    pending: list[NewsItem | dict] = []  # an item to classify, or the error record of a bad line

    def flush():
        items = [entry for entry in pending if isinstance(entry, NewsItem)]
        results = iter(classifier.classify(items, explain=explain)) if items else iter(())
        for entry in pending:
            record = next(results) if isinstance(entry, NewsItem) else entry
            out.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")  # strict JSON only
        pending.clear()

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            pending.append(_parse_line(line, number))
        except ValueError as exc:
            errors += 1
            err.write(f"galat: {exc}\n")
            pending.append({"id": None, "line": number, "error": str(exc)})
        if len(pending) >= BATCH:
            flush()
    flush()
    return errors


def register(app: typer.Typer) -> None:
    """Add the classifier commands to a Typer app."""

    @app.command()
    def classify(
        input: Path = typer.Option(..., "--input", help="JSONL masukan: {id, title, text} per baris"),
        output: Path = typer.Option(..., "--output", help="JSONL keluaran, urutan sama dengan masukan"),
        model: Path | None = typer.Option(None, "--model", help="Folder model (bawaan: models/default)"),
        explain: int = typer.Option(0, "--explain", help="Sertakan N istilah teratas yang mendorong tiap kategori"),
    ):
        """Klasifikasikan berita: kategori konflik, skor, sinyal konflik, dan tempat di Kalteng."""
        from classifiers.artifacts import ModelIntegrityError
        from classifiers.service import load_classifier

        try:
            classifier = load_classifier(str(model) if model else None)
        except ModelIntegrityError as exc:
            typer.echo(f"galat: {exc}", err=True)
            raise typer.Exit(2) from None
        try:
            source = input.open(encoding="utf-8", errors="strict")
        except OSError as exc:
            typer.echo(f"galat: berkas masukan tidak bisa dibuka: {exc}", err=True)
            raise typer.Exit(2) from None
        with source, output.open("w", encoding="utf-8") as out:
            try:
                errors = classify_stream(classifier, source, out, sys.stderr, explain)
            except UnicodeDecodeError as exc:
                typer.echo(f"galat: masukan bukan UTF-8 ({exc})", err=True)
                raise typer.Exit(2) from None
        if errors:
            typer.echo(f"{errors} baris masukan bermasalah; baris lain tetap diproses.", err=True)
            raise typer.Exit(1)

    @app.command()
    def train(
        labels: list[Path] = typer.Option([], "--labels", help="Berkas label analis (JSONL), boleh lebih dari satu"),
        models_root: Path | None = typer.Option(
            None, "--models-root", help="Folder tempat versi model baru ditulis (bawaan: models/ di salinan sumber, "
                                        "<folder data>/models bila terpasang)"),
        version: str | None = typer.Option(None, "--version", help="Nama versi (bawaan: cat-TANGGAL-JAM)"),
        no_stem: bool = typer.Option(False, "--no-stem", help="Latih tanpa stemming"),
        variant: str = typer.Option(DEFAULT_VARIANT, "--variant", help=VARIANT_HELP),
        kalteng: Path | None = typer.Option(None, "--kalteng", help=KALTENG_HELP),
        with_publisher_eval: bool = typer.Option(
            False, "--publisher-eval",
            help="Ukur juga dengan penerbit/media ditahan dan catat di kartu (beberapa menit)"),
    ):
        """Latih model baru dari set benih, set Kalteng dan label analis; tulis model dan kartunya."""
        from classifiers.evaluation import KALTENG, KALTENG_FOLDS, evaluate_model, publisher_held_out
        from classifiers.taxonomy import load_taxonomy
        from classifiers.training import train_and_save

        taxonomy = load_taxonomy()
        items = _labeled_items(labels, kalteng)
        config = _variant_config(variant, no_stem)
        holdout = [item for item in items if item.split == "holdout" and not item.synthetic]

        def measure(model) -> dict:
            metrics = {}
            if holdout:
                metrics["holdout_slice"] = _headline(evaluate_model(model, holdout, taxonomy))
            if with_publisher_eval:
                metrics["publisher_held_out"] = _headline(publisher_held_out(items, taxonomy, config))
                if any(item.corpus == KALTENG for item in items):
                    metrics["kalteng_outlet_held_out"] = _headline(
                        publisher_held_out(items, taxonomy, config, KALTENG, KALTENG_FOLDS))
            return metrics

        folder, card = train_and_save(items, taxonomy, models_root or default_models_root(), config, version, measure,
                                      sources=["classifiers/data/seed", str(kalteng or "classifiers/" + KALTENG_FILE)]
                                      + [str(p) for p in labels])
        typer.echo(f"Model {card['version']} ditulis ke {folder} ({card['training_data']['items']} item latih).")

    @app.command()
    def evaluate(
        labels: list[Path] = typer.Option([], "--labels", help="Berkas label analis tambahan (JSONL)"),
        output_dir: Path | None = typer.Option(
            None, "--output-dir",
            help="Folder untuk evaluation.md dan evaluation.json (bawaan: <folder data>/evaluation)"),
        no_stem: bool = typer.Option(False, "--no-stem", help="Konfigurasi utama tanpa stemming"),
        variant: str = typer.Option(DEFAULT_VARIANT, "--variant", help=VARIANT_HELP),
        kalteng: Path | None = typer.Option(None, "--kalteng", help=KALTENG_HELP),
        no_compare: bool = typer.Option(False, "--no-compare", help="Lewati perbandingan model (lebih cepat)"),
        learning_curve: bool = typer.Option(
            False, "--learning-curve",
            help="Hanya kurva belajar: Kalteng media ditahan dengan 25/50/75/100% item Kalteng latih"),
    ):
        """Ukur mutu pada data yang tidak dilatih: penerbit/media ditahan, pembagian waktu, penanda tempat,
        perbandingan model."""
        from classifiers.evaluation import full_report, to_markdown, write_report
        from classifiers.places import PlaceTagger
        from classifiers.taxonomy import load_taxonomy

        items = _labeled_items(labels, kalteng)
        if learning_curve:
            _write_learning_curve(items, _variant_config(variant, no_stem), output_dir or data_dir() / "evaluation")
            return
        report = full_report(items, load_taxonomy(), _variant_config(variant, no_stem), PlaceTagger.default(),
                             compare=not no_compare)
        json_path, md_path = write_report(report, output_dir or data_dir() / "evaluation")
        typer.echo(to_markdown(report))
        typer.echo(f"Laporan: {md_path} dan {json_path}")


def _write_learning_curve(items, config, output_dir: Path) -> None:
    """Run the learning curve, print it and keep it as learning_curve.md and .json in `output_dir`."""
    from classifiers.evaluation import write_report
    from classifiers.learning_curve import learning_curve, to_markdown
    from classifiers.taxonomy import load_taxonomy

    rows = learning_curve(items, load_taxonomy(), config)
    _, md_path = write_report(rows, output_dir, "learning_curve", to_markdown)
    typer.echo(to_markdown(rows))
    typer.echo(f"Kurva belajar: {md_path}")


def _variant_config(name: str, no_stem: bool):
    """The configuration of a compared model variant; exits with a message on an unknown one."""
    from classifiers.categories import ModelConfig
    from classifiers.comparison import CANDIDATES

    candidate = next((c for c in CANDIDATES if c.name == name), None)
    if candidate is None:
        typer.echo(f"galat: varian '{name}' tidak dikenal; pilih salah satu: {', '.join(c.name for c in CANDIDATES)}",
                   err=True)
        raise typer.Exit(2)
    return candidate.config(ModelConfig(stem=not no_stem))


def _labeled_items(label_files: list[Path], kalteng: Path | None = None):
    """The seed set with analysts' labels merged in, plus the Kalteng set; exits with a message on a bad file."""
    from classifiers.seed import LabelFileError, load_label_file
    from classifiers.training import shipped_items

    try:
        analyst = [item for path in label_files for item in load_label_file(path)]
        return shipped_items(analyst, kalteng)
    except (OSError, LabelFileError) as exc:
        typer.echo(f"galat: {exc}", err=True)
        raise typer.Exit(2) from None


def _headline(report: dict) -> dict:
    return {
        "conflict_signal": report["conflict_signal"],
        "macro_f1": report["macro_f1"],
        "macro_f1_support5": report["macro_f1_support5"],
        "micro_f1": report["micro"]["f1"],
        "per_label": {k: {"f1": v["f1"], "support": v["support"]}
                      for k, v in report["per_label"].items() if v["support"]},
        "items": report["items"],
    }
