"""`waspada models list|train|promote|rollback`: the model registry on the command line (registered by monitor.cli)."""
from __future__ import annotations

import json
from datetime import UTC, date

import typer
from rich.table import Table

from classifiers.artifacts import ModelIntegrityError
from monitor.config import Settings
from monitor.db.models import present
from monitor.db.session import open_database, session_scope
from monitor.service import jobs, model_registry, retrain, worker
from monitor.terminal import console, err_console
from monitor.timezones import format_wib

models_app = typer.Typer(help="Registri model kategori: daftar, latih, promosikan, kembalikan.", no_args_is_help=True)


def _engine():
    return open_database(Settings.from_env().database_url)


def _day(value: str | None, option: str, default: date) -> date:
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        err_console.print(f"galat: {option} harus berupa tanggal TTTT-BB-HH, bukan '{value}'")
        raise typer.Exit(2) from None


def _range(since: str | None, until: str | None) -> tuple[date, date]:
    start, end = worker.default_rescore_range()
    return _day(since, "--dari", start), _day(until, "--sampai", end)


def _frozen(record: model_registry.ModelRecord) -> dict:
    return record.evaluation.get("frozen", {}).get("candidate", {})


def _run_rescore(engine, job_id: int) -> None:
    """Run the queued rescore here, in the foreground, and report how it ended."""
    worker.run_pending(engine, Settings.from_env().training)
    with session_scope(engine) as session:
        job = present(jobs.get_job(session, job_id))
    (console if job.status == jobs.DONE else err_console).print(job.message)
    if job.status != jobs.DONE:
        raise typer.Exit(1)


@models_app.command("list")
def models_list(format: str = typer.Option("table", "--format", help="table atau jsonl")):
    """Daftar model di registri, terbaru dahulu, dengan mutunya pada set evaluasi beku."""
    engine = _engine()
    with session_scope(engine) as session:
        records = model_registry.list_models(session)
        active = model_registry.active_model(session)
        card = model_registry.active_card(session)
    if format == "jsonl":
        for r in records:
            console.print(json.dumps({
                "version": r.version, "status": r.status, "path": r.path, "sha256": r.sha256,
                "created_by": r.created_by, "created_at": present(r.created_at).astimezone(UTC).isoformat(),
                "promoted_by": r.promoted_by,
                "promoted_at": r.promoted_at.astimezone(UTC).isoformat() if r.promoted_at else None,
                "frozen": _frozen(r), "compared_with": r.evaluation.get("against"),
            }, ensure_ascii=False), soft_wrap=True)
        return
    if format != "table":
        err_console.print("galat: --format harus table atau jsonl")
        raise typer.Exit(2)
    if active is None:
        console.print(f"Tidak ada model aktif di registri: dipakai model bawaan '{card.get('version', '-')}' "
                      "(WASPADA_MODEL_DIR atau models/default).")
    table = Table("versi", "status", "F1 konflik (beku)", "F1 makro (beku)", "dilatih", "dipromosikan")
    for r in records:
        frozen = _frozen(r)
        table.add_row(r.version, r.status_name, f"{frozen.get('conflict_f1', 0):.3f}" if frozen else "-",
                      f"{frozen.get('macro_f1', 0):.3f}" if frozen else "-",
                      f"{format_wib(r.created_at)} oleh {r.created_by}",
                      f"{format_wib(r.promoted_at)} oleh {r.promoted_by}" if r.promoted_at else "-")
    console.print(table)


@models_app.command("train")
def models_train(by: str = typer.Option(..., "--by", "--oleh", help="Nama petugas"),
                 max_items: int | None = typer.Option(None, "--max-items", min=1,
                                                         help="Latih pada sebaran sebanyak ini (bawaan: semua)")):
    """Latih kandidat dari set benih dan label analis, lalu bandingkan dengan model aktif."""
    engine = _engine()
    settings = Settings.from_env().training
    record = retrain.train_candidate(engine, settings, by, max_items,
                                     progress=lambda pct, message: console.print(f"[{pct:3d}%] {message}"))
    evaluation = record.evaluation
    for name, key in (("set beku", "frozen"), ("label terbaru", "newest")):
        cand, act = evaluation[key]["candidate"], evaluation[key]["active"]
        if cand:
            console.print(f"{name} ({cand['items']} item): F1 konflik {cand['conflict_f1']:.3f} vs aktif "
                          f"{act['conflict_f1']:.3f}; F1 makro {cand['macro_f1']:.3f} vs aktif {act['macro_f1']:.3f}")
    if evaluation["worse_on_frozen"]:
        console.print("Kandidat lebih buruk pada set beku: " + "; ".join(evaluation["worse_on_frozen"]))


@models_app.command("promote")
def models_promote(
    version: str,
    by: str = typer.Option(..., "--by", "--oleh", help="Nama petugas"),
    force: bool = typer.Option(False, "--paksa", "--force", help="Promosikan walau lebih buruk pada set beku"),
    reason: str = typer.Option("", "--alasan", "--reason", help="Alasan (wajib dengan --paksa)"),
    since: str | None = typer.Option(None, "--dari", help="Skor ulang sejak tanggal ini (bawaan: 30 hari lalu)"),
    until: str | None = typer.Option(None, "--sampai", help="... sampai tanggal ini (bawaan: hari ini)"),
):
    """Jadikan VERSION model aktif (tercatat di log audit), lalu skor ulang rentang tanggal dengannya."""
    start, end = _range(since, until)
    engine = _engine()
    try:
        record, job_id = worker.promote_and_rescore(engine, version, by, start, end, force, reason)
    except model_registry.RegistryError as exc:
        err_console.print(f"galat: {exc}")
        raise typer.Exit(1) from None
    console.print(f"Model {record.version} sekarang aktif" + (" (dipaksa: " + reason + ")" if force else "") + ".")
    _run_rescore(engine, job_id)


@models_app.command("rollback")
def models_rollback(
    by: str = typer.Option(..., "--by", "--oleh", help="Nama petugas"),
    reason: str = typer.Option("", "--alasan", "--reason", help="Alasan"),
    since: str | None = typer.Option(None, "--dari", help="Skor ulang sejak tanggal ini (bawaan: 30 hari lalu)"),
    until: str | None = typer.Option(None, "--sampai", help="... sampai tanggal ini (bawaan: hari ini)"),
):
    """Kembalikan model yang aktif sebelumnya (atau model bawaan), lalu skor ulang rentang tanggal dengannya."""
    start, end = _range(since, until)
    engine = _engine()
    try:
        version, job_id = worker.rollback_and_rescore(engine, by, start, end, reason)
    except (model_registry.RegistryError, ModelIntegrityError) as exc:
        err_console.print(f"galat: {exc}")
        raise typer.Exit(1) from None
    console.print(f"Model {version} aktif kembali.")
    _run_rescore(engine, job_id)


def register(app: typer.Typer) -> None:
    """Add `waspada models ...` to the main CLI."""
    app.add_typer(models_app, name="models")
