"""`waspada plans ...`: validate, import, export and list RAD-PKS plans.

monitor/cli.py adds these commands with ``register(app)``. The database is
``Settings.from_env().database_url`` (WASPADA_DATABASE_URL), migrated on first use.
"""
from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from monitor.plans import example_plan_file
from monitor.plans.schema import PlanFileError, Problem
from monitor.terminal import PlainConsole
from monitor.timezones import WIB

plans_app = typer.Typer(help="Rencana Aksi Daerah Penanganan Konflik Sosial (RAD-PKS): periksa, impor, ekspor, daftar.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the `plans` command group to the `waspada` application."""
    app.add_typer(plans_app, name="plans")


def _console(stderr: bool = False) -> PlainConsole:
    return PlainConsole(stderr=stderr, soft_wrap=True)


def _engine():
    from monitor.config import Settings
    from monitor.db.session import open_database

    return open_database(Settings.from_env().database_url)


def _print_problems(problems: list[Problem], console: PlainConsole) -> None:
    for problem in problems:
        console.print(f"- {problem}")


def _files(files: list[Path] | None, contoh: bool) -> list[Path]:
    paths = list(files or [])
    if contoh:
        paths.append(example_plan_file())
    if not paths:
        _console(stderr=True).print("Sebutkan berkas rencana (.yaml atau .xlsx), atau --contoh untuk contoh bawaan.")
        raise typer.Exit(2)
    return paths


def _check_region(region: str | None) -> str | None:
    from monitor.plans.fields import normalize_code, region_names

    if region is None:
        return None
    code = normalize_code(region)
    if code not in region_names():
        _console(stderr=True).print(f"Kode wilayah '{region}' tidak dikenal (62 atau kode kabupaten/kota, "
                                    f"mis. 62.02).")
        raise typer.Exit(2)
    return code


@plans_app.command("validate")
def validate_command(
    files: list[Path] | None = typer.Argument(None, help="Berkas rencana .yaml/.yml/.xlsx", metavar="BERKAS...",
                                              show_default=False),
    contoh: bool = typer.Option(False, "--contoh", help="Periksa juga contoh RAD-PKS bawaan"),
):
    """Periksa berkas rencana tanpa menyimpan apa pun; setiap masalah ditulis dengan baris dan kolomnya."""
    from monitor.plans.validate import add_cross_file_problems, load_plan_file

    console = _console()
    failed = False
    results = [(path, *load_plan_file(path)) for path in _files(files, contoh)]
    add_cross_file_problems(results)  # what importing these files together would refuse
    for path, plans, problems in results:
        if problems:
            failed = True
            console.print(f"{path.name}: {len(problems)} masalah")
            _print_problems(problems, console)
        else:
            n_actions = sum(len(p.actions) for p in plans)
            console.print(f"{path.name}: valid ({len(plans)} rencana, {n_actions} rencana aksi)")
    if failed:
        raise typer.Exit(1)


@plans_app.command("import")
def import_command(
    files: list[Path] | None = typer.Argument(None, help="Berkas rencana .yaml/.yml/.xlsx", metavar="BERKAS...",
                                              show_default=False),
    contoh: bool = typer.Option(False, "--contoh",
                                help="Impor contoh RAD-PKS 2026 bawaan (ilustrasi, bukan rencana resmi)"),
):
    """Impor rencana. Semua berkas diperiksa dulu; bila ada satu masalah saja, tidak ada yang disimpan.
    Rencana yang sudah ada (tahun + wilayah sama) diganti seluruh isinya oleh isi berkas."""
    from monitor.plans.fields import region_name
    from monitor.service.plans import import_plans

    paths = _files(files, contoh)
    engine = _engine()
    try:
        result = import_plans(engine, paths)
    except PlanFileError as exc:
        err = _console(stderr=True)
        err.print(f"Impor dibatalkan: {len(exc.problems)} masalah ditemukan; tidak ada rencana yang diubah.")
        _print_problems(exc.problems, err)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    console = _console()
    for outcome in result.plans:
        what = "baru" if outcome.created else "diganti"
        removed = f", {outcome.n_removed} aksi lama dihapus" if outcome.n_removed else ""
        console.print(f"{outcome.year} {outcome.region} {region_name(outcome.region)}: {what}, "
                      f"{outcome.n_actions} rencana aksi{removed}")
    n_actions = sum(o.n_actions for o in result.plans)
    console.print(f"{len(result.plans)} rencana diimpor ({n_actions} rencana aksi).")
    run = result.relinked.alerts
    console.print(f"Keterkaitan peringatan dengan aksi RAD-PKS diperbarui: {run.updated} peringatan, "
                  f"{run.plan_gaps} celah rencana.")


@plans_app.command("export")
def export_command(
    output: Path = typer.Option(..., "--output", "-o", help="Berkas tujuan (.yaml atau .xlsx)"),
    fmt: str | None = typer.Option(None, "--format", "-f", help="yaml atau xlsx (bawaan: dari akhiran --output)"),
    year: int | None = typer.Option(None, "--year", help="Hanya rencana tahun ini"),
    region: str | None = typer.Option(None, "--region", help="Hanya rencana wilayah ini (62 atau kode kabupaten/kota)"),
):
    """Ekspor rencana tersimpan ke YAML atau XLSX (matriks RAD-PKS). Tanpa rencana: templat kosong."""
    from monitor.plans.store import export_plans

    if fmt is None:
        fmt = {".yaml": "yaml", ".yml": "yaml", ".xlsx": "xlsx"}.get(output.suffix.lower())
    fmt = (fmt or "").lower()
    if fmt not in ("yaml", "xlsx"):
        _console(stderr=True).print("Format harus yaml atau xlsx (--format yaml|xlsx).")
        raise typer.Exit(2)
    region = _check_region(region)
    engine = _engine()
    try:
        plans = export_plans(engine, output, fmt, year=year, region=region)
    except OSError as exc:
        _console(stderr=True).print(f"Tidak dapat menulis {output}: {exc.strerror or exc}")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    n_actions = sum(len(p.actions) for p in plans)
    if plans:
        _console().print(f"{len(plans)} rencana ({n_actions} rencana aksi) ditulis ke {output}.")
    else:
        _console().print(f"Tidak ada rencana yang cocok; templat kosong ditulis ke {output}.")


@plans_app.command("list")
def list_command(
    year: int | None = typer.Option(None, "--year", help="Hanya rencana tahun ini"),
    region: str | None = typer.Option(None, "--region", help="Hanya rencana wilayah ini"),
):
    """Daftar rencana tersimpan."""
    from monitor.db.session import session_scope
    from monitor.plans.store import list_plans

    region = _check_region(region)
    engine = _engine()
    try:
        with session_scope(engine) as session:
            rows = list_plans(session, year, region)
    finally:
        engine.dispose()
    console = _console()
    if not rows:
        console.print("Belum ada rencana tersimpan. Impor dengan: waspada plans import BERKAS (atau --contoh).")
        return
    table = Table(title="Rencana RAD-PKS")
    for column in ("Tahun", "Wilayah", "Judul", "Status", "Contoh", "Aksi", "Diimpor (WIB)"):
        table.add_column(column, no_wrap=column not in ("Judul",))
    for row in rows:
        table.add_row(str(row.year), row.region, row.title, row.status, "ya" if row.example else "tidak",
                      str(row.n_actions), row.imported_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M"))
    console.print(table)
    console.print(f"{len(rows)} rencana, {sum(r.n_actions for r in rows)} rencana aksi.")
