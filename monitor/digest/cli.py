"""`waspada digest`: print the daily digest, or mail it to the subscribers."""
from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from monitor.config import Settings
from monitor.db.session import open_database, session_scope
from monitor.digest.compose import compose_digest
from monitor.digest.render import render_digest_text
from monitor.digest.send import MailSettings, MailSettingsError, send_digests
from monitor.service.digest import subscriber
from monitor.terminal import console, err_console
from monitor.timezones import today_wib


def _day(value: str | None) -> date:
    if value is None:
        return today_wib()
    try:
        return date.fromisoformat(value)
    except ValueError:
        err_console.print(f"galat: --date harus berupa tanggal TTTT-BB-HH, bukan '{value}'")
        raise typer.Exit(2) from None


def digest_command(
    day: str | None = typer.Option(None, "--date", help="Tanggal ringkasan, TTTT-BB-HH (bawaan: hari ini, WIB); "
                                                         "memuat peringatan baru hari sebelumnya"),
    send: bool = typer.Option(False, "--send", help="Kirim lewat email ke setiap pelanggan (atau --user saja)"),
    user: str | None = typer.Option(None, "--user", help="Nama pengguna: ringkasan sesuai langganannya"),
):
    """Ringkasan harian deteksi dini: tampilkan sebagai teks, atau kirim lewat email (--send)."""
    when = _day(day)
    try:
        mail = MailSettings.from_env()
    except MailSettingsError as exc:
        err_console.print(f"galat: {exc}")
        raise typer.Exit(2) from None
    engine = open_database(Settings.from_env().database_url)
    if send:
        _send(engine, when, mail, user)
        return
    with session_scope(engine) as session:
        kabupaten = categories = None
        if user is not None:
            person = subscriber(session, user)
            if person is None:
                err_console.print(f"galat: pengguna '{user}' tidak ada")
                raise typer.Exit(2)
            kabupaten, categories = list(person.scope.kabupaten), list(person.scope.categories)
        digest = compose_digest(session, when, kabupaten, categories, base_url=mail.base_url,
                                digest_time=mail.digest_time)
    console.print(render_digest_text(digest), end="", soft_wrap=True)


def _send(engine, when: date, mail: MailSettings, user: str | None) -> None:
    if not mail.configured:
        err_console.print("galat: WASPADA_SMTP_HOST dan WASPADA_MAIL_FROM belum diatur; ringkasan tidak dikirim")
        raise typer.Exit(2)
    outcomes = send_digests(engine, when, mail, username=user)
    if not outcomes:
        who = f"pengguna '{user}' tidak" if user else "tidak ada pengguna yang"
        console.print(f"Tidak ada yang dikirim: {who} berlangganan (aktif, langganan menyala, ada alamat email).")
        return
    table = Table(title=f"Ringkasan {when.isoformat()}")
    for column in ("pengguna", "email", "status", "percobaan", "peringatan", "keterangan"):
        table.add_column(column)
    for o in outcomes:
        table.add_row(o.username, o.email, o.status, str(o.attempts), str(o.alerts) if o.status == "terkirim" else "-",
                      o.error)
    console.print(table)
    sent = sum(o.status == "terkirim" for o in outcomes)
    failed = sum(o.status == "gagal" for o in outcomes)
    console.print(f"{sent} terkirim, {failed} gagal, {len(outcomes) - sent - failed} dilewati.")
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `waspada digest` to the main CLI."""
    app.command("digest")(digest_command)
