"""`waspada` command line: run the monitor, fetch, ingest, manage feeds, export articles, classify."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import sys
from datetime import date
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from classifiers.cli import register as register_classifier_commands
from monitor.alerts.cli import register as register_alert_commands
from monitor.config import Settings, SettingsError, masked_url
from monitor.db import locks
from monitor.db.session import open_database, session_scope
from monitor.digest.cli import register as register_digest_commands
from monitor.feeds.fetch import Fetcher
from monitor.feeds.parse import NotAFeedError, parse_feed
from monitor.feeds.registry import FeedsFileError, load_feeds, sync_feeds
from monitor.models_cli import register as register_model_commands
from monitor.pipeline import feed_files
from monitor.plans.cli import register as register_plan_commands
from monitor.reports.cli import register as register_report_commands
from monitor.service.articles import export_articles
from monitor.service.feeds import feed_health
from monitor.service.flow import StagePass, ingest_paths, reprocess as reprocess_flow, run_cycle
from monitor.terminal import console, err_console
from monitor.timezones import format_wib
from monitor.web.cli import register as register_web_commands

app = typer.Typer(help="Waspada: deteksi dini konflik sosial dari berita daerah.", no_args_is_help=True)
feeds_app = typer.Typer(help="Kelola sumber berita (feeds.yaml).", no_args_is_help=True)
articles_app = typer.Typer(help="Artikel tersimpan.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")
app.add_typer(articles_app, name="articles")
register_classifier_commands(app)
register_alert_commands(app)
register_plan_commands(app)
register_report_commands(app)
register_digest_commands(app)
register_web_commands(app)
register_model_commands(app)


@app.callback()
def _check_environment() -> None:
    # Runs before every command: an unusable WASPADA_* value (or extra taxonomy file) is one clear
    # message and exit status 2 rather than a traceback wherever it is first read.
    from classifiers.taxonomy import TaxonomyError, load_taxonomy

    try:
        Settings.from_env()
        if os.environ.get("WASPADA_TAXONOMY_EXTRA"):
            load_taxonomy()
    except (SettingsError, TaxonomyError) as exc:
        err_console.print(f"Pengaturan tidak dapat dipakai: {exc}")
        raise typer.Exit(2) from None


def _settings(feeds: Path | None = None) -> Settings:
    settings = Settings.from_env()
    if feeds is not None:
        settings = dataclasses.replace(settings, feeds_path=feeds)
    return settings


def _load_and_sync(settings: Settings):
    try:
        sources = load_feeds(settings.feeds_path)
    except FeedsFileError as exc:
        err_console.print(f"Berkas sumber {exc.path} bermasalah:", style="red")
        for problem in exc.problems:
            err_console.print(f"  - {problem}")
        raise typer.Exit(2) from None
    engine = open_database(settings.database_url)
    with locks.held(engine, locks.FEEDS_SYNC), session_scope(engine) as session:  # workers starting together
        sync_feeds(session, sources)
    return engine


def _monitor_lock_or_exit(engine):
    """SQLite: this process becomes the database's one monitor, or exits saying which process already is."""
    from monitor.scheduler import claim_sqlite_monitor

    try:
        return claim_sqlite_monitor(engine)
    except locks.LockBusy as busy:
        pid = f" (PID {busy})" if str(busy) else ""
        err_console.print(
            f"Basis data SQLite ini sudah dipantau oleh proses Waspada lain{pid}. SQLite hanya untuk satu proses "
            "pemantau; hentikan proses itu, atau gunakan PostgreSQL (WASPADA_DATABASE_URL) untuk menjalankan "
            "beberapa `waspada worker`.")
        raise typer.Exit(2) from None


@app.command()
def run(
    feeds: Path | None = typer.Option(None, help="Berkas sumber (bawaan: feeds.yaml)"),
    host: str | None = typer.Option(None, "--host", help="Alamat dengar aplikasi web (bawaan: 127.0.0.1)"),
    port: int | None = typer.Option(None, "--port", help="Port aplikasi web (bawaan: 8080)"),
):
    """Jalankan monitor dan aplikasi web: ambil feed yang jatuh tempo setiap menit sampai dihentikan (Ctrl+C)."""
    from monitor.scheduler import build_scheduler
    from monitor.web.cli import secret_key_or_exit, serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = _settings(feeds)
    secret_key = secret_key_or_exit(settings)
    engine = _load_and_sync(settings)
    _monitor_lock_or_exit(engine)  # held until the process ends
    scheduler = build_scheduler(engine, settings, background=True)
    try:
        serve(engine, settings, secret_key, host, port,
              lambda url: f"Waspada berjalan. Basis data: {masked_url(settings.database_url)}. "
                          f"Feed yang jatuh tempo dicek setiap {settings.check_seconds:g} detik.\n"
                          f"Aplikasi web: {url}\nHentikan dengan Ctrl+C.",
              on_start=scheduler.start)
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
    console.print("Waspada berhenti.")


@app.command()
def worker(feeds: Path | None = typer.Option(None, help="Berkas sumber (bawaan: feeds.yaml)")):
    """Jalankan satu pekerja pemantau tanpa aplikasi web: ambil feed jatuh tempo, klasifikasi, peringatan.

    Di PostgreSQL boleh banyak pekerja (di satu atau beberapa mesin): feed dibagi tanpa diambil dua kali,
    dan hanya satu pekerja (pemimpin) menjalankan tugas harian. Di SQLite hanya satu proses.
    """
    from monitor.scheduler import build_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = _settings(feeds)
    engine = _load_and_sync(settings)
    _monitor_lock_or_exit(engine)  # held until the process ends
    scheduler = build_scheduler(engine, settings)
    console.print(f"Pekerja Waspada berjalan (PID {os.getpid()}). Basis data: {masked_url(settings.database_url)}. "
                  f"Feed jatuh tempo dicek setiap {settings.check_seconds:g} detik. Hentikan dengan Ctrl+C.")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
    console.print("Pekerja Waspada berhenti.")


@app.command()
def fetch(
    once: bool = typer.Option(False, "--once", help="Satu siklus lalu berhenti"),
    feeds: Path | None = typer.Option(None, help="Berkas sumber (bawaan: feeds.yaml)"),
    due_only: bool = typer.Option(False, "--due-only", help="Hanya feed yang sudah jatuh tempo"),
):
    """Ambil semua feed aktif sekali, dengan tampilan kemajuan dan ringkasan."""
    if not once:
        err_console.print("Gunakan --once untuk satu siklus, atau `waspada run` untuk monitor terus-menerus.")
        raise typer.Exit(2)
    settings = _settings(feeds)
    engine = _load_and_sync(settings)
    with session_scope(engine) as session:
        total = sum(feed.enabled for feed in feed_health(session))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err_console) as progress:
        task = progress.add_task("Mengambil feed", total=total)
        report = run_cycle(engine, settings, only_due=due_only, on_done=lambda _o: progress.advance(task))
    _print_outcomes(report.feeds)
    _print_stage(report.stage)


def _print_stage(stage: StagePass | None) -> None:
    """One line on what the deteksi dini stage did."""
    if stage is None:
        console.print("Deteksi dini: tidak ada artikel baru.")
        return
    failed = f" ({stage.failed} gagal diklasifikasi)" if stage.failed else ""
    if stage.alerts.failed:
        failed += (f"; {stage.alerts.failed} cerita/peristiwa gagal diproses tahap peringatan (dicatat di "
                   "stage_failures, dicoba lagi pada putaran berikut)")
    console.print(
        f"Deteksi dini: {stage.classified} artikel diklasifikasi{failed}; {stage.alerts.created} peringatan baru, "
        f"{stage.alerts.updated} diperbarui, {stage.alerts.plan_gaps} tanpa aksi RAD-PKS (celah rencana); "
        f"{stage.alerts.realisations} berita penanganan terkait aksi; level {stage.level_from} s.d. "
        f"{stage.level_to} dihitung ulang."
    )


def _print_outcomes(outcomes) -> None:
    table = Table(title="Ringkasan siklus")
    for column in ("feed", "hasil", "item", "baru", "gagal", "keterangan"):
        table.add_column(column)
    for o in sorted(outcomes, key=lambda o: o.feed_id):
        table.add_row(o.feed_id, o.outcome, str(o.n_entries), str(o.n_new), str(o.n_failed), (o.message or "")[:80])
    console.print(table)
    ok = sum(1 for o in outcomes if o.outcome in ("ok", "not_modified"))
    console.print(
        f"{len(outcomes)} feed: {ok} berhasil, {len(outcomes) - ok} gagal; "
        f"{sum(o.n_new for o in outcomes)} artikel baru."
    )


@app.command()
def ingest(
    path: Path = typer.Argument(..., help="Berkas feed tersimpan atau folder berisi berkas feed"),
    feed_id: str | None = typer.Option(None, "--feed", help="Catat sebagai milik feed ini"),
):
    """Masukkan berkas feed tersimpan lewat jalur yang sama dengan pengambilan."""
    files = feed_files(path)
    if not files or not all(f.exists() for f in files):
        err_console.print(f"Tidak ada berkas feed di {path}")
        raise typer.Exit(2)
    settings = _settings()
    engine = open_database(settings.database_url)
    report = ingest_paths(engine, files, feed_id=feed_id, limits=settings.parse)
    _print_outcomes(report.feeds)
    _print_stage(report.stage)
    if any(o.outcome == "error" for o in report.feeds):
        raise typer.Exit(1)


@app.command()
def reprocess(since: str = typer.Option(..., "--since", help="Tanggal awal (YYYY-MM-DD, WIB)")):
    """Proses ulang dokumen mentah yang diterima sejak tanggal itu (mis. setelah perbaikan parser atau gagal simpan)."""
    try:
        start = date.fromisoformat(since)
    except ValueError:
        err_console.print(f"Tanggal tidak dikenali: {since!r} (gunakan YYYY-MM-DD)")
        raise typer.Exit(2) from None
    settings = _settings()
    engine = open_database(settings.database_url)
    report = reprocess_flow(engine, start, settings.parse)
    if not report.feeds:
        console.print(f"Tidak ada dokumen mentah sejak {start}.")
    else:
        _print_outcomes(report.feeds)
    _print_stage(report.stage)
    if any(o.outcome == "error" for o in report.feeds):
        raise typer.Exit(1)


@app.command()
def demo():
    """Contoh lengkap tanpa internet: rencana RAD-PKS contoh dan berita contoh -> peringatan, level, celah rencana."""
    from monitor.demo import run_demo

    settings = _settings()
    engine = open_database(settings.database_url)
    result = run_demo(engine)
    console.print(f"Basis data: {masked_url(settings.database_url)}")
    console.print(f"Rencana RAD-PKS contoh dimuat: {len(result.plans)} rencana "
                  f"({sum(p.n_actions for p in result.plans)} aksi).")
    console.print(f"Berita contoh: {sum(o.n_entries for o in result.feeds)} item dari {len(result.feeds)} feed, "
                  f"{sum(o.n_new for o in result.feeds)} baru; periode {result.first_day} s.d. {result.last_day}.")
    alerts = result.stage.alerts
    console.print(f"Deteksi dini: {result.stage.classified} artikel diklasifikasi; {alerts.created} peringatan baru "
                  f"({alerts.plan_gaps} celah rencana); {alerts.realisations} berita penanganan terkait aksi; "
                  f"{result.stage.level_rows} catatan level.")
    console.print("Coba berikutnya:\n  waspada alerts list\n  waspada alerts show 1\n"
                  f"  waspada levels --date {result.last_day}\n  waspada alerts list --level siaga\n  waspada coverage")


@feeds_app.command("list")
def feeds_list(feeds: Path | None = typer.Option(None, help="Berkas sumber (bawaan: feeds.yaml)")):
    """Tampilkan kesehatan setiap feed: sukses terakhir, galat terakhir, jumlah galat, cek berikutnya."""
    engine = _load_and_sync(_settings(feeds))
    table = Table(title="Sumber berita")
    for column in ("id", "aktif", "terverifikasi", "sukses terakhir", "galat", "galat terakhir", "cek berikutnya"):
        table.add_column(column)
    with session_scope(engine) as session:
        health = feed_health(session)
    for feed in health:
        table.add_row(
            feed.id, "ya" if feed.enabled else "tidak", "ya" if feed.verified else "tidak",
            format_wib(feed.last_success_at), str(feed.error_count),
            (feed.disabled_reason or feed.last_error or "")[:60], format_wib(feed.next_check_at),
        )
    console.print(table)


@feeds_app.command("check")
def feeds_check(
    feed_ids: list[str] = typer.Argument(None, help="Id feed (bawaan: semua di feeds.yaml)"),
    feeds: Path | None = typer.Option(None, help="Berkas sumber (bawaan: feeds.yaml)"),
):
    """Uji sumber: ambil dan urai tanpa menyimpan, lalu laporkan hasilnya."""
    settings = _settings(feeds)
    try:
        sources = load_feeds(settings.feeds_path)
    except FeedsFileError as exc:
        for problem in exc.problems:
            err_console.print(f"- {problem}")
        raise typer.Exit(2) from None
    if feed_ids:
        sources = [s for s in sources if s.id in set(feed_ids)]

    async def check_all():
        async with Fetcher(settings.fetch) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(s.url) for s in sources))

    results = asyncio.run(check_all())
    table = Table(title="Uji sumber")
    for column in ("id", "HTTP", "hasil", "item", "keterangan"):
        table.add_column(column)
    failures = 0
    for source, result in zip(sources, results, strict=True):
        outcome, entries, note = result.outcome, 0, result.error_message or ""
        if outcome == "ok":
            try:
                parsed = parse_feed(result.body, result.headers, result.final_url or source.url, limits=settings.parse)
                entries, note = len(parsed.entries), "; ".join(parsed.warnings)[:80]
            except NotAFeedError as exc:
                outcome, note = "bukan feed", str(exc)
        failures += outcome != "ok"
        table.add_row(source.id, str(result.status or "-"), outcome, str(entries), note)
    console.print(table)
    if failures:
        raise typer.Exit(1)


@feeds_app.command("add")
def feeds_add(
    url: str = typer.Argument(..., help="Alamat situs atau feed"),
    feed_id: str | None = typer.Option(None, "--id", help="Id feed baru"),
    region: str = typer.Option("62", help="Kode wilayah: 62 atau kode kabupaten seperti 62.02"),
    feeds: Path | None = typer.Option(None, help="Berkas sumber (bawaan: feeds.yaml)"),
):
    """Tambah sumber dari alamat situs: cari feed lewat <link rel="alternate">, uji, lalu simpan ke feeds.yaml."""
    from monitor.service.feeds import add_feed

    settings = _settings(feeds)
    engine = _load_and_sync(settings)
    result = add_feed(engine, settings, url, feed_id=feed_id, region=region, actor=_cli_actor())
    if not result.ok:
        err_console.print(result.message)
        raise typer.Exit(1)
    console.print(result.message)


@feeds_app.command("enable")
def feeds_enable(feed_id: str, feeds: Path | None = typer.Option(None, help="Berkas sumber (bawaan: feeds.yaml)")):
    """Aktifkan lagi feed yang dinonaktifkan otomatis (410 atau kegagalan berulang)."""
    from monitor.service.feeds import set_feed_enabled

    settings = _settings(feeds)
    result = set_feed_enabled(_load_and_sync(settings), settings, feed_id, True, actor=_cli_actor())
    if not result.ok:
        err_console.print(result.message)
        raise typer.Exit(1)
    console.print(result.message)


def _cli_actor() -> str:
    """Who the audit log names for a change made from the command line."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"[:80]
    except (KeyError, OSError):
        return "cli"


@articles_app.command("export")
def articles_export(
    format: str = typer.Option("jsonl", "--format", help="Format keluaran (jsonl)"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Berkas keluaran (bawaan: layar)"),
):
    """Tulis artikel tersimpan sebagai baris JSON."""
    if format != "jsonl":
        err_console.print("Format yang didukung: jsonl")
        raise typer.Exit(2)
    engine = open_database(_settings().database_url)
    handle = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        with session_scope(engine) as session:
            for record in export_articles(session):
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if output:
            handle.close()


if __name__ == "__main__":
    app()
