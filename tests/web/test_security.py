"""The web app's doors: every route declares who may use it (default deny), roles, CSRF on every form,
security headers and cookies, idle sessions, sign-in and its throttling, the one-time set-up link."""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from flask import Blueprint
from sqlalchemy import func, select, update

from monitor.db.models import AuditEntry, LoginFailure, SetupToken, User
from monitor.db.session import session_scope
from monitor.service import reports, users
from monitor.web import create_app
from monitor.web.security import PUBLIC, TOKEN, requirement_of
from tests.monitor.helpers import add_feed
from tests.web.conftest import ROLE_USERS, SECRET_KEY, USER_PASSWORD, csrf_token_of, with_web

# every page a signed-in user can GET (on the demo database), and the lowest role that may open it
PAGES = {
    "/": "staff", "/peringatan": "staff", "/peringatan/1": "staff", "/rencana": "staff", "/rencana/ekspor": "staff",
    "/ringkasan": "staff", "/laporan": "staff", "/laporan/1": "staff", "/laporan/1/unduh/xlsx": "staff",
    "/akun/token": "staff",
    "/admin/": "admin", "/admin/sumber": "admin", "/admin/pengguna": "admin", "/admin/pengguna/staf": "admin",
    "/admin/audit": "admin",
    "/pelabelan": "analyst", "/model": "analyst", "/model/tugas/1": "analyst", "/model/cat-contoh": "analyst",
}
NOT_IN_DEMO = {"/model/tugas/1", "/model/cat-contoh"}  # no job or model in the demo: 404 once past the permission
# sample values of route parameters: the paths above and the POST routes use them
SAMPLES = {"feed_id": "contoh", "username": "staf", "token": "tidak-ada", "alert_id": "1", "report_id": "1",
           "action_id": "1", "fmt": "xlsx", "cluster_id": "1", "job_id": "1", "version": "cat-contoh", "token_id": "1",
           "plan_id": "1"}
ORDER = ("staff", "operator", "analyst", "admin")


def test_every_route_declares_who_may_use_it(app):
    undeclared = [rule.rule for rule in app.url_map.iter_rules() if requirement_of(app, rule.endpoint) is None]
    assert undeclared == []
    public = sorted(rule.rule for rule in app.url_map.iter_rules() if requirement_of(app, rule.endpoint) == PUBLIC)
    assert public == ["/keluar", "/masuk", "/setup/<token>", "/static/<path:filename>"]
    # the pages of PAGES are all the GET pages with a permission (a new page must be added to the table)
    declared = {_sample_path(rule.rule) for rule in app.url_map.iter_rules()
                if "GET" in rule.methods and requirement_of(app, rule.endpoint) not in (PUBLIC, TOKEN)}
    assert declared == set(PAGES)
    # the JSON API, and only the API, is authenticated by tokens (tests/web/test_api.py)
    token_routes = {rule.rule for rule in app.url_map.iter_rules() if requirement_of(app, rule.endpoint) == TOKEN}
    assert token_routes == {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    assert len(token_routes) == 10


def test_a_route_without_a_declared_permission_is_refused_even_to_an_admin(web_engine, web_settings, login):
    app = create_app(web_engine, web_settings, SECRET_KEY)
    forgotten = Blueprint("lupa", __name__)
    forgotten.add_url_rule("/lupa", "page", lambda: "rahasia")
    app.register_blueprint(forgotten)
    client = app.test_client()
    assert client.get("/lupa").status_code == 403  # anonymous
    login(client, "admin")
    response = client.get("/lupa")
    assert response.status_code == 403 and "rahasia" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", sorted(PAGES))
def test_anonymous_visitors_are_sent_to_the_sign_in_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/masuk?next=")


def test_a_number_beyond_any_row_id_is_not_found(demo_app, demo_login):
    client = demo_app.test_client()
    demo_login(client, "admin")
    token = csrf_token_of(client, "/")
    for number in ("0", "2147483648", "99999999999999999999999"):
        assert client.get(f"/peringatan/{number}").status_code == 404
        assert client.post(f"/peringatan/{number}/status", data={"csrf_token": token, "status": "ditinjau"}
                           ).status_code == 404


def test_an_htmx_request_of_an_anonymous_visitor_gets_401_with_a_redirect(client):
    response = client.get("/peringatan", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/masuk")


@pytest.mark.parametrize("role", ORDER)
def test_each_role_reaches_exactly_its_pages(demo_app, demo_engine, demo_login, role):
    with session_scope(demo_engine) as session:  # report 1 of PAGES
        assert reports.create_report(session, "62.02", 2026, "B12", "operator") == 1
    client = demo_app.test_client()
    demo_login(client, ROLE_USERS[role])
    for path, lowest in PAGES.items():
        allowed = ORDER.index(role) >= ORDER.index(lowest)
        status = client.get(path).status_code
        expected = ((404,) if path in NOT_IN_DEMO else (200, 302)) if allowed else (403,)
        assert status in expected, f"{role} {path}: {status}"
    navigation = client.get("/").get_data(as_text=True)
    for label in ("Dasbor", "Peringatan", "Rencana RAD-PKS", "Laporan", "Ringkasan Harian"):
        assert f">{label}</a>" in navigation
    assert (">Admin</a>" in navigation) == (role == "admin")


def _sample_path(rule: str) -> str:
    """A route with sample values for its parameters."""
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLES[m.group(1)], rule)


def _posts(app) -> list[str]:
    """Every POST route, with sample values for its parameters."""
    return sorted(_sample_path(rule.rule) for rule in app.url_map.iter_rules() if "POST" in rule.methods)


def test_staff_cannot_use_any_admin_action(app, login, web_engine, web_settings):
    add_feed(web_engine, "contoh", "https://contoh.example.id/rss")
    with session_scope(web_engine) as session:
        entries = session.scalar(select(func.count()).select_from(AuditEntry))
    client = app.test_client()
    login(client, "staf")
    token = csrf_token_of(client, "/")
    for path in [p for p in _posts(app) if p.startswith("/admin")]:
        assert client.post(path, data={"csrf_token": token, "role": "admin", "password": "x" * 20,
                                       "password_again": "x" * 20}).status_code == 403, path
    with session_scope(web_engine) as session:
        assert session.scalar(select(User.role).where(User.username == "staf")) == "staff"
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == entries  # nothing changed


def test_every_form_refuses_a_missing_or_wrong_csrf_token(app, login):
    client = app.test_client()
    login(client, "admin")
    good = csrf_token_of(client, "/admin/sumber")
    posts = _posts(app)
    assert len(posts) >= 10
    for path in posts:
        for token in (None, "salah", good[:-4] + "AAAA"):
            data = {"username": "admin", "password": USER_PASSWORD}
            if token is not None:
                data["csrf_token"] = token
            response = client.post(path, data=data)
            assert response.status_code == 400, (path, token, response.status_code)
            assert "token keamanan" in response.get_data(as_text=True)


def test_a_token_of_another_session_is_refused(app, login):
    other = app.test_client()
    foreign = csrf_token_of(other, "/masuk")
    client = app.test_client()
    login(client, "admin")
    assert client.post("/admin/pengguna/staf/nonaktifkan", data={"csrf_token": foreign}).status_code == 400


def test_htmx_requests_carry_the_token_in_a_header(app, login, web_engine):
    add_feed(web_engine, "contoh", "https://contoh.example.id/rss")
    client = app.test_client()
    login(client, "admin")
    page = client.get("/admin/sumber").get_data(as_text=True)
    header = re.search(r"hx-headers:inherited='(\{[^']+\})'", page).group(1)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', header).group(1)
    assert client.post("/admin/sumber/contoh/nonaktifkan", headers={"HX-Request": "true"}).status_code == 400
    response = client.post("/admin/sumber/contoh/nonaktifkan", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200
    row = response.get_data(as_text=True)
    assert row.lstrip().startswith('<tr id="sumber-contoh"') and "Aktifkan" in row and "dinonaktifkan" in row


def test_security_headers_and_session_cookie(client, login):
    page = client.get("/masuk")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Cache-Control"] == "no-store"
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    asset = client.get("/static/htmx.min.js")
    assert asset.status_code == 200 and asset.headers["X-Content-Type-Options"] == "nosniff"
    # no page loads anything from elsewhere
    body = page.get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', body)


def test_secure_cookies_when_served_over_https(web_engine, web_settings):
    app = create_app(web_engine, with_web(web_settings, secure_cookies=True), SECRET_KEY)
    cookie = app.test_client().get("/masuk", base_url="https://waspada.example").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_an_idle_session_must_sign_in_again(web_engine, web_settings, login):
    app = create_app(web_engine, with_web(web_settings, idle_minutes=30), SECRET_KEY)
    client = app.test_client()
    login(client, "staf")
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 29 * 60  # used 29 minutes ago: still signed in
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 31 * 60
    response = client.get("/peringatan")
    assert response.status_code == 302 and response.headers["Location"].startswith("/masuk")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sesi berakhir karena tidak ada kegiatan selama 30 menit" in page
    assert client.get("/").status_code == 302  # the old session is gone for good


def test_assets_set_no_cookie_and_do_not_count_as_activity(client, login):
    login(client, "staf")
    asset = client.get("/static/app.css")
    assert asset.status_code == 200 and "Set-Cookie" not in asset.headers and "no-store" not in asset.headers.get(
        "Cache-Control", "")


def _sign_in(client, username: str, password: str, next_path: str | None = None):
    token = csrf_token_of(client, "/masuk")
    path = "/masuk" + (f"?next={next_path}" if next_path else "")
    return client.post(path, data={"csrf_token": token, "username": username, "password": password})


def test_sign_in_and_out(client, web_engine):
    wrong = _sign_in(client, "operator", "bukan-sandinya")
    assert wrong.status_code == 401 and "Nama pengguna atau kata sandi salah." in wrong.get_data(as_text=True)
    response = _sign_in(client, "Operator ", USER_PASSWORD, next_path="/rencana")
    assert response.status_code == 302 and response.headers["Location"] == "/rencana"
    assert client.get("/rencana").status_code == 200
    assert client.get("/keluar").status_code == 405  # signing out is a POST with the token
    token = csrf_token_of(client, "/")
    assert client.post("/keluar", data={"csrf_token": token}).status_code == 302
    assert client.get("/rencana").status_code == 302
    with session_scope(web_engine) as session:
        assert session.scalar(select(User.last_login_at).where(User.username == "operator")) is not None
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "user.login")) == 1


@pytest.mark.parametrize("target", ["https://jahat.example/", "//jahat.example/", "/\\jahat.example", "javascript:alert(1)"])
def test_sign_in_never_redirects_to_another_site(client, target):
    response = _sign_in(client, "staf", USER_PASSWORD, next_path=target)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_new_password_ends_the_old_sessions(app, login, web_engine):
    client = app.test_client()
    login(client, "analis")
    assert client.get("/").status_code == 200
    with session_scope(web_engine) as session:
        users.set_password(session, "admin", "analis", "sandi-baru-yang-panjang")
    assert client.get("/").status_code == 302


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(app, login, web_engine):
    client = app.test_client()
    login(client, "operator")
    with session_scope(web_engine) as session:
        users.set_active(session, "admin", "operator", False)
    assert client.get("/").status_code == 302
    refused = _sign_in(client, "operator", USER_PASSWORD)
    assert refused.status_code == 401 and "dinonaktifkan" in refused.get_data(as_text=True)


def test_sign_in_is_throttled_per_username_across_app_instances(web_engine, web_settings):
    first = create_app(web_engine, web_settings, SECRET_KEY).test_client()
    for _ in range(5):
        assert _sign_in(first, "admin", "tebakan-salah").status_code == 401
    # another process (another app over the same database) refuses too, even the right password
    second = create_app(web_engine, web_settings, SECRET_KEY).test_client()
    refused = _sign_in(second, "admin", USER_PASSWORD)
    assert refused.status_code == 429
    assert re.search(r"Terlalu banyak percobaan masuk yang gagal\. Coba lagi setelah pukul \d\d:\d\d WIB\.",
                     refused.get_data(as_text=True))
    assert _sign_in(second.application.test_client(), "staf", USER_PASSWORD).status_code == 302  # others still can
    with session_scope(web_engine) as session:  # the window passes
        session.execute(update(LoginFailure).values(at=datetime.now(timezone.utc) - timedelta(minutes=16)))
    assert _sign_in(second, "admin", USER_PASSWORD).status_code == 302


def test_sign_in_is_throttled_per_client_address(client, web_engine):
    for number in range(20):
        assert _sign_in(client, f"tebak{number}", "salah-salah").status_code == 401
    assert _sign_in(client, "staf", USER_PASSWORD).status_code == 429
    other = client.application.test_client()
    token = csrf_token_of(other, "/masuk")
    response = other.post("/masuk", data={"csrf_token": token, "username": "staf", "password": USER_PASSWORD},
                          environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 302


def test_a_malformed_sign_in_form_is_a_400_not_a_crash(client):
    token = csrf_token_of(client, "/masuk")
    for data in ({"csrf_token": token}, {"csrf_token": token, "username": "x" * 5000, "password": "y"},
                 {"csrf_token": token, "username": ["a", "b"], "password": "\x00"}):
        assert client.post("/masuk", data=data).status_code in (400, 401)
    raw = f"csrf_token={token}&username=%FF%FE&password=%C3%28%00".encode()  # not UTF-8
    response = client.post("/masuk", data=raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (400, 401)
    huge = client.post("/masuk", data={"csrf_token": token, "username": "a", "password": "b" * (2 * 1024 * 1024)})
    assert huge.status_code == 413


# --------------------------------------------------------------------------- the set-up link


@pytest.fixture
def empty_app(tmp_path, web_settings):
    """The app over a database without any user."""
    from monitor.db.session import open_database

    engine = open_database(f"sqlite:///{tmp_path / 'leer.db'}")
    yield create_app(engine, web_settings, SECRET_KEY), engine
    engine.dispose()


def _setup_form(client, path: str, **environ):
    page = client.get(path, environ_base=environ)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    return page, token.group(1) if token else None


def test_the_set_up_link_creates_the_first_admin_from_this_computer_only_once(empty_app):
    app, engine = empty_app
    with session_scope(engine) as session:
        token = users.create_setup_token(session)
    path = f"/setup/{token}"
    client = app.test_client()
    assert client.get(path, environ_base={"REMOTE_ADDR": "192.168.1.20"}).status_code == 403
    assert client.get(path, headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403  # through a proxy
    assert client.get("/setup/tebakan").status_code == 404
    page, csrf = _setup_form(client, path)
    assert page.status_code == 200 and "Penyiapan admin pertama" in page.get_data(as_text=True)
    short = client.post(path, data={"csrf_token": csrf, "username": "kepala", "password": "pendek",
                                    "password_again": "pendek"})
    assert short.status_code == 400 and "Kata sandi minimal 10 karakter." in short.get_data(as_text=True)
    done = client.post(path, data={"csrf_token": csrf, "username": "kepala", "display_name": "Kepala Bidang",
                                   "password": "sandi-admin-pertama", "password_again": "sandi-admin-pertama"})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/pengguna"
    assert client.get("/admin/pengguna").status_code == 200  # signed in as the new admin
    with session_scope(engine) as session:
        assert [(u.username, u.role) for u in users.list_users(session)] == [("kepala", "admin")]
        assert session.scalar(select(SetupToken.used_at)) is not None
    again = app.test_client()
    assert again.get(path).status_code == 404
    assert again.post(path, data={"csrf_token": csrf_token_of(again), "username": "kedua",
                                  "password": "sandi-admin-kedua", "password_again": "sandi-admin-kedua"}).status_code == 404
    with session_scope(engine) as session:
        assert users.count_users(session) == 1


def test_the_set_up_link_expires(empty_app):
    app, engine = empty_app
    with session_scope(engine) as session:
        token = users.create_setup_token(session, now=datetime.now(timezone.utc) - timedelta(minutes=61))
    assert app.test_client().get(f"/setup/{token}").status_code == 404


def test_through_the_real_server_a_relayed_request_cannot_open_the_set_up_page(live_server):
    import httpx

    assert httpx.get(f"{live_server}/setup/tebakan").status_code == 404  # straight from 127.0.0.1: token checked
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        relayed = httpx.get(f"{live_server}/setup/tebakan", headers={header: "for=203.0.113.9"})
        assert relayed.status_code == 403, header
