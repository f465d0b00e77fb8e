"""Admin pages: news sources (health, add by site address, enable/disable), users (add, role, disable,
password, digest subscription) and the audit log. Views parse forms and call the service layer."""
from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from monitor.service import audit, feeds, tokens, users
from monitor.service.paging import PageRequest
from monitor.service.users import AUDIT_READ, SOURCES_MANAGE, SUBSCRIPTIONS_MANAGE, USERS_MANAGE, UserError
from monitor.web.context import actor, client_address, db, engine, settings
from monitor.web.forms import (
    ActionForm,
    AddSourceForm,
    AddUserForm,
    PasswordForm,
    RoleForm,
    SubscriptionForm,
    attach_error,
    choices,
    text,
)
from monitor.web.security import requires

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PAGE_SIZE = 50
MAX_AUDIT_PAGE = 100_000  # a larger page number would only overflow the SQL offset


def _regions() -> dict[str, str]:
    """Region code -> label: the province, then each kabupaten/kota."""
    kabupaten = users.subscription_choices().kabupaten
    return {"62": "Provinsi Kalimantan Tengah (62)", **{code: f"{name} ({code})" for code, name in kabupaten.items()}}


@bp.get("/")
@requires(SOURCES_MANAGE)
def index():
    """The admin area opens on the sources."""
    return redirect(url_for("admin.sources"))


# --------------------------------------------------------------------------- sources


def _sources_page(form: AddSourceForm, status: int = 200):
    with db() as session:
        rows = feeds.feed_health(session)
    return render_template("admin/sources.html", admin_section="sources", rows=rows, form=form,
                           action=ActionForm(formdata=None), region_names=_regions()), status


@bp.get("/sumber")
@requires(SOURCES_MANAGE)
def sources():
    """Every source with its health, and the form to add one."""
    form = AddSourceForm(formdata=None)
    form.region.choices = choices(_regions().items())
    return _sources_page(form)


@bp.post("/sumber")
@requires(SOURCES_MANAGE)
def add_source():
    """Add a source by site or feed address (discovery, test, validated feeds.yaml)."""
    form = AddSourceForm()
    form.region.choices = choices(_regions().items())
    if not form.validate():
        return _sources_page(form, 400)
    result = feeds.add_feed(engine(), settings(), text(form.url), feed_id=form.feed_id.data, region=form.region.data,
                            actor=actor(), address=client_address())
    if not result.ok:
        attach_error(form, UserError(result.message, result.field))
        return _sources_page(form, 400)
    flash(result.message, "ok")
    return redirect(url_for("admin.sources"))


def _set_source(feed_id: str, enabled: bool):
    form = ActionForm()
    if not form.validate():
        abort(400)
    result = feeds.set_feed_enabled(engine(), settings(), feed_id, enabled, actor=actor(), address=client_address())
    if request.headers.get("HX-Request"):
        with db() as session:
            row = next((r for r in feeds.feed_health(session) if r.id == feed_id), None)
        if row is None:
            abort(404)
        return render_template("admin/_source_row.html", row=row, action=ActionForm(formdata=None),
                               region_names=_regions(), message=result.message, ok=result.ok)
    flash(result.message, "ok" if result.ok else "error")
    return redirect(url_for("admin.sources"))


@bp.post("/sumber/<feed_id>/aktifkan")
@requires(SOURCES_MANAGE)
def enable_source(feed_id: str):
    """Enable a source (clears the reason it was disabled)."""
    return _set_source(feed_id, True)


@bp.post("/sumber/<feed_id>/nonaktifkan")
@requires(SOURCES_MANAGE)
def disable_source(feed_id: str):
    """Disable a source."""
    return _set_source(feed_id, False)


# --------------------------------------------------------------------------- users


def _users_page(form: AddUserForm, status: int = 200):
    with db() as session:
        rows = users.list_users(session)
    return render_template("admin/users.html", admin_section="users", rows=rows, form=form,
                           permissions=users.PERMISSIONS, permission_names=users.PERMISSION_NAMES,
                           region_names=_regions()), status


@bp.get("/pengguna")
@requires(USERS_MANAGE)
def users_list():
    """Every user, the roles and what each may do, and the form to add a user."""
    form = AddUserForm(formdata=None)
    form.region_code.choices = choices(_regions().items())
    return _users_page(form)


@bp.post("/pengguna")
@requires(USERS_MANAGE)
def add_user():
    """Add a user."""
    form = AddUserForm()
    form.region_code.choices = choices(_regions().items())
    if form.validate():
        try:
            with db() as session:
                record = users.create_user(
                    session, actor(), text(form.username), text(form.password), form.role.data,
                    display_name=text(form.display_name), email=text(form.email), region_code=form.region_code.data,
                    address=client_address(), limits=settings().web)
        except UserError as exc:
            attach_error(form, exc)
        else:
            flash(f"Pengguna {record.username} ditambahkan sebagai {record.role_name}.", "ok")
            return redirect(url_for("admin.user_detail", username=record.username))
    return _users_page(form, 400)


def _subscription_form(record: users.SubscriptionRecord | None = None) -> SubscriptionForm:
    """The subscription form as submitted, or filled from `record`."""
    options = users.subscription_choices()
    if record is None:
        form = SubscriptionForm()
    else:
        form = SubscriptionForm(formdata=None, enabled=record.enabled, kabupaten=record.kabupaten,
                                categories=record.categories)
    form.kabupaten.choices = choices(options.kabupaten.items())
    form.categories.choices = choices(options.categories.items())
    return form


def _user_page(username: str, status: int = 200, **forms):
    with db() as session:
        record = users.find_user(session, username)
        if record is None:
            abort(404)
        subscription = users.subscription(session, username)
        token_rows = tokens.list_tokens(session, username)
    forms.setdefault("role_form", RoleForm(formdata=None, role=record.role))
    forms.setdefault("password_form", PasswordForm(formdata=None))
    forms.setdefault("subscription_form", _subscription_form(subscription))
    forms.setdefault("action_form", ActionForm(formdata=None))
    return render_template("admin/user.html", admin_section="users", user=record, subscription=subscription,
                           region_names=_regions(), token_rows=token_rows, **forms), status


@bp.get("/pengguna/<username>")
@requires(USERS_MANAGE)
def user_detail(username: str):
    """One user: role, password, enable/disable, digest subscription."""
    return _user_page(username)


def _change(username: str, form_name: str, form, change, done: str):
    """Validate `form`, run `change(session)`; on success flash `done`, else show the errors next to the fields."""
    if form.validate():
        try:
            with db() as session:
                if users.find_user(session, username) is None:
                    abort(404)
                change(session)
        except UserError as exc:
            attach_error(form, exc)
        else:
            flash(done, "ok")
            return redirect(url_for("admin.user_detail", username=username))
    return _user_page(username, 400, **{form_name: form})


@bp.post("/pengguna/<username>/peran")
@requires(USERS_MANAGE)
def change_role(username: str):
    """Give a user another role."""
    form = RoleForm()
    return _change(username, "role_form", form,
                   lambda s: users.set_role(s, actor(), username, form.role.data, address=client_address()),
                   f"Peran {username} diubah.")


@bp.post("/pengguna/<username>/sandi")
@requires(USERS_MANAGE)
def reset_password(username: str):
    """Set a new password for a user (their open sessions end)."""
    form = PasswordForm()
    return _change(username, "password_form", form,
                   lambda s: users.set_password(s, actor(), username, text(form.password), address=client_address(),
                                                limits=settings().web),
                   f"Kata sandi {username} diganti; sesi lamanya berakhir.")


@bp.post("/pengguna/<username>/nonaktifkan")
@requires(USERS_MANAGE)
def disable_user(username: str):
    """Disable an account (it can no longer sign in; its sessions end)."""
    form = ActionForm()
    return _change(username, "action_form", form,
                   lambda s: users.set_active(s, actor(), username, False, address=client_address()),
                   f"Akun {username} dinonaktifkan.")


@bp.post("/pengguna/<username>/aktifkan")
@requires(USERS_MANAGE)
def enable_user(username: str):
    """Enable an account again."""
    form = ActionForm()
    return _change(username, "action_form", form,
                   lambda s: users.set_active(s, actor(), username, True, address=client_address()),
                   f"Akun {username} aktif lagi.")


@bp.post("/pengguna/<username>/token/<id:token_id>/cabut")
@requires(USERS_MANAGE)
def revoke_token(username: str, token_id: int):
    """Revoke one of a user's API tokens (e.g. one that leaked); it stops working at once."""
    form = ActionForm()
    return _change(username, "action_form", form,
                   lambda s: tokens.revoke_token(s, actor(), token_id, owner=username, address=client_address()),
                   f"Token API {username} dicabut.")


@bp.post("/pengguna/<username>/langganan")
@requires(SUBSCRIPTIONS_MANAGE)
def change_subscription(username: str):
    """Set which kabupaten and categories a user's daily digest covers."""
    form = _subscription_form()
    return _change(username, "subscription_form", form,
                   lambda s: users.set_subscription(s, actor(), username, form.kabupaten.data or [],
                                                    form.categories.data or [], form.enabled.data,
                                                    address=client_address()),
                   f"Langganan ringkasan {username} disimpan.")


# --------------------------------------------------------------------------- audit log


@bp.get("/audit")
@requires(AUDIT_READ)
def audit_log():
    """Who changed what, newest first, 50 a page."""
    number = min(request.args.get("halaman", 1, type=int), MAX_AUDIT_PAGE)
    target = (request.args.get("sasaran") or "").strip()[:120] or None
    with db() as session:
        page = audit.entries(session, PageRequest(number, AUDIT_PAGE_SIZE), target)
    details = [json.dumps(entry.details, ensure_ascii=False, sort_keys=True) if entry.details else ""
               for entry in page.items]
    return render_template("admin/audit.html", admin_section="audit", page=page, details=details, target=target or "")
