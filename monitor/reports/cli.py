"""`waspada report ...`: export, list and submit RAD-PKS period reports.

monitor/cli.py adds these commands with ``register(app)``. The database is WASPADA_DATABASE_URL (migrated on
first use). Reports are built and corrected on the web pages (Laporan); the command line reads them, exports
them, and can submit a draft.
"""
from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.table import Table

from monitor.db.models import present
from monitor.terminal import PlainConsole
from monitor.timezones import format_wib

report_app = typer.Typer(help="Laporan periode RAD-PKS (B04, B08, B12): ekspor, daftar, ajukan.", no_args_is_help=True)
KABUPATEN_HELP = "Kode wilayah: 62 (provinsi) atau kode kabupaten/kota, mis. 62.02"
PERIOD_HELP = "Periode TAHUN-PERIODE, mis. 2026-B12 (B04 Januari-April, B08 Mei-Agustus, B12 September-Desember)"


def register(app: typer.Typer) -> None:
    """Add the `report` command group to the `waspada` application."""
    app.add_typer(report_app, name="report")


def _fail(message: str, code: int = 2) -> NoReturn:
    PlainConsole(stderr=True, soft_wrap=True).print(message)
    raise typer.Exit(code)


def _engine():
    from monitor.config import Settings
    from monitor.db.session import open_database

    return open_database(Settings.from_env().database_url)


def _target(kabupaten: str, period: str) -> tuple[str, int, str]:
    from monitor.plans.fields import normalize_code
    from monitor.reports.periods import PeriodError, parse_period
    from monitor.service.reports import ReportError, check_target

    try:
        year, code = parse_period(period)
        region = normalize_code(kabupaten)
        check_target(region, year, code)
    except PeriodError as exc:
        _fail(f"Periode tidak dapat dipakai: {exc}.")
    except ReportError as exc:
        _fail(exc.message)
    return region, year, code


@report_app.command("export")
def export_command(
    kabupaten: str = typer.Option(..., "--kabupaten", "-k", help=KABUPATEN_HELP),
    period: str = typer.Option(..., "--period", "-p", help=PERIOD_HELP),
    output: Path = typer.Option(..., "--output", "-o", help="Berkas tujuan (.xlsx atau .docx)"),
    fmt: str | None = typer.Option(None, "--format", "-f", help="xlsx (matriks RAD-PKS) atau docx (laporan naratif); "
                                                                   "bawaan: dari akhiran --output"),
    version: int | None = typer.Option(None, "--version", help="Versi laporan (bawaan: versi terakhir)"),
):
    """Ekspor laporan periode: matriks RAD-PKS (XLSX) atau laporan naratif (DOCX). Versi yang diajukan diekspor
    persis seperti saat diajukan; tanpa laporan tersimpan, ditulis pratinjau dari data saat ini."""
    from monitor.db.session import session_scope
    from monitor.service import reports

    fmt = (fmt or output.suffix.lstrip(".")).lower()
    if fmt not in reports.FORMATS:
        _fail("Format harus xlsx atau docx (--format xlsx|docx).")
    region, year, code = _target(kabupaten, period)
    engine = _engine()
    try:
        with session_scope(engine) as session:
            report_id = reports.find_report(session, region, year, code, version)
            if report_id is None and version is not None:
                _fail(f"Laporan {region} {year}-{code} versi {version} tidak ada.", 1)
            content = (present(reports.report_content(session, report_id)) if report_id is not None
                       else reports.preview(session, region, year, code))
        reports.write_content(content, fmt, output)
    except OSError as exc:
        _fail(f"Tidak dapat menulis {output}: {exc.strerror or exc}", 1)
    finally:
        engine.dispose()
    state = {"diajukan": "diajukan", "draf": "draf, belum diajukan"}.get(content.status,
                                                                         "pratinjau: laporan belum dibuat")
    PlainConsole(soft_wrap=True).print(
        f"Laporan {content.region_name} {content.year}-{content.period} versi {content.version} ({state}): "
        f"{len(content.actions)} rencana aksi, {len(content.alerts)} peringatan, {len(content.gaps)} celah rencana; "
        f"ditulis ke {output}.")


@report_app.command("list")
def list_command(
    kabupaten: str | None = typer.Option(None, "--kabupaten", "-k", help=KABUPATEN_HELP),
    year: int | None = typer.Option(None, "--year", help="Hanya tahun ini"),
):
    """Daftar laporan dan versinya."""
    from monitor.db.session import session_scope
    from monitor.plans.fields import normalize_code
    from monitor.service import reports

    engine = _engine()
    try:
        with session_scope(engine) as session:
            rows = reports.list_reports(session, normalize_code(kabupaten) if kabupaten else None, year)
    finally:
        engine.dispose()
    console = PlainConsole(soft_wrap=True)
    if not rows:
        console.print("Belum ada laporan. Susun laporan di halaman Laporan, atau lihat pratinjaunya dengan: "
                      "waspada report export --kabupaten KODE --period TAHUN-PERIODE --output BERKAS")
        return
    table = Table(title="Laporan RAD-PKS")
    for column in ("Id", "Wilayah", "Periode", "Versi", "Status", "Peringatan", "Diajukan (WIB)"):
        table.add_column(column, no_wrap=column != "Wilayah")
    for row in rows:
        table.add_row(str(row.id), f"{row.region} {row.region_name}", f"{row.year}-{row.period}", str(row.version),
                      reports.STATUS_NAMES.get(row.status, row.status), str(row.n_alerts),
                      format_wib(row.submitted_at) if row.submitted_at else "-")
    console.print(table)


@report_app.command("submit")
def submit_command(
    kabupaten: str = typer.Option(..., "--kabupaten", "-k", help=KABUPATEN_HELP),
    period: str = typer.Option(..., "--period", "-p", help=PERIOD_HELP),
    actor: str = typer.Option("cli", "--oleh", help="Nama yang dicatat di log audit"),
):
    """Ajukan draf laporan periode: isinya dibekukan dan laporan dikunci (koreksi = versi baru)."""
    from monitor.db.session import session_scope
    from monitor.service import reports

    region, year, code = _target(kabupaten, period)
    engine = _engine()
    try:
        with session_scope(engine) as session:
            report_id = reports.find_report(session, region, year, code)
            if report_id is None:
                _fail(f"Belum ada laporan {region} {year}-{code} untuk diajukan.", 1)
            content = reports.submit_report(session, report_id, actor[:80])
    except reports.ReportError as exc:
        _fail(exc.message, 1)
    finally:
        engine.dispose()
    PlainConsole(soft_wrap=True).print(f"Laporan {content.region_name} {year}-{code} versi {content.version} diajukan "
                                       f"dan dikunci ({len(content.alerts)} peringatan).")
