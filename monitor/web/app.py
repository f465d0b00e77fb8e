"""The Flask app factory: server-rendered pages in Bahasa Indonesia, every asset served by Waspada."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from monitor.config import Settings
from monitor.service import users
from monitor.service.worker import JobWorker
from monitor.timezones import format_wib
from monitor.web import (
    account,
    admin,
    alerts,
    api,
    auth,
    dashboard,
    digest,
    labeling,
    labels,
    model_pages,
    plans,
    reports,
    security,
)
from monitor.web.api_errors import ApiError, is_api_request, json_error
from monitor.web.context import EXTENSION

MAX_FORM_BYTES = 1024 * 1024  # no form of Waspada comes near this

ERROR_TEXT = {
    400: ("Permintaan tidak dapat diproses",
          "Isian yang dikirim tidak dapat dibaca. Muat ulang halaman lalu coba lagi."),
    403: ("Tidak diizinkan", "Peran Anda tidak mengizinkan membuka halaman atau melakukan tindakan ini."),
    404: ("Halaman tidak ditemukan", "Alamat ini tidak ada di Waspada."),
    405: ("Cara permintaan tidak diizinkan", "Halaman ini tidak menerima permintaan seperti itu."),
    413: ("Kiriman terlalu besar", "Isian atau berkas yang dikirim terlalu besar; tidak ada yang diubah."),
    500: ("Terjadi kesalahan", "Terjadi kesalahan di server. Coba lagi; bila berulang, hubungi admin."),
}


def create_app(engine: Engine, settings: Settings, secret_key: str) -> Flask:
    """The web app over `engine`, signing sessions with `secret_key` (see monitor.web.secret)."""
    app = Flask(__name__)
    web = settings.web
    app.config.update(
        SECRET_KEY=secret_key,
        SESSION_COOKIE_NAME="waspada_sesi",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=web.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=web.idle_minutes),
        SESSION_REFRESH_EACH_REQUEST=False,  # the idle check rewrites the cookie on every page, not on assets
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=web.secure_cookies,
        MAX_CONTENT_LENGTH=MAX_FORM_BYTES,
        WTF_CSRF_ENABLED=True,
        WTF_CSRF_SSL_STRICT=True,
    )
    app.extensions[EXTENSION] = {"engine": engine, "settings": settings,
                                 "worker": JobWorker(engine, settings.training)}
    _allow_uploads(app, web.max_upload_bytes)  # before CSRFProtect, which reads the form of every POST
    CSRFProtect(app)
    security.install(app, web.idle_minutes)
    app.url_map.converters["id"] = RowId
    for blueprint in (auth.bp, dashboard.bp, alerts.bp, plans.bp, reports.bp, digest.bp, labeling.bp, model_pages.bp,
                      admin.bp, account.bp, api.bp):
        app.register_blueprint(blueprint)
    _template_helpers(app, settings)
    _error_pages(app)
    return app


class RowId(IntegerConverter):
    """A row id in a path (`<id:alert_id>`): 1 up to the largest INTEGER key, so a larger number is a 404, not a
    database overflow."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2**31 - 1)


UPLOAD_ENDPOINTS = frozenset({"plans.import_file"})  # the only requests that may exceed MAX_FORM_BYTES


def _allow_uploads(app: Flask, max_upload_bytes: int) -> None:
    @app.before_request
    def allow_upload():
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = max_upload_bytes + MAX_FORM_BYTES  # the file and the form around it


def http_url(value: str | None) -> str:
    """`value` if it is an http(s) address (fit for an href), else '' (the template then shows plain text)."""
    value = (value or "").strip()
    parts = urlsplit(value)
    return value if parts.scheme in ("http", "https") and parts.netloc else ""


def _template_helpers(app: Flask, settings: Settings) -> None:
    app.jinja_env.filters["wib"] = format_wib
    app.jinja_env.filters["http_url"] = http_url
    app.jinja_env.filters.update(labels.template_helpers())
    app.jinja_env.globals["role_names"] = users.ROLE_NAMES

    @app.context_processor
    def navigation():
        def can(permission) -> bool:
            return current_user.is_authenticated and current_user.can(permission)

        return {"can": can, "perm": users, "min_password_length": settings.web.min_password_length}


def _error_pages(app: Flask) -> None:
    """Error pages in Indonesian; on /api paths the same errors as JSON (see monitor.web.api_errors)."""
    def page(code: int, detail: str | None = None):
        if is_api_request():
            return json_error(code if code in ERROR_TEXT else 500)
        title, text = ERROR_TEXT.get(code, ERROR_TEXT[500])
        return render_template("error.html", code=code, title=title, text=detail or text), code

    @app.errorhandler(ApiError)
    def api_refused(error: ApiError):
        return json_error(error.status, error.code, error.message)

    @app.errorhandler(CSRFError)
    def csrf_failed(_error):
        return page(400, "Formulir ini kedaluwarsa atau tidak sah (token keamanan hilang atau salah). "
                         "Muat ulang halaman, lalu kirim lagi.")

    @app.errorhandler(413)
    def too_large(_error):
        if request.endpoint in UPLOAD_ENDPOINTS:
            limit = app.extensions[EXTENSION]["settings"].web.max_upload_bytes / 1024 / 1024
            return page(413, f"Berkas terlalu besar: berkas rencana paling besar {limit:g} MiB. Tidak ada rencana "
                             "yang diubah.")
        return page(413)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code in ERROR_TEXT:
            return page(error.code)
        return error

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("galat tak terduga pada %s %s", request.method, request.path)
        return page(500)
