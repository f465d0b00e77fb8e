"""Sign in, sign out, and the one-time set-up link that creates the first admin."""
from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from monitor.service import users
from monitor.service.users import UserError
from monitor.web.context import client_address, db, from_this_computer, settings
from monitor.web.forms import LoginForm, SetupForm, attach_error, text
from monitor.web.security import SEEN_KEY, WebUser, public, safe_next

bp = Blueprint("auth", __name__)


def _start_session(record: users.UserRecord) -> None:
    session.clear()  # a fresh session on every sign-in: no fixation
    login_user(WebUser(record))
    session.permanent = True
    session[SEEN_KEY] = int(time.time())


@bp.route("/masuk", methods=["GET", "POST"])
@public
def login():
    """The sign-in page."""
    target = safe_next(request.args.get("next")) or url_for("dashboard.index")
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    error, status = "", 200
    if form.validate_on_submit():
        with db() as session_:
            result = users.authenticate(session_, text(form.username), text(form.password), client_address(),
                                        limits=settings().web)
        if result.ok and result.user is not None:
            _start_session(result.user)
            return redirect(target)
        error, status = result.message, (429 if result.retry_after else 401)
    elif form.is_submitted():
        status = 400
    return render_template("login.html", form=form, error=error), status


@bp.post("/keluar")
@public
def logout():
    """Sign out (a POST with the CSRF token, so another site cannot sign a user out)."""
    logout_user()
    session.clear()
    flash("Anda sudah keluar.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
@public
def setup(token: str):
    """Create the first admin with the one-time link printed on the console; only from this computer."""
    if not from_this_computer():
        return render_template("error.html", code=403, title="Hanya dari komputer ini",
                               text="Tautan penyiapan hanya dapat dibuka di komputer yang menjalankan Waspada "
                                    "(alamat 127.0.0.1)."), 403
    with db() as session_:
        usable = users.setup_token_usable(session_, token)
    if not usable:
        return render_template("error.html", code=404, title="Tautan penyiapan tidak berlaku",
                               text="Tautan ini sudah dipakai, kedaluwarsa, atau sudah ada pengguna. Bila belum ada "
                                    "pengguna, jalankan Waspada lagi untuk mendapat tautan baru."), 404
    form = SetupForm()
    if form.validate_on_submit():
        try:
            with db() as session_:
                record = users.create_first_admin(
                    session_, token, text(form.username), text(form.password), display_name=text(form.display_name),
                    email=text(form.email), address=client_address(), limits=settings().web)
        except UserError as exc:
            attach_error(form, exc)
        else:
            _start_session(record)
            flash(f"Admin {record.username} dibuat. Tambahkan pengguna lain di halaman ini.", "ok")
            return redirect(url_for("admin.users_list"))
    return render_template("setup.html", form=form), (400 if form.errors else 200)

