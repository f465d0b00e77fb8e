"""`waspada users ...` (accounts of the web app) and `waspada web` (the web app alone)."""
from __future__ import annotations

import getpass
import signal
import sys
from collections.abc import Callable

import typer
from rich.table import Table
from sqlalchemy import Engine

from monitor.config import Settings
from monitor.db.session import open_database, session_scope
from monitor.service import tokens, users
from monitor.service.users import ROLES, UserError
from monitor.terminal import console, err_console
from monitor.timezones import format_wib

users_app = typer.Typer(help="Pengguna aplikasi web: tambah, ganti kata sandi, ubah peran, nonaktifkan, daftar.",
                        no_args_is_help=True)
token_app = typer.Typer(help="Token API pengguna (akses baca saja ke /api/v1): buat, daftar, cabut.",
                        no_args_is_help=True)
users_app.add_typer(token_app, name="token")
CLI_ACTOR = "cli"


def _engine() -> Engine:
    return open_database(Settings.from_env().database_url)


def read_password() -> str:
    """The new password from standard input: asked twice without echo at a terminal, one line from a pipe."""
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("Kata sandi baru: ")
        if getpass.getpass("Ulangi kata sandi: ") != first:
            err_console.print("galat: kedua kata sandi tidak sama; tidak ada yang diubah.")
            raise typer.Exit(2)
        return first
    return (sys.stdin.readline() if sys.stdin is not None else "").rstrip("\r\n")


def _apply(change: Callable, done: str) -> None:
    """Run `change(session)` in one transaction; print `done`, or the refusal and exit 1."""
    engine = _engine()
    try:
        with session_scope(engine) as session:
            change(session)
    except UserError as exc:
        err_console.print(f"galat: {exc.message}")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    console.print(done)


@users_app.command("add")
def add(
    username: str = typer.Argument(..., help="Nama pengguna (huruf kecil, angka, . _ -)"),
    role: str = typer.Option("staff", "--role", help=f"Peran: {', '.join(ROLES)}"),
    email: str = typer.Option("", "--email", help="Alamat surel (untuk ringkasan harian)"),
    region: str = typer.Option("62", "--region", help="Wilayah kerja: 62 atau kode kabupaten seperti 62.02"),
    name: str = typer.Option("", "--name", help="Nama lengkap"),
):
    """Tambah pengguna; kata sandi dibaca dari masukan standar (dua kali di terminal, sekali dari pipa)."""
    settings = Settings.from_env()
    password = read_password()
    _apply(lambda s: users.create_user(s, CLI_ACTOR, username, password, role, display_name=name, email=email,
                                       region_code=region, limits=settings.web),
           f"Pengguna {users.normalise_username(username)} ditambahkan sebagai {users.ROLE_NAMES.get(role, role)}.")


@users_app.command("passwd")
def passwd(username: str = typer.Argument(..., help="Nama pengguna")):
    """Ganti kata sandi pengguna (dibaca dari masukan standar); sesi lamanya berakhir."""
    settings = Settings.from_env()
    password = read_password()
    _apply(lambda s: users.set_password(s, CLI_ACTOR, username, password, limits=settings.web),
           f"Kata sandi {users.normalise_username(username)} diganti.")


@users_app.command("role")
def role(username: str = typer.Argument(..., help="Nama pengguna"),
         new_role: str = typer.Argument(..., metavar="PERAN", help=f"Peran baru: {', '.join(ROLES)}")):
    """Ubah peran pengguna."""
    _apply(lambda s: users.set_role(s, CLI_ACTOR, username, new_role),
           f"Peran {users.normalise_username(username)} sekarang {users.ROLE_NAMES.get(new_role, new_role)}.")


@users_app.command("disable")
def disable(username: str = typer.Argument(..., help="Nama pengguna")):
    """Nonaktifkan pengguna: tidak dapat masuk lagi, sesinya berakhir."""
    _apply(lambda s: users.set_active(s, CLI_ACTOR, username, False),
           f"Pengguna {users.normalise_username(username)} dinonaktifkan.")


@users_app.command("enable")
def enable(username: str = typer.Argument(..., help="Nama pengguna")):
    """Aktifkan lagi pengguna yang dinonaktifkan."""
    _apply(lambda s: users.set_active(s, CLI_ACTOR, username, True),
           f"Pengguna {users.normalise_username(username)} aktif lagi.")


@users_app.command("list")
def list_users():
    """Daftar pengguna: peran, wilayah, status, terakhir masuk."""
    engine = _engine()
    try:
        with session_scope(engine) as session:
            rows = users.list_users(session)
    finally:
        engine.dispose()
    table = Table(title="Pengguna")
    for column in ("nama pengguna", "nama", "peran", "wilayah", "aktif", "surel", "terakhir masuk"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.username, row.display_name, row.role_name, row.region_code, "ya" if row.active else "tidak",
                      row.email, format_wib(row.last_login_at))
    console.print(table)
    if not rows:
        console.print("Belum ada pengguna. Tambah admin pertama: waspada users add NAMA --role admin")


@token_app.command("create")
def token_create(
    username: str = typer.Argument(..., help="Pemilik token"),
    name: str = typer.Option(..., "--name", help="Untuk apa token ini, mis. 'Dasbor BPBD'"),
    role: str | None = typer.Option(None, "--role", help="Cakupan: peran yang dipakai token, paling tinggi peran "
                                                            "pemiliknya (bawaan: peran pemiliknya)"),
):
    """Buat token API dan cetak sekali ke layar (Waspada hanya menyimpan sidiknya)."""
    created: list[tokens.NewToken] = []
    _apply(lambda s: created.append(tokens.create_token(s, CLI_ACTOR, username, name, role)),
           f"Token API '{name}' untuk {users.normalise_username(username)} dibuat. Simpan token ini sekarang; "
           "token tidak dapat ditampilkan lagi:")
    print(created[0].token)  # plain print: nothing may wrap or style the secret


@token_app.command("list")
def token_list(username: str | None = typer.Argument(None, help="Hanya token pengguna ini")):
    """Daftar token API: pemilik, nama, cakupan, terakhir dipakai, dicabut."""
    engine = _engine()
    try:
        with session_scope(engine) as session:
            rows = tokens.list_tokens(session, username)
    finally:
        engine.dispose()
    table = Table(title="Token API")
    for column in ("id", "pengguna", "nama", "token", "cakupan", "dibuat", "terakhir dipakai", "dicabut"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row.id), row.username, row.name, row.hint, row.role_name, format_wib(row.created_at),
                      format_wib(row.last_used_at) if row.last_used_at else "-",
                      format_wib(row.revoked_at) if row.revoked_at else "-")
    console.print(table)


@token_app.command("revoke")
def token_revoke(token_id: int = typer.Argument(..., help="Id token (lihat: waspada users token list)")):
    """Cabut token API; token langsung tidak berlaku."""
    _apply(lambda s: tokens.revoke_token(s, CLI_ACTOR, token_id), f"Token API #{token_id} dicabut.")


def secret_key_or_exit(settings: Settings) -> str:
    """The session key (see monitor.web.secret), or the Indonesian reason there is none and exit status 2."""
    from monitor.config import data_dir
    from monitor.web.secret import SecretKeyError, resolve_secret_key

    try:
        return resolve_secret_key(settings.database_url, data_dir())
    except SecretKeyError as exc:
        err_console.print(str(exc))
        raise typer.Exit(2) from None


def serve(engine: Engine, settings: Settings, secret_key: str, host: str | None, port: int | None,
          banner: Callable[[str], str], on_start: Callable[[], None] = lambda: None) -> None:
    """Serve the web app in the foreground until Ctrl+C or SIGTERM; print `banner(address)` and, on a fresh
    install, the one-time set-up link. `on_start` runs once the port is bound (e.g. to start the scheduler)."""
    from monitor.web import create_app
    from monitor.web.server import address, first_run_notice, make_server

    host = host or settings.web.host
    port = settings.web.port if port is None else port
    try:
        server = make_server(create_app(engine, settings, secret_key), host, port)
    except OSError as exc:
        err_console.print(f"Tidak dapat membuka aplikasi web di {host}:{port}: {exc.strerror or exc}. "
                          "Pilih port lain dengan --port atau WASPADA_WEB_PORT.")
        raise typer.Exit(2) from None
    console.print(banner(address(server)), soft_wrap=True)
    notice = first_run_notice(engine, settings, server)
    if notice:
        console.print(notice, soft_wrap=True)
    # a service manager stops with SIGTERM: end like Ctrl+C, so waitress closes its sockets
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    on_start()
    server.run()  # returns after Ctrl+C or SIGTERM (waitress catches both and closes)


def web(
    host: str | None = typer.Option(None, "--host", help="Alamat dengar (bawaan: WASPADA_WEB_HOST atau 127.0.0.1)"),
    port: int | None = typer.Option(None, "--port", help="Port (bawaan: WASPADA_WEB_PORT atau 8080)"),
):
    """Jalankan aplikasi web saja (tanpa pengambilan feed), sampai dihentikan (Ctrl+C)."""
    settings = Settings.from_env()
    secret_key = secret_key_or_exit(settings)
    engine = open_database(settings.database_url)
    serve(engine, settings, secret_key, host, port,
          lambda url: f"Aplikasi web Waspada: {url}\n(hanya aplikasi web; feed diambil oleh `waspada run`). "
                      "Hentikan dengan Ctrl+C.")
    console.print("Aplikasi web berhenti.")


def register(app: typer.Typer) -> None:
    """Add `users` and `web` to the main CLI."""
    app.add_typer(users_app, name="users")
    app.command("web")(web)
