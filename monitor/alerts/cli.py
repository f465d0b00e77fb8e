"""`waspada alerts|levels|coverage|demo` commands."""
from __future__ import annotations

import json
import sys
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from monitor.alerts.coverage import kabupaten_names
from monitor.alerts.levels import LEVELS
from monitor.alerts.lifecycle import LifecycleError, export_labels
from monitor.config import Settings
from monitor.db.models import present
from monitor.db.session import open_database, session_scope
from monitor.service.alert_export import alerts_csv
from monitor.service.alerts import (
    AlertDetail,
    AlertFilters,
    alert_detail,
    correct,
    list_alerts,
    set_status,
    stage_failures,
)
from monitor.service.board import coverage_rows, level_board
from monitor.service.events import event_change, merge_alerts, split_report
from monitor.service.flow import recompute_levels, rescore as flow_rescore
from monitor.service.paging import MAX_PAGE_SIZE, PageRequest
from monitor.terminal import console, err_console, plain
from monitor.timezones import format_wib, today_wib

alerts_app = typer.Typer(help="Peringatan deteksi dini.", no_args_is_help=True)


def _engine():
    return open_database(Settings.from_env().database_url)


def _parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err_console.print(f"galat: {option} harus berupa tanggal TTTT-BB-HH, bukan '{value}'")
        raise typer.Exit(2) from None


def alert_record(detail: AlertDetail) -> dict:
    """An alert as a plain JSON record (`alerts list --format jsonl`)."""
    row = detail.row
    return {
        "id": row.id, "status": row.status, "title": row.title, "categories": row.categories,
        "kabupaten": row.kabupaten, "kecamatan": detail.kecamatan, "desa": detail.desa, "score": row.score,
        "severity": row.severity, "evidence": detail.evidence, "plan_gap": row.plan_gap,
        "first_seen": row.first_seen_at.astimezone(UTC).isoformat(),
        "last_seen": row.last_seen_at.astimezone(UTC).isoformat(),
        "sources": [{"feed_id": a.feed_id, "outlet": a.outlet, "url": a.url, "title": a.title, "reason": a.reason}
                    for a in detail.articles],
        "follows": detail.follows,
        "actions": [{"id": a.id, "code": a.code, "kegiatan": a.kegiatan, "matched_on": a.matched_on, "kind": a.kind}
                    for a in detail.actions],
        "model_version": detail.model_version,
    }


def _all_pages(session, filters: AlertFilters):
    number = 1
    while True:
        page = list_alerts(session, filters, PageRequest(number, MAX_PAGE_SIZE))
        yield from page.items
        if not page.has_next:
            return
        number += 1


Since = Annotated[str | None, typer.Option(help="Hanya yang pertama terlihat sejak tanggal ini (TTTT-BB-HH, WIB)")]
Until = Annotated[str | None, typer.Option(help="... sampai tanggal ini (termasuk)")]
Kabupaten = Annotated[str | None, typer.Option(help="Kode kabupaten, mis. 62.02")]
Category = Annotated[str | None, typer.Option("--category", help="Kategori, mis. perkebunan")]
Level = Annotated[str | None, typer.Option(help="Hanya di kabupaten yang levelnya setinggi ini: waspada|siaga|awas")]
Status = Annotated[str | None, typer.Option(help="Status, mis. baru")]
Search = Annotated[str | None, typer.Option("--text", help="Cari kata dalam judul")]


def _filters(since, until, kabupaten, category, level, status, text) -> AlertFilters:
    """The filters of `alerts list` and `alerts export` (exit 2 for a bad day or level)."""
    if level is not None and level not in LEVELS:
        err_console.print(f"galat: --level harus salah satu dari {', '.join(LEVELS)}")
        raise typer.Exit(2)
    return AlertFilters(since=_parse_day(since, "--since"), until=_parse_day(until, "--until"), kabupaten=kabupaten,
                        category=category, level=level, status=status, text=text)


@alerts_app.command("list")
def alerts_list(since: Since = None, until: Until = None, kabupaten: Kabupaten = None, category: Category = None,
                level: Level = None, status: Status = None, text: Search = None,
                format: str = typer.Option("table", "--format", help="table atau jsonl")):
    """Daftar peringatan, terbaru dahulu."""
    filters = _filters(since, until, kabupaten, category, level, status, text)
    if format not in ("table", "jsonl"):
        err_console.print("galat: --format harus table atau jsonl")
        raise typer.Exit(2)
    with session_scope(_engine()) as session:
        rows = list(_all_pages(session, filters))
        if format == "jsonl":
            for row in rows:
                record = alert_record(present(alert_detail(session, row.id)))
                sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
            return
    names = kabupaten_names()
    table = Table(title=f"Peringatan ({len(rows)})")
    for column in ("id", "pertama terlihat", "status", "kabupaten", "kategori", "skor", "sumber", "RAD-PKS", "judul"):
        table.add_column(column)
    for a in rows:
        table.add_row(str(a.id), format_wib(a.first_seen_at), a.status,
                      ", ".join(names.get(k, k).replace("Kabupaten ", "") for k in a.kabupaten) or "Kalteng",
                      ", ".join(a.categories), f"{a.score:.2f}", str(a.n_sources),
                      "CELAH RENCANA" if a.plan_gap else "terkait", a.title[:60])
    console.print(table)


@alerts_app.command("export")
def alerts_export(since: Since = None, until: Until = None, kabupaten: Kabupaten = None, category: Category = None,
                  level: Level = None, status: Status = None, text: Search = None,
                  format: str = typer.Option("csv", "--format", help="Format keluaran (csv)"),
                  output: Path | None = typer.Option(None, "--output", "-o",
                                                        help="Berkas keluaran (bawaan: layar)")):
    """Tulis peringatan sebagai CSV untuk instansi lain: judul kolom berbahasa Indonesia, UTF-8 dengan BOM untuk
    Excel, sel yang aman dari rumus."""
    filters = _filters(since, until, kabupaten, category, level, status, text)
    if format != "csv":
        err_console.print("galat: --format yang didukung: csv")
        raise typer.Exit(2)
    handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        with session_scope(_engine()) as session:
            for piece in alerts_csv(session, filters):
                handle.write(piece)
    finally:
        if output:
            handle.close()


@alerts_app.command("show")
def alerts_show(alert_id: int):
    """Rincian satu peringatan: bukti, sumber, aksi RAD-PKS terkait, riwayat."""
    with session_scope(_engine()) as session:
        detail = alert_detail(session, alert_id)
    if detail is None:
        err_console.print(f"galat: peringatan #{alert_id} tidak ada")
        raise typer.Exit(1)
    row, names = detail.row, kabupaten_names()
    console.print(Text.assemble((f"Peringatan #{row.id}", "bold"), f" ({row.status}) - {plain(row.title)}"))
    console.print(f"Kategori: {', '.join(row.categories)}; skor {row.score:.2f}; "
                  f"keparahan: {', '.join(row.severity) or '-'}")
    console.print(f"Wilayah: {', '.join(names.get(k, k) for k in row.kabupaten) or 'Kalimantan Tengah'}"
                  + (f"; kecamatan {', '.join(detail.kecamatan)}" if detail.kecamatan else "")
                  + (f"; desa {', '.join(detail.desa)}" if detail.desa else ""))
    console.print(f"Pertama terlihat {format_wib(row.first_seen_at)}, terakhir {format_wib(row.last_seen_at)}")
    console.print("Bukti:")
    for sentence in detail.evidence:
        console.print(f"  - {sentence}")
    if detail.follows:
        console.print(f"Lanjutan dari peringatan #{detail.follows}")
    if detail.followed_by:
        console.print(f"Berlanjut di peringatan {', '.join(f'#{n}' for n in detail.followed_by)}")
    console.print(f"Sumber ({len(detail.articles)}):")
    for article in detail.articles:
        console.print(f"  - berita #{article.id} {plain(article.outlet or article.feed_id)}: {plain(article.url)}")
        if article.reason:
            console.print(f"    alasan digabung: {plain(article.reason)}")
    if detail.actions:
        console.print("Aksi RAD-PKS terkait:")
        for action in detail.actions:
            console.print(f"  - {action.code}: {action.kegiatan} ({action.matched_on})")
    else:
        console.print("Celah rencana: tidak ada aksi RAD-PKS yang mencakup peringatan ini.", style="yellow")
    for entry in detail.history:
        console.print(f"  {format_wib(entry.at)} {entry.actor}: {entry.from_status} -> {entry.to_status} {entry.note}")


def _change(change, transaction=session_scope):
    """Run one change of an alert in its own transaction (`transaction(engine)`: a plain one, or event_change for a
    change that moves events or recomputes levels); a refused change is printed and exits with status 1."""
    try:
        with transaction(_engine()) as session:
            return change(session)
    except LifecycleError as exc:
        err_console.print(f"galat: {exc}")
        raise typer.Exit(1) from None


@alerts_app.command("status")
def alerts_status(alert_id: int, status: str, by: str = typer.Option(..., "--by", help="Nama petugas"),
                  note: str = typer.Option("", "--note", help="Catatan")):
    """Ubah status: baru, ditinjau, ditindaklanjuti, selesai, bukan_konflik, duplikat."""
    _change(lambda session: set_status(session, alert_id, status, by, note), event_change)
    console.print(f"Peringatan #{alert_id} sekarang '{status}'.")


@alerts_app.command("correct")
def alerts_correct(alert_id: int, categories: str = typer.Option(..., help="Kategori dipisah koma"),
                   kabupaten: str = typer.Option("", help="Kode kabupaten dipisah koma"),
                   by: str = typer.Option(..., "--by", help="Nama petugas"), note: str = typer.Option("", "--note")):
    """Koreksi kategori/wilayah sebuah peringatan; disimpan sebagai label untuk pelatihan ulang."""
    from classifiers.taxonomy import load_taxonomy

    split = lambda text: [part.strip() for part in text.split(",") if part.strip()]  # noqa: E731
    _change(lambda session: correct(session, alert_id, by, split(categories), split(kabupaten), load_taxonomy().codes,
                                    note), event_change)
    console.print(f"Label peringatan #{alert_id} dikoreksi.")


@alerts_app.command("merge")
def alerts_merge(alert_id: int, other_id: int, by: str = typer.Option(..., "--by", help="Nama petugas"),
                 note: str = typer.Option("", "--note", help="Catatan")):
    """Gabungkan peristiwa peringatan OTHER_ID ke peringatan ALERT_ID (satu peringatan, semua sumber)."""
    _change(lambda session: merge_alerts(session, alert_id, other_id, by, note), event_change)
    console.print(f"Peringatan #{other_id} digabung ke peringatan #{alert_id}.")


@alerts_app.command("split")
def alerts_split(alert_id: int, article: int = typer.Option(..., "--article", help="Nomor berita yang dipisahkan"),
                 by: str = typer.Option(..., "--by", help="Nama petugas"), note: str = typer.Option("", "--note")):
    """Pisahkan satu berita dari peristiwa sebuah peringatan menjadi peristiwa sendiri."""
    new_id = _change(lambda session: split_report(session, alert_id, article, by, note), event_change)
    if new_id is None:
        console.print(f"Berita #{article} dipisahkan dari peringatan #{alert_id}; sendirian ia bukan peringatan.")
    else:
        console.print(f"Berita #{article} dipisahkan dari peringatan #{alert_id} menjadi peringatan #{new_id}.")


@alerts_app.command("failures")
def alerts_failures():
    """Cerita dan peristiwa yang gagal diproses tahap peringatan: galat, jumlah percobaan, kapan terakhir."""
    with session_scope(_engine()) as session:
        rows = stage_failures(session)
    if not rows:
        console.print("Tidak ada kegagalan tahap peringatan yang tercatat.")
        return
    table = Table("tahap", "nomor", "percobaan", "terakhir gagal (WIB)", "galat")
    labels = {"alert-story": "cerita (klaster)", "alert-event": "peristiwa"}
    for row in rows:
        table.add_row(labels.get(row.stage, row.stage), str(row.item_id), str(row.attempts),
                      format_wib(row.last_failed_at), Text(row.error))
    console.print(table)


@alerts_app.command("export-labels")
def alerts_export_labels(output: Path = typer.Option(..., "--output", "-o")):
    """Tulis label analis sebagai JSONL untuk `waspada train --labels`."""
    with session_scope(_engine()) as session, output.open("w", encoding="utf-8") as handle:
        count = export_labels(session, handle)
    console.print(f"{count} label ditulis ke {output}.")


def levels(
    day: str | None = typer.Option(None, "--date", help="Tanggal (TTTT-BB-HH, WIB); bawaan hari ini"),
    category: str = typer.Option("", help="Kategori; kosong = semua kategori"),
    recompute_days: int = typer.Option(0, "--recompute-days", help="Hitung ulang level N hari sampai tanggal itu"),
):
    """Level eskalasi tiap kabupaten (Normal, Waspada, Siaga, Awas) dengan alasannya."""
    target = _parse_day(day, "--date") or today_wib()
    engine = _engine()
    if recompute_days:
        recompute_levels(engine, target - timedelta(days=recompute_days), target)
    with session_scope(engine) as session:
        board = level_board(session, target, category)
    table = Table(title=f"Level eskalasi {target.isoformat()}" + (f" - {category}" if category else ""))
    for column in ("kode", "kabupaten/kota", "level", "sejak", "alasan"):
        table.add_column(column)
    for cell in board:
        table.add_row(cell.code, cell.name, cell.label, cell.since.isoformat() if cell.since else "-", cell.reason)
    console.print(table)


def coverage_command():
    """Cakupan per kabupaten: jumlah sumber aktif dan kapan berita terakhir tentangnya tiba."""
    with session_scope(_engine()) as session:
        rows = coverage_rows(session)
    table = Table(title="Cakupan sumber per kabupaten/kota")
    for column in ("kode", "kabupaten/kota", "sumber khusus", "sumber provinsi", "berita terakhir"):
        table.add_column(column)
    for item in rows:
        last = format_wib(item.last_item_at) if item.last_item_at else Text("belum ada", style="red")
        table.add_row(item.code, item.name, str(item.own_sources), str(item.province_sources), last)
    console.print(table)


def rescore(
    since: str = typer.Option(..., help="Tanggal awal terbit (TTTT-BB-HH)"),
    until: str | None = typer.Option(None, help="Tanggal akhir terbit, tidak termasuk (bawaan: hari ini)"),
    model: Path | None = typer.Option(None, "--model", help="Folder model (bawaan: models/default)"),
):
    """Nilai ulang artikel satu rentang tanggal dengan model lain, lalu perbarui peringatan dan level."""
    from classifiers.artifacts import ModelIntegrityError

    start = present(_parse_day(since, "--since"))  # --since is required
    end = _parse_day(until, "--until") or today_wib() + timedelta(days=1)
    try:
        done = flow_rescore(_engine(), start, end, str(model) if model else None)
    except ModelIntegrityError as exc:
        err_console.print(f"galat: {exc}")
        raise typer.Exit(2) from None
    console.print(f"{done.classified} artikel dinilai ulang; {done.alerts.created} peringatan baru, "
                  f"{done.alerts.updated} diperbarui; level {start} s.d. {end} dihitung ulang.")


def register(app: typer.Typer) -> None:
    """Add the alert commands to the main CLI."""
    app.add_typer(alerts_app, name="alerts")
    app.command("levels")(levels)
    app.command("coverage")(coverage_command)
    app.command("rescore")(rescore)
