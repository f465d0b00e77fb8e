"""`waspada alerts|levels|coverage|demo` commands."""
from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy import select

from monitor.alerts.coverage import coverage, kabupaten_names
from monitor.alerts.levels import LEVEL_NAMES, LEVELS, compute_levels, levels_on
from monitor.alerts.lifecycle import LifecycleError, change_status, correct_labels, export_labels
from monitor.config import Settings
from monitor.db.models import Alert, Article, EscalationLevel, PlanAction, PlanLink
from monitor.db.session import open_database, session_scope
from monitor.terminal import console, err_console, plain
from monitor.timezones import WIB, format_wib, today_wib

alerts_app = typer.Typer(help="Peringatan deteksi dini.", no_args_is_help=True)


def _engine():
    return open_database(Settings.from_env().database_url)


def _parse_day(value: Optional[str], option: str) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err_console.print(f"galat: {option} harus berupa tanggal TTTT-BB-HH, bukan '{value}'")
        raise typer.Exit(2)


def alert_record(session, alert: Alert) -> dict:
    """An alert as a plain record (JSON lines and `alerts show`)."""
    articles = list(session.scalars(select(Article).where(Article.cluster_id == alert.cluster_id).order_by(Article.id)))
    links = session.execute(
        select(PlanLink, PlanAction).join(PlanAction, PlanAction.id == PlanLink.action_id).where(PlanLink.cluster_id == alert.cluster_id)
    ).all()
    return {
        "id": alert.id, "status": alert.status, "title": alert.title, "categories": alert.categories,
        "kabupaten": alert.kabupaten, "kecamatan": alert.kecamatan, "desa": alert.desa, "score": alert.score,
        "severity": alert.severity, "evidence": alert.evidence, "plan_gap": alert.plan_gap,
        "first_seen": alert.first_seen_at.astimezone(timezone.utc).isoformat(),
        "last_seen": alert.last_seen_at.astimezone(timezone.utc).isoformat(),
        "sources": [{"feed_id": a.feed_id, "url": a.url, "title": a.title} for a in articles],
        "actions": [{"id": action.id, "code": action.code, "kegiatan": action.kegiatan, "matched_on": link.matched_on}
                    for link, action in links],
        "model_version": alert.model_version,
    }


@alerts_app.command("list")
def alerts_list(
    since: Optional[str] = typer.Option(None, help="Hanya yang pertama terlihat sejak tanggal ini (TTTT-BB-HH, WIB)"),
    kabupaten: Optional[str] = typer.Option(None, help="Kode kabupaten, mis. 62.02"),
    level: Optional[str] = typer.Option(None, help="Hanya di kabupaten yang levelnya setinggi ini: waspada|siaga|awas"),
    format: str = typer.Option("table", "--format", help="table atau jsonl"),
):
    """Daftar peringatan, terbaru dahulu."""
    since_day = _parse_day(since, "--since")
    if level is not None and level not in LEVELS:
        err_console.print(f"galat: --level harus salah satu dari {', '.join(LEVELS)}")
        raise typer.Exit(2)
    if format not in ("table", "jsonl"):
        err_console.print("galat: --format harus table atau jsonl")
        raise typer.Exit(2)
    with session_scope(_engine()) as session:
        alerts = list(session.scalars(select(Alert).order_by(Alert.first_seen_at.desc(), Alert.id.desc())))
        if since_day:
            alerts = [a for a in alerts if a.first_seen_at.astimezone(WIB).date() >= since_day]
        if kabupaten:
            alerts = [a for a in alerts if kabupaten in a.kabupaten]
        if level:
            minimum = LEVELS.index(level)
            alerts = [a for a in alerts if _alert_level(session, a) >= minimum]
        if format == "jsonl":
            for alert in alerts:
                sys.stdout.write(json.dumps(alert_record(session, alert), ensure_ascii=False) + "\n")
            return
        names = kabupaten_names()
        table = Table(title=f"Peringatan ({len(alerts)})")
        for column in ("id", "pertama terlihat", "status", "kabupaten", "kategori", "skor", "sumber", "RAD-PKS", "judul"):
            table.add_column(column)
        for a in alerts:
            table.add_row(str(a.id), format_wib(a.first_seen_at), a.status,
                          ", ".join(names.get(k, k).replace("Kabupaten ", "") for k in a.kabupaten) or "Kalteng",
                          ", ".join(a.categories), f"{a.score:.2f}", str(a.n_sources),
                          "CELAH RENCANA" if a.plan_gap else "terkait", a.title[:60])
        console.print(table)


def _alert_level(session, alert: Alert) -> int:
    day = alert.first_seen_at.astimezone(WIB).date()
    current = levels_on(session, day)
    return max((LEVELS.index(current[k].level) for k in alert.kabupaten if k in current), default=0)


@alerts_app.command("show")
def alerts_show(alert_id: int):
    """Rincian satu peringatan: bukti, sumber, aksi RAD-PKS terkait, riwayat."""
    with session_scope(_engine()) as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            err_console.print(f"galat: peringatan #{alert_id} tidak ada")
            raise typer.Exit(1)
        record = alert_record(session, alert)
        names = kabupaten_names()
        console.print(Text.assemble((f"Peringatan #{alert.id}", "bold"), f" ({alert.status}) - {plain(alert.title)}"))
        console.print(f"Kategori: {', '.join(alert.categories)}; skor {alert.score:.2f}; keparahan: {', '.join(alert.severity) or '-'}")
        console.print(f"Wilayah: {', '.join(names.get(k, k) for k in alert.kabupaten) or 'Kalimantan Tengah'}"
                      + (f"; kecamatan {', '.join(alert.kecamatan)}" if alert.kecamatan else "")
                      + (f"; desa {', '.join(alert.desa)}" if alert.desa else ""))
        console.print(f"Pertama terlihat {format_wib(alert.first_seen_at)}, terakhir {format_wib(alert.last_seen_at)}")
        console.print("Bukti:")
        for sentence in alert.evidence:
            console.print(f"  - {sentence}", markup=False)
        console.print(f"Sumber ({len(record['sources'])}):")
        for source in record["sources"]:
            console.print(f"  - {source['feed_id']}: {source['url']}", markup=False)
        if record["actions"]:
            console.print("Aksi RAD-PKS terkait:")
            for action in record["actions"]:
                console.print(f"  - {action['code']}: {action['kegiatan']} ({action['matched_on']})", markup=False)
        else:
            console.print("Celah rencana: tidak ada aksi RAD-PKS yang mencakup peringatan ini.", style="yellow")
        for event in alert.events:
            console.print(f"  {format_wib(event.at)} {event.actor}: {event.from_status} -> {event.to_status} {event.note}", markup=False)


@alerts_app.command("status")
def alerts_status(alert_id: int, status: str, by: str = typer.Option(..., "--by", help="Nama petugas"),
                  note: str = typer.Option("", "--note", help="Catatan")):
    """Ubah status: baru, ditinjau, ditindaklanjuti, selesai, bukan_konflik, duplikat."""
    try:
        with session_scope(_engine()) as session:
            change_status(session, alert_id, status, by, note)
    except LifecycleError as exc:
        err_console.print(f"galat: {exc}")
        raise typer.Exit(1)
    console.print(f"Peringatan #{alert_id} sekarang '{status}'.")


@alerts_app.command("correct")
def alerts_correct(alert_id: int, categories: str = typer.Option(..., help="Kategori dipisah koma"),
                   kabupaten: str = typer.Option("", help="Kode kabupaten dipisah koma"),
                   by: str = typer.Option(..., "--by", help="Nama petugas"), note: str = typer.Option("", "--note")):
    """Koreksi kategori/wilayah sebuah peringatan; disimpan sebagai label untuk pelatihan ulang."""
    from classifiers.taxonomy import load_taxonomy

    split = lambda text: [part.strip() for part in text.split(",") if part.strip()]  # noqa: E731
    try:
        with session_scope(_engine()) as session:
            correct_labels(session, alert_id, by, split(categories), split(kabupaten), note, load_taxonomy().codes)
    except LifecycleError as exc:
        err_console.print(f"galat: {exc}")
        raise typer.Exit(1)
    console.print(f"Label peringatan #{alert_id} dikoreksi.")


@alerts_app.command("export-labels")
def alerts_export_labels(output: Path = typer.Option(..., "--output", "-o")):
    """Tulis label analis sebagai JSONL untuk `waspada train --labels`."""
    with session_scope(_engine()) as session, output.open("w", encoding="utf-8") as handle:
        count = export_labels(session, handle)
    console.print(f"{count} label ditulis ke {output}.")


def levels(
    day: Optional[str] = typer.Option(None, "--date", help="Tanggal (TTTT-BB-HH, WIB); bawaan hari ini"),
    category: str = typer.Option("", help="Kategori; kosong = semua kategori"),
    recompute_days: int = typer.Option(0, "--recompute-days", help="Hitung ulang level N hari sampai tanggal itu"),
):
    """Level eskalasi tiap kabupaten (Normal, Waspada, Siaga, Awas) dengan alasannya."""
    target = _parse_day(day, "--date") or today_wib()
    with session_scope(_engine()) as session:
        if recompute_days:
            compute_levels(session, target - timedelta(days=recompute_days), target)
            session.flush()
        current = levels_on(session, target, category)
        table = Table(title=f"Level eskalasi {target.isoformat()}" + (f" - {category}" if category else ""))
        for column in ("kode", "kabupaten/kota", "level", "sejak", "alasan"):
            table.add_column(column)
        for code, name in sorted(kabupaten_names().items()):
            row = current.get(code)
            level = row.level if row else "normal"
            since = _level_since(session, code, category, target, level)
            table.add_row(code, name, LEVEL_NAMES[level], since, row.reason if row and level != "normal" else "")
        console.print(table)


def _level_since(session, code: str, category: str, target: date, level: str) -> str:
    rows = list(session.scalars(select(EscalationLevel).where(
        EscalationLevel.kabupaten == code, EscalationLevel.category == category, EscalationLevel.day <= target,
        EscalationLevel.changed.is_(True)).order_by(EscalationLevel.day.desc()).limit(1)))
    return rows[0].day.isoformat() if rows else "-"


def coverage_command():
    """Cakupan per kabupaten: jumlah sumber aktif dan kapan berita terakhir tentangnya tiba."""
    with session_scope(_engine()) as session:
        table = Table(title="Cakupan sumber per kabupaten/kota")
        for column in ("kode", "kabupaten/kota", "sumber khusus", "sumber provinsi", "berita terakhir"):
            table.add_column(column)
        for item in coverage(session):
            last = format_wib(item.last_item_at) if item.last_item_at else Text("belum ada", style="red")
            table.add_row(item.code, item.name, str(item.own_sources), str(item.province_sources), last)
        console.print(table)


def rescore(
    since: str = typer.Option(..., help="Tanggal awal terbit (TTTT-BB-HH)"),
    until: Optional[str] = typer.Option(None, help="Tanggal akhir terbit, tidak termasuk (bawaan: hari ini)"),
    model: Optional[Path] = typer.Option(None, "--model", help="Folder model (bawaan: models/default)"),
):
    """Nilai ulang artikel satu rentang tanggal dengan model lain, lalu perbarui peringatan dan level."""
    from classifiers.artifacts import ModelIntegrityError
    from classifiers.service import load_classifier
    from monitor.alerts.classify_stage import classify_articles
    from monitor.alerts.generate import update_alerts

    start = _parse_day(since, "--since")
    end = _parse_day(until, "--until") or today_wib() + timedelta(days=1)
    try:
        classifier = load_classifier(str(model) if model else None)
    except ModelIntegrityError as exc:
        err_console.print(f"galat: {exc}")
        raise typer.Exit(2)
    engine = _engine()
    to_utc = lambda d: datetime(d.year, d.month, d.day, tzinfo=WIB).astimezone(timezone.utc)  # noqa: E731
    done = classify_articles(engine, classifier, since=to_utc(start), until=to_utc(end))
    run = update_alerts(engine, classifier.version)
    with session_scope(engine) as session:
        compute_levels(session, start, end)
    console.print(f"Model {classifier.version}: {done.classified} artikel dinilai ulang; "
                  f"{run.created} peringatan baru, {run.updated} diperbarui; level {start} s.d. {end} dihitung ulang.")


def register(app: typer.Typer) -> None:
    """Add the alert commands to the main CLI."""
    app.add_typer(alerts_app, name="alerts")
    app.command("levels")(levels)
    app.command("coverage")(coverage_command)
    app.command("rescore")(rescore)
