"""Who may open what: every endpoint declares a permission (or `public`), and anything undeclared is
refused (default deny); sessions end after the idle time; security headers on every response.

Use in a blueprint (the route decorator outermost):

    @bp.get("/peringatan")
    @requires(READ)
    def alert_list(): ...

The JSON API declares `@token_requires(READ)` instead: its requests are authenticated by an API token
(`Authorization: Bearer ...`) alone, never by the session cookie, so CSRF cannot apply to them, and the
token grants the lower of its scope and its user's current role.
"""
from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask import Flask, abort, flash, g, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, logout_user

from monitor.service import tokens, users
from monitor.service.users import UserRecord
from monitor.web.api_errors import ApiError
from monitor.web.context import db

PUBLIC = "public"
TOKEN = "token"  # the requirement of API views: a bearer token, whose permission is TOKEN_PERMISSION
REQUIREMENT = "waspada_requirement"
TOKEN_PERMISSION = "waspada_token_permission"
PUBLIC_ENDPOINTS = frozenset({"static"})  # Flask's own static file view: assets only, no data
SEEN_KEY = "seen"  # when the session was last used (seconds since the epoch), to end idle sessions

STYLE_SOURCE = "style-src 'self'"
CONTENT_SECURITY_POLICY = (f"default-src 'self'; script-src 'self'; {STYLE_SOURCE}; img-src 'self' data:; "
                           "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
INLINE_STYLES = "waspada_inline_styles"  # flask.g key: CSP hashes of the inline styles this response may use
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin keeps the Referer that CSRF protection checks over HTTPS, and sends nothing elsewhere
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class _InlineStyles(HTMLParser):
    """The style attributes (entities decoded, as the browser hashes them) and <style> contents of a fragment."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.styles: set[str] = set()
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.styles.update(value for name, value in attrs if name == "style" and value is not None)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.add(data)


def allow_inline_styles(*fragments: str) -> None:
    """Let this response's CSP allow exactly the inline styles of `fragments`, by their sha256.

    For markup drawn by Waspada itself that must also work without a stylesheet (the level map and
    charts, which e-mail uses too, and the digest, written for mail clients). Feed content never
    reaches a style attribute (it is escaped), so the hashes admit only these fixed styles, and
    'unsafe-inline' stays off. A browser without 'unsafe-hashes' shows the page with app.css only.
    """
    parser = _InlineStyles()
    for fragment in fragments:
        parser.feed(str(fragment))
    parser.close()
    allowed = g.setdefault(INLINE_STYLES, set())
    allowed.update("'sha256-" + base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode() + "'"
                   for style in parser.styles)


def content_security_policy() -> str:
    """The CSP of this response: the fixed policy, plus the hashes of inline styles a view allowed."""
    allowed = g.get(INLINE_STYLES)
    if not allowed:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(STYLE_SOURCE, f"{STYLE_SOURCE} 'unsafe-hashes' {' '.join(sorted(allowed))}")


def requires(permission: str) -> Callable:
    """Declare the permission a view needs (see monitor.service.users.PERMISSIONS)."""
    if permission not in users.PERMISSION_NAMES:
        raise ValueError(f"unknown permission {permission!r}")

    def mark(view: Callable) -> Callable:
        setattr(view, REQUIREMENT, permission)
        return view

    return mark


def token_requires(permission: str) -> Callable:
    """Declare an API view: it needs a valid API token whose role (its scope, at most its user's role) has
    `permission`; the session cookie is never consulted."""
    if permission not in users.PERMISSION_NAMES:
        raise ValueError(f"unknown permission {permission!r}")

    def mark(view: Callable) -> Callable:
        setattr(view, REQUIREMENT, TOKEN)
        setattr(view, TOKEN_PERMISSION, permission)
        return view

    return mark


def _check_token(permission: str) -> None:
    """Authenticate this request's bearer token and check its permission (raises ApiError: 401 or 403)."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "Sertakan token API: header 'Authorization: Bearer <token>'. "
                                            "Buat token di halaman Token API pada aplikasi web.")
    with db() as session:
        grant = tokens.authenticate_token(session, token)
    if grant is None:
        raise ApiError(401, "invalid_token", "Token API tidak berlaku: salah, sudah dicabut, atau akunnya nonaktif.")
    if not grant.can(permission):
        raise ApiError(403, "forbidden", f"Cakupan token ini ({users.ROLE_NAMES.get(grant.role, grant.role)}) "
                                         f"tidak mengizinkan {users.PERMISSION_NAMES[permission]}.")


def public(view: Callable) -> Callable:
    """Declare a view open to everyone (sign-in, set-up)."""
    setattr(view, REQUIREMENT, PUBLIC)
    return view


def requirement_of(app: Flask, endpoint: str) -> str | None:
    """The declared requirement of an endpoint, or None when it declares none (and is therefore refused)."""
    if endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC
    return getattr(app.view_functions.get(endpoint), REQUIREMENT, None)


class WebUser(UserMixin):
    """The signed-in user of a request, built from the database on every request."""

    def __init__(self, record: UserRecord):
        self.record = record
        self.username = record.username
        self.role = record.role

    def get_id(self) -> str:
        # the password's version is part of the id, so a new password ends every older session
        return f"{self.record.id}.{self.record.session_version}"

    @property
    def is_active(self) -> bool:
        return self.record.active

    def can(self, permission: str) -> bool:
        return users.can(self.role, permission)


def _load_user(user_id: str) -> WebUser | None:
    number, _, version = user_id.partition(".")
    if not number.isdigit():
        return None
    with db() as session:
        record = users.get_user(session, int(number))
    if record is None or not record.active or record.session_version != version:
        return None
    return WebUser(record)


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site (no scheme, no host), else None: no open redirects."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def install(app: Flask, idle_minutes: int) -> None:
    """Sign-in, idle timeout, default-deny permission checks and security headers for `app`."""
    login_manager = LoginManager(app)
    login_manager.user_loader(_load_user)
    login_manager.session_protection = "basic"

    @app.before_request
    def end_idle_session():
        if request.endpoint in PUBLIC_ENDPOINTS or requirement_of(app, request.endpoint or "") == TOKEN:
            return None  # an asset neither counts as activity nor sets a cookie; the API never reads the session
        if not current_user.is_authenticated:
            return None
        now = int(time.time())
        seen = session.get(SEEN_KEY)
        if not isinstance(seen, int) or now - seen > idle_minutes * 60:
            logout_user()
            session.clear()
            flash(f"Sesi berakhir karena tidak ada kegiatan selama {idle_minutes} menit. Silakan masuk lagi.",
                  "info")
            return None
        session[SEEN_KEY] = now
        return None

    @app.before_request
    def check_permission():
        if request.endpoint is None:
            return None  # no such route: 404 (or 405) follows
        requirement = requirement_of(app, request.endpoint)
        if requirement is None:
            app.logger.error("endpoint %s declares no permission: refused", request.endpoint)
            abort(403)
        if requirement == PUBLIC:
            return None
        if requirement == TOKEN:
            return _check_token(getattr(app.view_functions[request.endpoint], TOKEN_PERMISSION))
        if not current_user.is_authenticated:
            login = url_for("auth.login", next=request.full_path.rstrip("?"))
            if request.headers.get("HX-Request"):
                return "", 401, {"HX-Redirect": login}
            return redirect(login)
        if not current_user.can(requirement):
            abort(403)
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.endpoint not in PUBLIC_ENDPOINTS:
            response.headers["Cache-Control"] = "no-store"  # shared office PCs: no pages left in the cache
        return response
