"""The read-only JSON API: tokens (401 JSON without a valid one, revocation at once, scope never above the user's
role), cursor paging stable under inserts, parameter errors, the CSV export's formula safety, on SQLite and
PostgreSQL through Flask's test client, and once over a real waitress server with httpx."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from monitor.db.models import ApiToken, Alert, Article, AuditEntry, Feed, StoryCluster
from monitor.db.session import session_scope
from monitor.service import tokens, users
from monitor.service.alert_export import BOM, HEADERS
from monitor.service.users import UserError
from monitor.web import create_app
from tests.web.conftest import ROLE_USERS, SECRET_KEY, USER_PASSWORD, sign_in

T0 = datetime(2026, 11, 10, 2, 0, tzinfo=timezone.utc)
KOTIM, KAPUAS = "62.02", "62.03"


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def api_app(engine, web_settings):
    """The app over a fresh database on each engine (SQLite, PostgreSQL) with one user per role."""
    with session_scope(engine) as session:
        for role, username in ROLE_USERS.items():
            users.create_user(session, "uji", username, USER_PASSWORD, role)
    return create_app(engine, web_settings, SECRET_KEY)


def new_token(engine, username: str, role: str | None = None) -> str:
    with session_scope(engine) as session:
        return tokens.create_token(session, "uji", username, f"uji {role or 'penuh'}", role).token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add_alerts(engine, specs: list[tuple[str, datetime, list[str]]], with_reports: bool = False) -> list[int]:
    """Alerts (title, first seen, kabupaten), each on its own story; with one report each when asked."""
    ids = []
    with session_scope(engine) as session:
        if with_reports and session.get(Feed, "uji") is None:
            session.add(Feed(id="uji", name="Uji", url="https://uji.example.id/rss",
                             configured_url="https://uji.example.id", outlet="Kabar Uji", region="62"))
        for title, at, kabupaten in specs:
            story = StoryCluster(first_seen_at=at, last_seen_at=at)
            session.add(story)
            session.flush()
            if with_reports:
                session.add(Article(feed_id="uji", guid=f"g{story.id}", url=f"https://uji.example.id/{story.id}",
                                    canonical_url=f"https://uji.example.id/{story.id}", title=title,
                                    content_hash=f"h{story.id}", published_at=at, cluster_id=story.id))
            alert = Alert(cluster_id=story.id, title=title, search_text=title.lower(), kabupaten=kabupaten,
                          categories=["lahan"], score=0.9,
                          first_seen_at=at, last_seen_at=at)
            session.add(alert)
            session.flush()
            ids.append(alert.id)
    return ids


def error_of(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.headers["Content-Type"] == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return body["error"]


def walk(client, token: str, path: str, limit: int, between=lambda page: None) -> list[list[int]]:
    """Every page of a cursor walk (ids per page), calling `between(page_number)` after each page but the last."""
    pages, cursor = [], None
    while True:
        query = f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(f"{path}{'&' if '?' in path else '?'}{query}", headers=bearer(token))
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        between(len(pages))


# --------------------------------------------------------------------------- tokens


def test_requests_without_a_valid_token_get_401_json(api_app, engine):
    client = api_app.test_client()
    good = new_token(engine, "staf")
    missing = error_of(client.get("/api/v1/alerts"), 401)
    assert missing["code"] == "unauthorized" and "Authorization: Bearer" in missing["message"]
    for header in ({"Authorization": f"Basic {good}"}, {"Authorization": "Bearer"}, bearer(good[:-1] + "x"),
                   bearer("wsp_" + "A" * 43), bearer(good.removeprefix("wsp_")), bearer("x" * 5000)):
        response = client.get("/api/v1/alerts", headers=header)
        error = error_of(response, 401)
        assert error["code"] in ("unauthorized", "invalid_token") and response.headers["WWW-Authenticate"]
    for path in ("/api/v1/alerts", "/api/v1/alerts/1", "/api/v1/alerts.csv", "/api/v1/stories", "/api/v1/levels",
                 "/api/v1/plans", "/api/v1/plans/1", "/api/v1/audit"):
        assert error_of(client.get(path, headers=bearer("wsp_salah")), 401)["code"] == "invalid_token"
    assert client.get("/api/v1/alerts", headers=bearer(good)).status_code == 200
    with session_scope(engine) as session:  # only the sha256 is stored
        stored = session.scalars(select(ApiToken)).one()
        assert good not in (stored.token_sha256, stored.hint, stored.name) and len(stored.token_sha256) == 64
        assert stored.last_used_at is not None


def test_a_signed_in_browser_session_does_not_open_the_api_and_the_api_sets_no_cookie(api_app, engine):
    client = api_app.test_client()
    sign_in(client, engine, "admin")
    assert client.get("/").status_code == 200  # the session works for pages
    error_of(client.get("/api/v1/alerts"), 401)
    response = client.get("/api/v1/alerts", headers=bearer(new_token(engine, "admin")))
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_revocation_takes_effect_at_once(api_app, engine):
    client = api_app.test_client()
    token = new_token(engine, "operator")
    other = new_token(engine, "operator")
    assert client.get("/api/v1/alerts", headers=bearer(token)).status_code == 200
    with session_scope(engine) as session:
        token_id = session.scalar(select(ApiToken.id).order_by(ApiToken.id))
        tokens.revoke_token(session, "operator", token_id, owner="operator")
    assert error_of(client.get("/api/v1/alerts", headers=bearer(token)), 401)["code"] == "invalid_token"
    assert client.get("/api/v1/alerts", headers=bearer(other)).status_code == 200  # only that token
    with session_scope(engine) as session:
        users.set_active(session, "admin", "operator", False)  # a deactivated user's tokens stop too
    error_of(client.get("/api/v1/alerts", headers=bearer(other)), 401)
    with session_scope(engine) as session:
        users.set_active(session, "admin", "operator", True)
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("token.%"))))
    assert client.get("/api/v1/alerts", headers=bearer(other)).status_code == 200
    assert actions == ["token.create", "token.create", "token.revoke"]


def test_a_token_never_grants_more_than_its_scope_or_its_user_role(api_app, engine):
    client = api_app.test_client()
    full = new_token(engine, "admin")
    staff_scope = new_token(engine, "admin", "staff")
    assert client.get("/api/v1/audit", headers=bearer(full)).status_code == 200
    assert client.get("/api/v1/alerts", headers=bearer(staff_scope)).status_code == 200
    error = error_of(client.get("/api/v1/audit", headers=bearer(staff_scope)), 403)
    assert error["code"] == "forbidden" and "Staf" in error["message"]
    for username in ("staf", "operator", "analis"):  # the audit log is for admins' tokens only
        error_of(client.get("/api/v1/audit", headers=bearer(new_token(engine, username))), 403)
    with session_scope(engine) as session:  # a scope above the user's role is refused
        for username, role in (("staf", "operator"), ("analis", "admin"), ("operator", "superuser")):
            with pytest.raises(UserError, match="Cakupan token"):
                tokens.create_token(session, "uji", username, "terlalu tinggi", role)
        second_admin = users.create_user(session, "uji", "admin2", USER_PASSWORD, "admin")
        users.set_role(session, "admin2", "admin", "staff")  # the admin is demoted: the admin token shrinks with them
    assert second_admin.role == "admin"
    error_of(client.get("/api/v1/audit", headers=bearer(full)), 403)
    assert client.get("/api/v1/alerts", headers=bearer(full)).status_code == 200


# --------------------------------------------------------------------------- paging


def test_cursor_paging_walks_every_alert_exactly_once_while_alerts_are_added(api_app, engine):
    # 23 alerts, several at the very same moment (ties are broken by id), over two kabupaten
    specs = [(f"peringatan {n}", T0 + timedelta(hours=n // 3), [KOTIM if n % 2 else KAPUAS]) for n in range(23)]
    original = add_alerts(engine, specs)
    token = new_token(engine, "staf")
    client = api_app.test_client()
    added: dict[str, list[int]] = {"newer": [], "older": []}

    def insert(page: int) -> None:
        # after each page: one alert newer than everything (it belongs before the walk) and one older than the
        # page just served, i.e. still ahead of the cursor (the walk must serve it once)
        added["newer"] += add_alerts(engine, [(f"baru {page}", T0 + timedelta(days=30, hours=page), [KOTIM])])
        added["older"] += add_alerts(engine, [(f"susulan {page}", T0 - timedelta(days=1, hours=page), [KOTIM])])

    pages = walk(client, token, "/api/v1/alerts", 5, insert)
    served = [alert_id for page in pages for alert_id in page]
    assert all(len(page) == 5 for page in pages[:-1])
    assert len(served) == len(set(served))  # nothing twice
    assert set(original) <= set(served) and not set(added["newer"]) & set(served)
    assert len(added["older"]) == len(pages) - 1 >= 4
    assert set(added["older"]) <= set(served)  # older alerts added ahead of the cursor are served once too
    with session_scope(engine) as session:
        order = {a.id: (a.first_seen_at, a.id) for a in session.scalars(select(Alert))}
    assert served == sorted(served, key=lambda i: order[i], reverse=True)  # newest first, ties by id
    # with a filter, and a limit above the cap (served as 200)
    kotim = walk(client, token, f"/api/v1/alerts?kabupaten={KOTIM}", 4)
    with session_scope(engine) as session:
        expected = {a.id for a in session.scalars(select(Alert)) if KOTIM in a.kabupaten}
    assert sorted(i for page in kotim for i in page) == sorted(expected)
    capped = client.get("/api/v1/alerts?limit=100000", headers=bearer(token)).get_json()
    assert len(capped["items"]) == len(order) and capped["next_cursor"] is None


def test_stories_are_walked_with_their_reports(api_app, engine):
    ids = add_alerts(engine, [(f"cerita {n}", T0 + timedelta(hours=n), [KOTIM]) for n in range(7)], with_reports=True)
    with session_scope(engine) as session:
        story_of = {a.id: a.cluster_id for a in session.scalars(select(Alert))}
    pages = walk(api_app.test_client(), new_token(engine, "staf"), "/api/v1/stories", 3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [i for page in pages for i in page] == [story_of[i] for i in reversed(ids)]
    body = api_app.test_client().get("/api/v1/stories?limit=1", headers=bearer(new_token(engine, "staf"))).get_json()
    story = body["items"][0]
    assert story["alert_id"] == ids[-1]
    assert [r["title"] for r in story["reports"]] == ["cerita 6"] and story["reports"][0]["outlet"] == "Kabar Uji"


# --------------------------------------------------------------------------- errors


def test_bad_parameters_are_400_and_unknown_ids_404_in_json(api_app, engine):
    add_alerts(engine, [("satu", T0, [KOTIM]), ("dua", T0 + timedelta(hours=1), [KOTIM])])
    client = api_app.test_client()
    token = bearer(new_token(engine, "staf"))
    cases = {
        "/api/v1/alerts?since=14-11-2026": ("invalid_parameter", "since"),
        "/api/v1/alerts?since=2026-11-20&until=2026-11-01": ("invalid_parameter", "since"),
        "/api/v1/alerts?limit=0": ("invalid_parameter", "limit"),
        "/api/v1/alerts?limit=-3": ("invalid_parameter", "limit"),
        "/api/v1/alerts?limit=banyak": ("invalid_parameter", "limit"),
        "/api/v1/alerts?kabupaten=99.99": ("invalid_parameter", "kabupaten"),
        "/api/v1/alerts?category=olahraga": ("invalid_parameter", "category"),
        "/api/v1/alerts?status=hilang": ("invalid_parameter", "status"),
        "/api/v1/alerts?level=normal": ("invalid_parameter", "level"),
        "/api/v1/alerts?plan_gap=mungkin": ("invalid_parameter", "plan_gap"),
        "/api/v1/alerts?q=" + "x" * 201: ("invalid_parameter", "q"),
        "/api/v1/alerts?urut=skor": ("unknown_parameter", "urut"),
        "/api/v1/alerts?status=baru&status=selesai": ("invalid_parameter", "status"),
        "/api/v1/alerts?cursor=bukan-kursor": ("invalid_cursor", "next_cursor"),
        "/api/v1/alerts?cursor=eyJ0IjoiMjAyNiIsImkiOjk5OTk5OTk5OTk5OX0": ("invalid_cursor", "Kursor"),
        "/api/v1/stories?cursor=%00%ff": ("invalid_cursor", "Kursor"),
        "/api/v1/alerts.csv?limit=5": ("unknown_parameter", "limit"),
        "/api/v1/levels?date=kemarin": ("invalid_parameter", "date"),
        "/api/v1/plans?year=26": ("invalid_parameter", "year"),
        "/api/v1/plans?region=63": ("invalid_parameter", "region"),
        "/api/v1/alerts/1?verbose=1": ("unknown_parameter", "verbose"),
    }
    for path, (code, mentioned) in cases.items():
        response = client.get(path, headers=token)
        assert response.status_code == 400, path
        error = error_of(response, 400)
        assert error["code"] == code and mentioned in error["message"], (path, error)
    for path in ("/api/v1/alerts/999999", "/api/v1/plans/424242", "/api/v1/alerts/0", "/api/v1/alerts/99999999999",
                 "/api/v1/tidak-ada", "/api/v1/reports/999999"):
        assert error_of(client.get(path, headers=token), 404)["code"] == "not_found", path
    assert "tidak ada" in error_of(client.get("/api/v1/alerts/999999", headers=token), 404)["message"]
    assert error_of(client.post("/api/v1/alerts", headers=token), 405)["code"] == "method_not_allowed"
    # a valid filter is applied
    body = client.get("/api/v1/alerts?q=DUA&since=2026-11-10&plan_gap=false", headers=token).get_json()
    assert [item["title"] for item in body["items"]] == ["dua"]


# --------------------------------------------------------------------------- content (demo database)


def test_alert_detail_levels_and_plans_carry_the_service_data(demo_app, demo_engine):
    client = demo_app.test_client()
    token = bearer(new_token(demo_engine, "staf"))
    listed = client.get("/api/v1/alerts?limit=200", headers=token).get_json()["items"]
    assert listed and listed[0]["first_seen_at"].endswith("Z")
    with_sources = next(item for item in listed if item["n_sources"] >= 1)
    detail = client.get(f"/api/v1/alerts/{with_sources['id']}", headers=token).get_json()
    assert detail["id"] == with_sources["id"] and detail["title"] == with_sources["title"]
    assert len(detail["sources"]) >= 1 and all(s["url"].startswith("https://") for s in detail["sources"])
    assert {"kecamatan", "evidence", "actions", "history", "places", "category_scores"} <= set(detail)
    levels = client.get("/api/v1/levels?date=2026-11-15", headers=token).get_json()  # the demo's Kotim peak
    assert levels["date"] == "2026-11-15" and len(levels["kabupaten"]) == 14
    kotim = next(cell for cell in levels["kabupaten"] if cell["code"] == KOTIM)
    assert kotim["level"] == "awas" and kotim["reason"] and kotim["since"] == "2026-11-14"
    assert kotim["categories"]["perkebunan"]["level"] == "awas" and kotim["categories"]["sara"]["level"] == "normal"
    assert all(cell["level"] == "normal" for cell in levels["kabupaten"] if cell["code"] != KOTIM)
    plans = client.get("/api/v1/plans?year=2026", headers=token).get_json()["items"]
    assert plans and all(plan["year"] == 2026 for plan in plans)
    plan = client.get(f"/api/v1/plans/{plans[0]['id']}", headers=token).get_json()
    assert plan["id"] == plans[0]["id"] and len(plan["actions"]) == plans[0]["n_actions"]
    assert client.get("/api/v1/plans?region=62.99", headers=token).status_code == 400


# --------------------------------------------------------------------------- CSV


HOSTILE_TITLES = ["=HYPERLINK(\"https://jahat.example\",\"klik\")", "+62 811", "-1+1", "@SUM(A1:A9)", "\tTab",
                  "\rCR", "Judul biasa, dengan koma dan \"kutip\" — Dayak Ngaju"]


def test_csv_export_is_formula_safe_with_bom_and_indonesian_headers(api_app, engine, monkeypatch):
    ids = add_alerts(engine, [(title, T0 + timedelta(hours=n), [KOTIM]) for n, title in enumerate(HOSTILE_TITLES)],
                     with_reports=True)
    add_alerts(engine, [("di Kapuas", T0, [KAPUAS])])
    response = api_app.test_client().get(f"/api/v1/alerts.csv?kabupaten={KOTIM}",
                                         headers=bearer(new_token(engine, "staf")))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(BOM.encode("utf-8"))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8").removeprefix(BOM), newline="")))
    assert rows[0] == list(HEADERS) and rows[0][0] == "ID"
    by_id = {int(row[0]): row for row in rows[1:]}
    assert sorted(by_id) == sorted(ids)  # the filter applies (not the Kapuas alert)
    title_column = HEADERS.index("Judul")
    for alert_id, title in zip(ids, HOSTILE_TITLES):
        cell = by_id[alert_id][title_column]
        assert cell == (title if title[0].isalpha() else "'" + title)
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
    assert by_id[ids[0]][HEADERS.index("Tautan sumber")].startswith("https://uji.example.id/")
    assert by_id[ids[0]][HEADERS.index("Kabupaten/kota")] == "Kabupaten Kotawaringin Timur"
    # the CLI writes the same file
    from monitor.cli import app as cli

    monkeypatch.setenv("WASPADA_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(cli, ["alerts", "export", "--format", "csv", "--kabupaten", KOTIM],
                                catch_exceptions=False)
    assert result.exit_code == 0 and result.stdout_bytes == raw


# --------------------------------------------------------------------------- a real server


def test_the_api_over_a_real_waitress_server(demo_live_server, demo_engine):
    token = new_token(demo_engine, "analis")
    with httpx.Client(base_url=demo_live_server, timeout=10) as http:
        refused = http.get("/api/v1/alerts")
        assert refused.status_code == 401 and refused.headers["content-type"] == "application/json"
        assert refused.json()["error"]["code"] == "unauthorized" and "Bearer" in refused.headers["www-authenticate"]
        served, cursor = [], None
        while True:
            response = http.get("/api/v1/alerts", params={"limit": 4, **({"cursor": cursor} if cursor else {})},
                                headers=bearer(token))
            assert response.status_code == 200 and "set-cookie" not in response.headers
            served += [item["id"] for item in response.json()["items"]]
            cursor = response.json()["next_cursor"]
            if cursor is None:
                break
        with session_scope(demo_engine) as session:
            assert sorted(served) == sorted(session.scalars(select(Alert.id)))
        exported = http.get("/api/v1/alerts.csv", headers=bearer(token))
        assert exported.status_code == 200 and exported.content.startswith(BOM.encode())
        assert exported.text.count("\r\n") == len(served) + 1


def test_last_use_is_written_at_most_once_a_minute(api_app, engine):
    token = new_token(engine, "staf")
    seen = []
    for seconds in (0, 30, 59, 60, 61, 200):
        with session_scope(engine) as session:
            assert tokens.authenticate_token(session, token, now=T0 + timedelta(seconds=seconds)).role == "staff"
        with session_scope(engine) as session:
            seen.append(session.scalar(select(ApiToken.last_used_at)))
    assert [(at - T0).seconds for at in seen] == [0, 0, 0, 60, 60, 200]


def test_reports_are_listed_and_read_as_operators_wrote_them(api_app, engine):
    from monitor.service import reports
    from tests.monitor.report_data import kotim_period

    with session_scope(engine) as session:
        kotim_period(session)
        report_id = reports.create_report(session, "62.02", 2026, "B12", "operator")
    client, token = api_app.test_client(), {"Authorization": f"Bearer {new_token(engine, 'staf')}"}
    [row] = client.get("/api/v1/reports?region=62.02&year=2026&period=B12", headers=token).get_json()["items"]
    assert (row["id"], row["status"], row["version"]) == (report_id, "draf", 1)
    assert client.get("/api/v1/reports?region=62.01", headers=token).get_json()["items"] == []
    draft = client.get(f"/api/v1/reports/{report_id}", headers=token).get_json()
    assert (draft["region"], draft["period"], draft["status"]) == ("62.02", "B12", "draf")
    assert draft["alerts"] and all(alert["title"] for alert in draft["alerts"])
    with session_scope(engine) as session:
        reports.submit_report(session, report_id, "operator")
    submitted = client.get(f"/api/v1/reports/{report_id}", headers=token).get_json()
    assert submitted["status"] == "diajukan" and submitted["alerts"] == draft["alerts"]
    assert error_of(client.get("/api/v1/reports?period=B05", headers=token), 400)["code"] == "invalid_parameter"
    assert client.get("/api/v1/reports").status_code == 401
