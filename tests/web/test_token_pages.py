"""The Token API pages: each user creates tokens (shown once, scope at most their role, CSRF, audited) and revokes
their own; an admin revokes any user's; `waspada users token ...`; and the whole round in a real browser."""
from __future__ import annotations

import html
import re

import httpx
from sqlalchemy import select
from typer.testing import CliRunner

import monitor.web.cli
from monitor.cli import app as cli_app
from monitor.db.models import ApiToken, AuditEntry
from monitor.db.session import session_scope
from monitor.service import tokens
from monitor.terminal import PlainConsole
from tests.web.conftest import USER_PASSWORD, csrf_token_of, save_screenshot

TOKEN_PATTERN = re.compile(r'<code class="secret" id="token-baru">(wsp_[A-Za-z0-9_-]{43})</code>')


def _client(app, login, username: str):
    client = app.test_client()
    login(client, username)
    client.token = csrf_token_of(client, "/akun/token")
    return client


def _create(client, name: str, role: str):
    return client.post("/akun/token", data={"csrf_token": client.token, "name": name, "role": role})


def _api(app, token: str, path: str = "/api/v1/alerts"):
    return app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})


def test_a_user_creates_a_token_that_is_shown_once_and_works(app, login, web_engine):
    client = _client(app, login, "operator")
    page = client.get("/akun/token").get_data(as_text=True)
    offered = re.findall(r'<option[^>]*value="(\w+)"', page)
    assert offered == ["staff", "operator"]  # never above the user's role
    created = _create(client, "  Dasbor   BPBD <b> ", "staff")
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    body = created.get_data(as_text=True)
    token = TOKEN_PATTERN.search(body).group(1)
    assert "Dasbor BPBD &lt;b&gt;" in body and "<b>" not in body.split("Token baru")[1].split("</h2>")[0]
    assert "Set-Cookie" not in created.headers or token not in created.headers["Set-Cookie"]
    assert _api(app, token).status_code == 200
    again = client.get("/akun/token").get_data(as_text=True)
    assert token not in again and token[:12] + "…" in html.unescape(again)  # listed by its first characters only
    with session_scope(web_engine) as session:
        stored = session.scalars(select(ApiToken)).one()
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "token.create")).one()
    assert (stored.role, stored.name, stored.created_by) == ("staff", "Dasbor BPBD <b>", "operator")
    assert audit.actor == "operator" and token not in str(audit.details) and audit.address


def test_the_form_refuses_a_scope_above_the_role_an_empty_name_and_a_missing_csrf_token(app, login, web_engine):
    client = _client(app, login, "staf")
    for data in ({"name": "x", "role": "admin"}, {"name": "x", "role": "operator"}, {"name": "   ", "role": "staff"},
                 {"name": "x" * 101, "role": "staff"}):
        response = _create(client, **data)
        assert response.status_code == 400 and not TOKEN_PATTERN.search(response.get_data(as_text=True)), data
    refused = client.post("/akun/token", data={"name": "x", "role": "staff"})
    assert refused.status_code == 400 and "token keamanan" in refused.get_data(as_text=True)
    with session_scope(web_engine) as session:
        assert session.scalars(select(ApiToken)).all() == []


def test_a_user_revokes_their_own_tokens_but_not_anyone_elses(app, login, web_engine):
    with session_scope(web_engine) as session:
        mine = tokens.create_token(session, "uji", "analis", "punya analis")
        theirs = tokens.create_token(session, "uji", "operator", "punya operator")
    client = _client(app, login, "analis")
    page = client.get("/akun/token").get_data(as_text=True)
    assert "punya analis" in page and "punya operator" not in page
    assert client.post(f"/akun/token/{theirs.record.id}/cabut", data={"csrf_token": client.token}).status_code == 404
    assert _api(app, theirs.token).status_code == 200
    done = client.post(f"/akun/token/{mine.record.id}/cabut", data={"csrf_token": client.token}, follow_redirects=True)
    assert done.status_code == 200 and "dicabut" in done.get_data(as_text=True)
    assert _api(app, mine.token).status_code == 401
    assert client.post(f"/akun/token/{mine.record.id}/cabut", data={"csrf_token": client.token}).status_code == 302
    with session_scope(web_engine) as session:  # revoking twice is recorded once
        assert len(session.scalars(select(AuditEntry).where(AuditEntry.action == "token.revoke")).all()) == 1


def test_an_admin_revokes_a_users_token_from_the_users_page(app, login, web_engine):
    with session_scope(web_engine) as session:
        leaked = tokens.create_token(session, "uji", "staf", "bocor")
    staff = _client(app, login, "staf")
    assert staff.post(f"/admin/pengguna/staf/token/{leaked.record.id}/cabut",
                      data={"csrf_token": staff.token}).status_code == 403
    admin = _client(app, login, "admin")
    page = admin.get("/admin/pengguna/staf").get_data(as_text=True)
    assert "bocor" in page and leaked.token not in page
    assert admin.post(f"/admin/pengguna/operator/token/{leaked.record.id}/cabut",  # not that user's token
                      data={"csrf_token": admin.token}).status_code == 400
    assert _api(app, leaked.token).status_code == 200
    assert admin.post(f"/admin/pengguna/staf/token/{leaked.record.id}/cabut",
                      data={"csrf_token": admin.token}).status_code == 302
    assert _api(app, leaked.token).status_code == 401
    with session_scope(web_engine) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "token.revoke")).one()
    assert (entry.actor, entry.target) == ("admin", "user:staf")


def test_the_token_commands(web_engine, monkeypatch):
    monkeypatch.setattr(monitor.web.cli, "console", PlainConsole(width=200, no_color=True))
    monkeypatch.setattr(monitor.web.cli, "err_console", PlainConsole(width=200, no_color=True, stderr=True))
    env = {"WASPADA_DATABASE_URL": str(web_engine.url), "COLUMNS": "200"}

    def run(*args):
        result = CliRunner().invoke(cli_app, ["users", "token", *args], env=env, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    code, out, _ = run("create", "operator", "--name", "Dasbor BPBD")
    token = out.strip().splitlines()[-1]
    assert code == 0 and re.fullmatch(r"wsp_[A-Za-z0-9_-]{43}", token)
    code, _, err = run("create", "staf", "--name", "terlalu tinggi", "--role", "admin")
    assert code == 1 and "Cakupan token" in err
    code, out, _ = run("list")
    assert code == 0 and "Dasbor BPBD" in out and "Operator" in out and token not in out
    with session_scope(web_engine) as session:
        assert tokens.authenticate_token(session, token).role == "operator"
        token_id = session.scalar(select(ApiToken.id))
    assert run("revoke", str(token_id))[0] == 0
    assert run("revoke", "999")[0] == 1
    with session_scope(web_engine) as session:
        assert tokens.authenticate_token(session, token) is None


def test_create_use_and_revoke_a_token_in_a_browser(browser_page, live_server, screenshot_dir):
    page = browser_page
    page.goto(f"{live_server}/masuk")
    page.fill("#username", "analis")
    page.fill("#password", USER_PASSWORD)
    page.click("button[type=submit]")
    page.click("header >> text=Token API")
    page.fill("#name", "Dasbor BPBD")
    page.select_option("#role", "staff")
    page.click("button:has-text('Buat token')")
    token = page.inner_text("#token-baru").strip()
    save_screenshot(page, screenshot_dir, "token-api-baru", "api")
    with httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
        assert http.get("/api/v1/alerts").status_code == 200
        assert http.get("/api/v1/audit").status_code == 403  # a staff scope, though the user is an analyst
        page.goto(f"{live_server}/akun/token")
        assert token not in page.content()
        page.click("button:has-text('Cabut')")
        page.wait_for_selector("text=dicabut")
        save_screenshot(page, screenshot_dir, "token-api-dicabut", "api")
        refused = http.get("/api/v1/alerts")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_token"
