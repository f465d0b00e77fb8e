"""Admin pages through Flask's test client: sources (health, add by discovery, enable/disable, hostile
feed content rendered inert), users (add, role, disable, password, subscription), the audit log, and
bad form data that never becomes a 500."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
import yaml
from sqlalchemy import select

from monitor.db.models import AuditEntry, Feed, User
from monitor.db.session import session_scope
from monitor.feeds.registry import load_feeds
from monitor.service import users
from tests.conftest import Response
from tests.monitor.helpers import add_feed, cycle, fixture_bytes
from tests.web.conftest import csrf_token_of


@pytest.fixture
def admin(app, login):
    client = app.test_client()
    login(client, "admin")
    client.token = csrf_token_of(client, "/admin/sumber")
    return client


def _post(client, path: str, **data):
    return client.post(path, data={"csrf_token": client.token, **data})


def _field_error(page: str, field_id: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field_id}-error">([^<]*)</p>', page)
    return html.unescape(match.group(1)) if match else ""


def _audit(engine) -> list[tuple[str, str, str, str]]:
    with session_scope(engine) as session:
        return [(e.actor, e.action, e.target, e.address)
                for e in session.scalars(select(AuditEntry).where(AuditEntry.action != "user.create").order_by(AuditEntry.id))]


# --------------------------------------------------------------------------- sources


def test_the_sources_page_shows_each_sources_health(admin, web_engine, web_settings, feed_server):
    add_feed(web_engine, "antara", feed_server.feed("/rss", fixture_bytes("antara_kalteng_terkini.xml")), region="62.02")
    add_feed(web_engine, "mati", feed_server.route("/mati", status=500))
    cycle(web_engine, web_settings)
    with session_scope(web_engine) as session:
        session.get(Feed, "mati").last_error = "HTTP 500 dari server"
    page = admin.get("/admin/sumber").get_data(as_text=True)
    antara = re.search(r'<tr id="sumber-antara".*?</tr>', page, re.S).group(0)
    assert "Kabupaten Kotawaringin Timur (62.02)" in antara and "aktif" in antara
    assert re.search(r'data-label="Item per hari" class="num">0\.4<', antara)  # 3 items / 7 days
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d WIB", antara)  # last success and next check, in WIB
    mati = re.search(r'<tr id="sumber-mati".*?</tr>', page, re.S).group(0)
    assert "HTTP 500 dari server" in mati and re.search(r'data-label="Jumlah galat" class="num">1<', mati)


class _Elements(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


HOSTILE = {
    "name": '<script>alert("nama")</script><img src=x onerror=alert(1)>',
    "outlet": '"><svg onload=alert(2)>',
    "url": "javascript:alert(document.cookie)",
    "last_error": '<iframe src="javascript:alert(3)"></iframe><a href="javascript:alert(4)" onclick="x()">klik</a>',
    "disabled_reason": "</td><script>alert(5)</script>",
    "notes": "<style>body{display:none}</style>",
}


def test_hostile_feed_content_is_inert_on_the_sources_page(admin, web_engine):
    add_feed(web_engine, "jahat", "https://jahat.example/rss")
    with session_scope(web_engine) as session:
        feed = session.get(Feed, "jahat")
        for name, value in HOSTILE.items():
            setattr(feed, name, value)
        feed.enabled = False
    page = admin.get("/admin/sumber").get_data(as_text=True)
    parser = _Elements()
    parser.feed(page)
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert scripts == [{"src": "/static/htmx.min.js", "defer": None}]
    assert not [t for t, _ in parser.tags if t in ("img", "svg", "iframe", "style")]
    handlers = [(tag, name) for tag, attrs in parser.tags for name in attrs if name.startswith("on")]
    assert handlers == []
    links = [attrs.get("href", "") for tag, attrs in parser.tags if tag == "a"]
    assert links and all(href.startswith(("/", "http://", "https://", "#")) for href in links)
    # shown as text, escaped
    assert "&lt;script&gt;alert(&#34;nama&#34;)&lt;/script&gt;" in page
    assert "javascript:alert(document.cookie)" in page  # the address is shown, not linked
    assert 'href="javascript:' not in page


def test_an_admin_adds_a_source_by_its_site_address(admin, web_engine, web_settings, feed_server):
    web_settings.feeds_path.write_text(yaml.safe_dump({"feeds": [
        {"id": "ada", "name": "Ada", "url": "https://ada.example.id/rss", "outlet": "Ada", "region": "62"}]}),
        encoding="utf-8")
    site = feed_server.route("/", Response(body=fixture_bytes("site_page.html"),
                                           headers={"Content-Type": "text/html; charset=utf-8"}))
    feed_server.feed("/feed/", fixture_bytes("wordpress_kalteng.xml"))
    response = _post(admin, "/admin/sumber", url=site, feed_id="", region="62.02")
    assert response.status_code == 302, response.get_data(as_text=True)
    page = admin.get("/admin/sumber").get_data(as_text=True)
    assert f"Ditambahkan: contoh-pos-sampit -&gt; {feed_server.url('/feed/')} (2 item)" in page
    assert '<tr id="sumber-contoh-pos-sampit"' in page
    [_, added] = load_feeds(web_settings.feeds_path)
    assert (added.id, added.url, added.region, added.verified) == ("contoh-pos-sampit", feed_server.url("/feed/"), "62.02", True)
    with session_scope(web_engine) as session:
        assert session.get(Feed, "contoh-pos-sampit").enabled
    assert _audit(web_engine)[-1] == ("admin", "feed.add", "feed:contoh-pos-sampit", "127.0.0.1")
    again = _post(admin, "/admin/sumber", url=site, feed_id="", region="62")
    assert again.status_code == 400
    assert "sudah ada" in _field_error(again.get_data(as_text=True), "feed_id")


@pytest.mark.parametrize("values,field,message", [
    ({"url": "ftp://contoh.example/rss"}, "url", "Alamat harus lengkap dan diawali http:// atau https://."),
    ({"url": ""}, "url", "Isi alamat situs atau feed."),
    ({"url": "https://contoh.example/", "feed_id": "Bukan Id!"}, "feed_id", "Id sumber 2-100 karakter"),
    ({"url": "https://contoh.example/", "region": "99"}, "region", "Pilihan tidak sah."),
])
def test_a_bad_source_form_shows_the_error_next_to_its_field(admin, web_settings, values, field, message):
    before = web_settings.feeds_path.read_text(encoding="utf-8")
    response = _post(admin, "/admin/sumber", **{"feed_id": "", "region": "62", **values})
    assert response.status_code == 400
    assert _field_error(response.get_data(as_text=True), field).startswith(message)
    assert web_settings.feeds_path.read_text(encoding="utf-8") == before


def test_a_site_without_a_feed_is_reported_next_to_the_address(admin, feed_server):
    bare = feed_server.route("/polos", body=b"<html><head><title>x</title></head><body>tanpa feed</body></html>",
                             headers={"Content-Type": "text/html"})
    response = _post(admin, "/admin/sumber", url=bare, feed_id="", region="62")
    assert response.status_code == 400
    assert _field_error(response.get_data(as_text=True), "url").startswith(f"Tidak menemukan feed di {bare}")


def test_an_admin_disables_and_enables_a_source(admin, web_engine, web_settings):
    web_settings.feeds_path.write_text(yaml.safe_dump({"feeds": [
        {"id": "contoh", "name": "Contoh", "url": "https://contoh.example.id/rss", "outlet": "Contoh", "region": "62"},
        {"id": "mati", "name": "Mati", "url": "https://mati.example.id/rss", "outlet": "Mati", "region": "62",
         "enabled": False}]}), encoding="utf-8")
    add_feed(web_engine, "contoh", "https://contoh.example.id/rss")
    add_feed(web_engine, "mati", "https://mati.example.id/rss", enabled=False)
    assert _post(admin, "/admin/sumber/contoh/nonaktifkan").status_code == 302
    with session_scope(web_engine) as session:
        feed = session.get(Feed, "contoh")
        assert not feed.enabled and feed.disabled_reason == "dinonaktifkan oleh admin"
    assert _post(admin, "/admin/sumber/contoh/aktifkan").status_code == 302
    with session_scope(web_engine) as session:
        assert session.get(Feed, "contoh").enabled
    refused = admin.get(_post(admin, "/admin/sumber/mati/aktifkan").headers["Location"]).get_data(as_text=True)
    assert "dimatikan di" in refused and "enabled: false" in refused
    assert _post(admin, "/admin/sumber/tidak-ada/aktifkan").status_code == 302
    assert [a[1:3] for a in _audit(web_engine)] == [("feed.disable", "feed:contoh"), ("feed.enable", "feed:contoh")]


# --------------------------------------------------------------------------- users


def test_an_admin_adds_a_user(admin, web_engine):
    response = _post(admin, "/admin/pengguna", username="rina", display_name="Rina Lestari", email="rina@kalteng.go.id",
                     role="operator", region_code="62.02", password="sandi-rina-1234", password_again="sandi-rina-1234")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/pengguna/rina"
    page = admin.get("/admin/pengguna/rina").get_data(as_text=True)
    assert "Pengguna rina ditambahkan sebagai Operator." in page and "Kabupaten Kotawaringin Timur (62.02)" in page
    with session_scope(web_engine) as session:
        record = users.find_user(session, "rina")
        assert (record.role, record.region_code, record.email) == ("operator", "62.02", "rina@kalteng.go.id")
        assert users.authenticate(session, "rina", "sandi-rina-1234", "127.0.0.1").ok
    assert admin.get("/admin/pengguna").get_data(as_text=True).count('href="/admin/pengguna/rina"') == 1


@pytest.mark.parametrize("values,field,message", [
    ({"password_again": "lain-lagi-1234"}, "password_again", "Kedua kata sandi tidak sama."),
    ({"password": "pendek", "password_again": "pendek"}, "password", "Kata sandi minimal 10 karakter."),
    ({"username": "admin"}, "username", "Nama pengguna 'admin' sudah dipakai."),
    ({"username": "Rina Lestari"}, "username", "Nama pengguna 2-80 karakter"),
    ({"role": "root"}, "role", "Pilihan tidak sah."),
    ({"region_code": "<script>"}, "region_code", "Pilihan tidak sah."),
    ({"email": "rina@"}, "email", "Alamat surel tidak sah"),
    ({"username": ""}, "username", "Isi nama pengguna."),
])
def test_a_bad_user_form_shows_the_error_next_to_its_field(admin, web_engine, values, field, message):
    data = {"username": "rina", "display_name": "", "email": "", "role": "staff", "region_code": "62",
            "password": "sandi-rina-1234", "password_again": "sandi-rina-1234", **values}
    response = _post(admin, "/admin/pengguna", **data)
    assert response.status_code == 400
    assert _field_error(response.get_data(as_text=True), field).startswith(message)
    with session_scope(web_engine) as session:
        assert users.find_user(session, "rina") is None


def test_an_admin_changes_role_password_status_and_subscription(admin, app, login, web_engine):
    assert _post(admin, "/admin/pengguna/staf/peran", role="analyst").status_code == 302
    staff_client = app.test_client()
    login(staff_client, "staf")
    assert _post(admin, "/admin/pengguna/staf/sandi", password="sandi-baru-staf-1",
                 password_again="sandi-baru-staf-1").status_code == 302
    assert staff_client.get("/").status_code == 302  # the old session ended with the new password
    assert _post(admin, "/admin/pengguna/staf/nonaktifkan").status_code == 302
    response = _post(admin, "/admin/pengguna/staf/langganan", enabled="y", kabupaten=["62.02", "62.01"],
                     categories=["perkebunan"])
    assert response.status_code == 302
    page = admin.get("/admin/pengguna/staf").get_data(as_text=True)
    assert "Langganan ringkasan staf disimpan." in page
    assert re.search(r'<input checked id="kabupaten-1" name="kabupaten" type="checkbox" value="62.02">', page)
    with session_scope(web_engine) as session:
        record = users.find_user(session, "staf")
        assert (record.role, record.active) == ("analyst", False)
        assert users.subscription(session, "staf") == users.SubscriptionRecord("staf", True, ["62.01", "62.02"],
                                                                               ["perkebunan"])
    assert [a[1] for a in _audit(web_engine)] == ["user.role", "user.password", "user.disable", "user.subscription"]
    assert _post(admin, "/admin/pengguna/staf/aktifkan").status_code == 302


def test_the_last_admin_cannot_demote_or_disable_themselves(admin, web_engine):
    demoted = _post(admin, "/admin/pengguna/admin/peran", role="staff")
    assert demoted.status_code == 400
    assert _field_error(demoted.get_data(as_text=True), "role") == "Harus tetap ada setidaknya satu admin aktif."
    disabled = _post(admin, "/admin/pengguna/admin/nonaktifkan")
    assert disabled.status_code == 400 and "setidaknya satu admin aktif" in disabled.get_data(as_text=True)
    with session_scope(web_engine) as session:
        assert session.scalar(select(User.role).where(User.username == "admin")) == "admin"


def test_subscription_with_unknown_codes_is_refused_next_to_the_field(admin):
    response = _post(admin, "/admin/pengguna/operator/langganan", kabupaten=["62.02", "99.99"],
                     categories=["<script>alert(1)</script>"])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "bukan pilihan yang sah" in page and "<script>alert(1)" not in page


def test_unknown_user_pages_are_404(admin):
    assert admin.get("/admin/pengguna/tidak-ada").status_code == 404
    assert _post(admin, "/admin/pengguna/tidak-ada/peran", role="staff").status_code == 404
    assert _post(admin, "/admin/pengguna/tidak-ada/nonaktifkan").status_code == 404


def test_garbage_in_any_admin_form_never_becomes_a_500(admin, app, web_engine):
    add_feed(web_engine, "contoh", "https://contoh.example.id/rss")
    garbage = [
        {},
        {"username": "x" * 10_000, "password": "\x00" * 50, "password_again": "\x00" * 50, "role": ["admin", "staff"]},
        {"url": "http://" + "a" * 3000, "region": "62.02", "feed_id": "\u202egnp.exe"},
        {"enabled": "bukan-boolean", "kabupaten": "'; DROP TABLE users; --", "categories": ["%s%s%n"]},
        {"role": "\udcff".encode("utf-8", "surrogatepass").decode("latin-1"), "region_code": "🤖"},
    ]
    paths = ["/admin/sumber", "/admin/sumber/contoh/aktifkan", "/admin/sumber/contoh/nonaktifkan", "/admin/pengguna",
             "/admin/pengguna/operator/peran", "/admin/pengguna/operator/sandi", "/admin/pengguna/operator/langganan",
             "/admin/pengguna/operator/nonaktifkan", "/admin/pengguna/operator/aktifkan"]
    for path in paths:
        for data in garbage:
            response = _post(admin, path, **data)
            assert response.status_code < 500, (path, data, response.status_code)
    for query in ("halaman=abc", "halaman=-5", f"halaman={10**30}", "sasaran=" + "x" * 500):
        assert admin.get(f"/admin/audit?{query}").status_code == 200


def test_the_audit_log_pages_newest_first_and_filters_by_target(admin, web_engine):
    with session_scope(web_engine) as session:
        for number in range(60):
            users.audit.record(session, "admin", "feed.disable", f"feed:f{number}", {"nomor": number}, "10.0.0.1")
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "64 catatan" in page and "Halaman 1 dari 2" in page and "feed:f59" in page and "feed:f9<" not in page
    second = admin.get("/admin/audit?halaman=2").get_data(as_text=True)
    assert "feed:f9<" in second and "user:admin" in second
    only = admin.get("/admin/audit?sasaran=feed:f7").get_data(as_text=True)
    assert "1 catatan" in only and "{&#34;nomor&#34;: 7}" in only


def test_only_admins_see_the_audit_log(app, login):
    for username in ("staf", "operator", "analis"):
        client = app.test_client()
        login(client, username)
        assert client.get("/admin/audit").status_code == 403
