"""Serving the web app with waitress, and the one-time set-up link of a fresh install."""
from __future__ import annotations

import ipaddress

from flask import Flask
from sqlalchemy import Engine
from waitress.server import create_server

from monitor.config import Settings
from monitor.db.session import session_scope
from monitor.service import users
from monitor.web.app import MAX_FORM_BYTES
from monitor.web.context import EXTENSION

THREADS = 8  # waitress worker threads: a handful of office users, pages rendered from SQL


def make_server(app: Flask, host: str, port: int):
    """A waitress server bound to host:port (port 0: any free port); `run()` serves until Ctrl+C, `close()` stops."""
    # Proxy headers are trusted by nothing in Waspada (the client address is the socket's), so they are left in
    # place rather than stripped: the set-up link must see them to refuse a request relayed by a local proxy.
    # The body bound admits a plan file upload (the app itself holds every other request to MAX_FORM_BYTES).
    upload = app.extensions[EXTENSION]["settings"].web.max_upload_bytes
    return create_server(app, host=host, port=port, threads=THREADS, ident="Waspada",
                         max_request_body_size=max(2 * MAX_FORM_BYTES, upload + MAX_FORM_BYTES),
                         clear_untrusted_proxy_headers=False)


def address(server) -> str:
    """The address people open, e.g. http://127.0.0.1:8080."""
    host = server.effective_host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://[{host}]:{server.effective_port}" if ":" in host else f"http://{host}:{server.effective_port}"


def first_run_notice(engine: Engine, settings: Settings, server) -> str | None:
    """With no user yet, what to print: a fresh one-time link (valid settings.web.setup_token_minutes, only from
    this computer) that creates the first admin, or how to create one from the command line. None when users exist."""
    with session_scope(engine) as session:
        if users.count_users(session):
            return None
        base = address(server)
        if not _loopback(base.split("//", 1)[1].rsplit(":", 1)[0].strip("[]")):
            return ("Belum ada pengguna. Buat admin pertama dengan: waspada users add NAMA --role admin "
                    "(tautan penyiapan hanya berlaku bila server mendengarkan di 127.0.0.1).")
        token = users.create_setup_token(session, limits=settings.web)
    return (f"Belum ada pengguna. Buat admin pertama lewat tautan sekali pakai ini, dari komputer ini, dalam "
            f"{settings.web.setup_token_minutes} menit:\n  {base}/setup/{token}")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
