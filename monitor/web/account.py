"""The signed-in user's own account: Token API, where each user creates and revokes their tokens for the JSON
API (a token is shown once, on the page that creates it; scope at most the user's role; audited)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from monitor.service import tokens, users
from monitor.service.users import READ, UserError
from monitor.web.context import actor, client_address, db
from monitor.web.forms import ActionForm, TokenForm, attach_error, choices, text
from monitor.web.security import requires

bp = Blueprint("account", __name__, url_prefix="/akun")


def _token_form(formdata=True) -> TokenForm:
    form = TokenForm() if formdata else TokenForm(formdata=None, role=current_user.role)
    form.role.choices = choices((role, users.ROLE_NAMES[role]) for role in tokens.scopes_for(current_user.role))
    return form


def _page(form: TokenForm, created: tokens.NewToken | None = None, status: int = 200):
    with db() as session:
        rows = tokens.list_tokens(session, current_user.username)
    return render_template("account_tokens.html", rows=rows, form=form, created=created,
                           action=ActionForm(formdata=None)), status


@bp.get("/token")
@requires(READ)
def token_list():
    """The user's API tokens and the form to create one."""
    return _page(_token_form(formdata=False))


@bp.post("/token")
@requires(READ)
def create_token():
    """Create a token and show it once. The page itself carries it (never a flash message: those travel in the
    signed but readable session cookie); responses are not cached (Cache-Control: no-store)."""
    form = _token_form()
    if form.validate():
        try:
            with db() as session:
                created = tokens.create_token(session, actor(), current_user.username, text(form.name),
                                              form.role.data, address=client_address())
        except UserError as exc:
            attach_error(form, exc)
        else:
            return _page(_token_form(formdata=False), created, 201)
    return _page(form, status=400)


@bp.post("/token/<id:token_id>/cabut")
@requires(READ)
def revoke_token(token_id: int):
    """Revoke one of the user's own tokens; it stops working at once."""
    if not ActionForm().validate():
        abort(400)
    try:
        with db() as session:
            record = tokens.revoke_token(session, actor(), token_id, owner=current_user.username,
                                         address=client_address())
    except UserError:
        abort(404)
    flash(f"Token '{record.name}' dicabut; token itu tidak berlaku lagi.", "ok")
    return redirect(url_for("account.token_list"))
