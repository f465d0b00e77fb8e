"""The dashboard, the alert list and the alert detail through Flask's test client, on the demo database: what
each shows, that the views agree with the service layer, bad input that never becomes a 500, and the status,
link and correction forms by role (audited, levels recomputed, CSRF and permissions enforced)."""
from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from classifiers.paths import default_model_dir
from monitor.db.models import Alert, AuditEntry, Feed, LabelCorrection, PlanLink
from monitor.db.session import session_scope
from monitor.service.alerts import AlertFilters, list_alerts, link_choices
from monitor.service.board import dashboard, level_board
from monitor.service.paging import PageRequest
from monitor.web import alerts as alert_views
from tests.web.conftest import get_page
from tests.web.pages import elements, links

DAY = date(2026, 11, 14)  # Kotawaringin Timur at Awas in the demo
MODEL_VERSION = json.loads((default_model_dir() / "card.json").read_text())["version"]  # the pinned test model




def _text(page: str) -> str:
    """The page's text with tags removed and entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _alert_id(engine, title_start: str) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(Alert.id).where(Alert.title.like(f"{title_start}%")))


def _list_ids(page: str) -> list[int]:
    return [int(m) for m in re.findall(r'<a class="alert-title" href="/peringatan/(\d+)"', page)]


# --------------------------------------------------------------------------- dashboard


def test_the_dashboard_of_a_day(as_user, demo_engine):
    client = as_user("staf")
    response = client.get(f"/?tanggal={DAY.isoformat()}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    with session_scope(demo_engine) as session:
        board = dashboard(session, DAY)
    text = _text(page)
    assert "Dasbor 14 November 2026" in text
    assert f"{board.new_alerts} peringatan baru 14 Nov" in text and board.alerts_by_level["awas"] == 2
    # each level's count links to exactly those alerts of the day
    for level, count in board.alerts_by_level.items():
        wanted = "awas" if level == "awas" else f"{level}-saja"
        link = f"/peringatan?dari=2026-11-14&amp;sampai=2026-11-14&amp;tingkat={wanted}"
        assert link in page
        assert len(_list_ids(get_page(client, html.unescape(link)))) == count, level
    assert f"{board.plan_gaps} celah rencana terbuka" in text and board.plan_gaps == 1
    assert _list_ids(get_page(client, "/peringatan?celah=1")) == [_alert_id(demo_engine, "Ratusan buruh kebun sawit")]
    # the map: every kabupaten/kota links to its alerts, Kotim drawn at Awas
    hrefs = links(page)
    for code in ("62.01", "62.02", "62.71"):
        assert f"/peringatan?kabupaten={code}" in hrefs
    assert re.search(r'data-kode="62\.02" data-tingkat="awas"', page)
    assert "Kabupaten Kotawaringin Timur: Normal -&gt; Awas. 5 berita konflik" in page  # the reason, escaped
    # trends: a sparkline per kabupaten and per category; the board's totals
    svgs = [attrs for tag, attrs in elements(page).tags if tag == "svg"]
    assert len(svgs) == 1 + 14 + 11
    assert re.search(r"Kotawaringin Timur</a></td>\s*<td><span class=\"badge lv-awas\">Awas</span>", page)
    # the map's and charts' own inline styles are allowed by hash, nothing else inline
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-hashes'" in csp
    digest = base64.b64encode(hashlib.sha256(b"max-width:100%;height:auto").digest()).decode()
    assert f"'sha256-{digest}'" in csp


def test_a_silent_source_shows_its_last_success_and_error(as_user, demo_engine):
    with session_scope(demo_engine) as session:
        feed = session.scalars(select(Feed).order_by(Feed.id)).first()
        feed.enabled, feed.last_success_at = True, datetime.now(timezone.utc) - timedelta(days=5)
        feed.last_error = "HTTP 503 dari server"
        name = feed.name
    page = get_page(as_user("staf"), "/")
    section = page[page.index("Sumber berita yang diam"):]
    assert html.escape(name) in section and "HTTP 503 dari server" in section


@pytest.mark.parametrize("value", ["14-11-2026", "2026-02-30", "kemarin", "x" * 500])
def test_a_bad_day_is_a_message_not_an_error(as_user, value):
    for path in ("/", "/ringkasan"):
        response = as_user("staf").get(path, query_string={"tanggal": value})
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "tidak dapat dibaca" in page and "TTTT-BB-HH" in page and "ditampilkan hari ini" in page


# --------------------------------------------------------------------------- list


def _service_ids(engine, **filters) -> list[int]:
    with session_scope(engine) as session:
        return [r.id for r in list_alerts(session, AlertFilters(**filters), PageRequest(1, 200)).items]


@pytest.mark.parametrize("query, filters", [
    ({}, {}),
    ({"kabupaten": "62.02"}, {"kabupaten": "62.02"}),
    ({"kategori": "perkebunan"}, {"category": "perkebunan"}),
    ({"status": "baru"}, {"status": "baru"}),
    ({"celah": "0"}, {"plan_gap": False}),
    ({"dari": "2026-11-12", "sampai": "2026-11-14"}, {"since": date(2026, 11, 12), "until": date(2026, 11, 14)}),
    ({"tingkat": "siaga"}, {"level": "siaga"}),
    ({"tingkat": "normal-saja"}, {"level": "normal", "exact_level": True}),
    ({"q": "sawit", "urut": "skor"}, {"text": "sawit", "sort": "skor"}),
    ({"sumber": "file-contoh-warta-sampit", "urut": "terlama"}, {"feed_id": "file-contoh-warta-sampit", "sort": "terlama"}),
])
def test_the_list_shows_what_the_service_finds(as_user, demo_engine, query, filters):
    page = get_page(as_user("staf"), "/peringatan?" + "&".join(f"{k}={v}" for k, v in query.items()))
    wanted = _service_ids(demo_engine, **filters)
    assert _list_ids(page) == wanted and wanted
    assert f"{len(wanted)} peringatan" in _text(page)
    for name, value in query.items():  # the form shows the filters in use
        assert re.search(rf'name="{name}"[^>]*value="{re.escape(value)}"', page) or \
            re.search(rf'<option value="{re.escape(value)}" selected>', page), name


def test_pages_of_the_list_keep_the_filters(as_user, demo_engine, monkeypatch):
    monkeypatch.setattr(alert_views, "PAGE_SIZE", 5)
    client = as_user("staf")
    seen, path = [], "/peringatan?celah=0&urut=terlama"
    while path:
        page = get_page(client, path)
        seen += _list_ids(page)
        following = [h for h in links(page) if "halaman=" in h and "Berikutnya" in page]
        nexts = re.findall(r'<a href="([^"]+)" rel="next">Berikutnya', page)
        path = html.unescape(nexts[0]) if nexts else None
        if path:
            assert "celah=0" in path and "urut=terlama" in path
        assert following or path is None
    assert seen == _service_ids(demo_engine, plan_gap=False, sort="terlama") and len(seen) == 16
    assert "Halaman 4 dari 4" in page


@pytest.mark.parametrize("query, message", [
    ("dari=2026-13-01", "Tanggal 'dari' '2026-13-01' tidak dapat dibaca: tulis sebagai TTTT-BB-HH"),
    ("sampai=besok", "Tanggal 'sampai' 'besok' tidak dapat dibaca"),
    ("dari=2026-11-20&sampai=2026-11-01", "Tanggal 'dari' jatuh sesudah tanggal 'sampai'"),
    ("kabupaten=99.99", "Kabupaten/kota '99.99' tidak dikenal; saringan ini diabaikan."),
    ("kategori=<script>", "Kategori '<script>' tidak dikenal"),
    ("tingkat=bahaya", "Tingkat 'bahaya' tidak dikenal"),
    ("status=hilang", "Status 'hilang' tidak dikenal"),
    ("sumber=tidak-ada", "Sumber 'tidak-ada' tidak dikenal"),
    ("celah=ya", "Pilihan celah rencana 'ya' tidak dikenal"),
    ("urut=acak", "Urutan 'acak' tidak dikenal"),
    ("halaman=-1", "Nomor halaman '-1' tidak sah; ditampilkan halaman 1."),
    ("halaman=99999999999999999999", "Nomor halaman '99999999999999999999' tidak sah"),
    ("q=" + "a" * 300, "Kata pencarian terlalu panjang; dipakai 200 karakter pertama."),
])
def test_bad_filter_values_are_explained_in_indonesian(as_user, query, message):
    response = as_user("staf").get("/peringatan?" + query)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html.unescape(page)
    assert '<table class="stack alert-list">' in page  # the list is still there


def test_a_page_beyond_the_last_is_empty_not_an_error(as_user):
    page = get_page(as_user("staf"), "/peringatan?halaman=500")
    assert _list_ids(page) == [] and "Halaman 500 dari 1" in page


# --------------------------------------------------------------------------- detail


def test_the_detail_of_an_alert(as_user, demo_engine):
    alert_id = _alert_id(demo_engine, "Ratusan warga Desa Pondok Damar")  # three outlets, linked to Kotim actions
    page = get_page(as_user("staf"), f"/peringatan/{alert_id}")
    text = _text(page)
    # every report with its outlet, http(s) link and time in WIB
    assert "Berita dan sumbernya (3)" in text
    assert len(re.findall(r'<a href="https://[^"]+" rel="noopener noreferrer nofollow">', page)) == 3
    assert text.count("terbit 2026-11-13") == 3 and "CONTOH - Warta Sampit" in text
    # evidence with the words that pushed the model marked; the terms per category; the model version
    assert re.search(r"<mark>[^<]*blokade jalan</mark>", page) and "Kalimat bukti" in text
    assert "Istilah yang mendorong penilaian" in text and 'class="term"' in page
    assert "Konflik perkebunan" in text and f"<code>{MODEL_VERSION}</code>" in page
    # places with the words the reports use for them
    assert "Tempat yang disebut" in text and "Pondok Damar" in text and re.search(r"disebut sebagai “[^”]+”", text)
    # scores per category and the conflict score
    assert re.search(r"Sinyal konflik</strong></td><td class=\"num\"><strong>1\.00", page)
    assert page.count("<meter") >= 12
    # the linked RAD-PKS actions, each to its row on the plans page, with how it was linked
    assert re.search(r'href="/rencana\?tahun=2026&amp;wilayah=62\.02#aksi-\d+">1\.2 ', page)
    assert "cocok otomatis" in text
    # a staff member reads only
    assert "Simpan status" not in page and "Peran Anda hanya membaca" in text


def test_an_unknown_alert_is_404(as_user):
    assert as_user("staf").get("/peringatan/999999").status_code == 404
    assert as_user("staf").get("/peringatan/abc").status_code == 404


@pytest.mark.parametrize("username, forms", [
    ("staf", set()),
    ("operator", {"status", "tautan"}),
    ("analis", {"status", "tautan", "koreksi", "gabung"}),  # one report: nothing to split out
    ("admin", {"status", "tautan", "koreksi", "gabung"}),
])
def test_each_role_sees_its_forms(as_user, demo_engine, username, forms):
    alert_id = _alert_id(demo_engine, "Petani plasma di Cempaga")
    page = get_page(as_user(username), f"/peringatan/{alert_id}")
    shown = set(re.findall(rf'action="/peringatan/{alert_id}/(\w+)"', page))
    assert shown == forms


# --------------------------------------------------------------------------- changes


def _post(client, path: str, **data):
    return client.post(path, data={"csrf_token": client.token, **data})


def _audit(engine, action: str) -> list[AuditEntry]:
    with session_scope(engine) as session:
        rows = list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        session.expunge_all()
        return rows


def test_an_operator_changes_the_status_with_a_note(as_user, demo_engine):
    alert_id = _alert_id(demo_engine, "Petani plasma di Cempaga")
    client = as_user("operator")
    page = get_page(client, f"/peringatan/{alert_id}")
    offered = re.findall(r'<option value="(\w+)">', page[page.index('id="status"'):page.index("</select>",
                                                                                              page.index('id="status"'))])
    assert offered == ["ditinjau", "bukan_konflik", "duplikat"]  # the lifecycle's moves from 'baru'
    response = _post(client, f"/peringatan/{alert_id}/status", status="ditinjau", note="Dicek ke lapangan <b>besok</b>")
    assert response.status_code == 302 and response.headers["Location"] == f"/peringatan/{alert_id}"
    page = get_page(client, f"/peringatan/{alert_id}")
    assert "Status peringatan diubah menjadi &#39;Ditinjau&#39;." in page
    assert re.search(r"operator ?: Baru → Ditinjau", _text(page))
    assert "Dicek ke lapangan &lt;b&gt;besok&lt;/b&gt;" in page
    [entry] = _audit(demo_engine, "alert.status")
    assert (entry.actor, entry.target, entry.details["to"], entry.address) == (
        "operator", f"alert:{alert_id}", "ditinjau", "127.0.0.1")


def test_a_refused_move_shows_the_lifecycles_message(as_user, demo_engine):
    alert_id = _alert_id(demo_engine, "Petani plasma di Cempaga")
    client = as_user("operator")
    response = _post(client, f"/peringatan/{alert_id}/status", status="selesai", note="")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Tidak diubah: status tidak bisa berubah dari 'baru' ke 'selesai' (boleh: bukan_konflik, ditinjau, " \
           "duplikat)." in page
    for bad in ({"status": "dibakar"}, {}):
        response = _post(client, f"/peringatan/{alert_id}/status", **bad)
        assert response.status_code == 400 and ("Pilihan tidak sah." in response.get_data(as_text=True)
                                                or "Isi status baru." in response.get_data(as_text=True))
    with session_scope(demo_engine) as session:
        assert session.get(Alert, alert_id).status == "baru"


def test_dismissing_an_alert_from_the_web_recomputes_the_levels(as_user, demo_engine):
    client = as_user("operator")
    with session_scope(demo_engine) as session:
        burst = [a.id for a in session.scalars(select(Alert).where(
            Alert.first_seen_day.between(date(2026, 11, 12), date(2026, 11, 14)))) if "62.02" in a.kabupaten]
    for alert_id in burst:
        assert _post(client, f"/peringatan/{alert_id}/status", status="bukan_konflik",
                     note="berita lama").status_code == 302
    with session_scope(demo_engine) as session:
        assert next(c for c in level_board(session, DAY) if c.code == "62.02").level == "normal"
    assert 'data-kode="62.02" data-tingkat="normal"' in get_page(client, f"/?tanggal={DAY.isoformat()}")


def test_an_operator_links_an_alert_to_an_action(as_user, demo_engine):
    alert_id = _alert_id(demo_engine, "Ratusan buruh kebun sawit")  # the plan gap of the demo (Barito Utara)
    with session_scope(demo_engine) as session:
        options = link_choices(session, alert_id)
    assert {o.plan_region for o in options} == {"62.05", "62"}
    client = as_user("operator")
    page = get_page(client, f"/peringatan/{alert_id}")
    assert "Celah rencana: tidak ada aksi RAD-PKS" in page
    assert {int(v) for v in re.findall(r'<option value="(\d+)">', page)} == {o.id for o in options}
    assert _post(client, f"/peringatan/{alert_id}/tautan", action="999999").status_code == 400
    response = _post(client, f"/peringatan/{alert_id}/tautan", action=str(options[0].id), note="aksi mediasi")
    assert response.status_code == 302
    page = get_page(client, f"/peringatan/{alert_id}")
    assert "ditautkan petugas" in page and f"#aksi-{options[0].id}" in page and "CELAH RENCANA" not in page
    with session_scope(demo_engine) as session:
        assert session.scalar(select(PlanLink.kind).where(PlanLink.action_id == options[0].id,
                                                          PlanLink.cluster_id == session.get(Alert, alert_id).cluster_id)) == "manual"
    assert [e.details for e in _audit(demo_engine, "alert.link_action")] == [{"action": options[0].code}]


def test_an_analyst_corrects_categories_and_kabupaten(as_user, demo_engine):
    alert_id = _alert_id(demo_engine, "Petani plasma di Cempaga")
    client = as_user("analis")
    response = _post(client, f"/peringatan/{alert_id}/koreksi", categories=[], kabupaten=["62.02"])
    assert response.status_code == 400 and "Pilih setidaknya satu kategori" in response.get_data(as_text=True)
    response = client.post(f"/peringatan/{alert_id}/koreksi", data={
        "csrf_token": client.token, "categories": ["perkebunan", "ketenagakerjaan"], "kabupaten": ["62.02", "62.06"],
        "note": "juga di Katingan"})
    assert response.status_code == 302
    with session_scope(demo_engine) as session:
        alert = session.get(Alert, alert_id)
        assert (alert.categories, alert.kabupaten) == (["ketenagakerjaan", "perkebunan"], ["62.02", "62.06"])
        labels = list(session.scalars(select(LabelCorrection).where(LabelCorrection.alert_id == alert_id)))
        assert labels and all(label.kabupaten == ["62.02", "62.06"] for label in labels)
    assert _audit(demo_engine, "alert.correct")[0].actor == "analis"
    page = get_page(client, f"/peringatan/{alert_id}")
    assert "koreksi label" in page and "juga di Katingan" in page
    bad = _post(client, f"/peringatan/{alert_id}/koreksi", categories=["bukan-kategori"])
    assert bad.status_code == 400 and "bukan pilihan yang sah" in html.unescape(bad.get_data(as_text=True))


@pytest.mark.parametrize("username, path, data", [
    ("staf", "status", {"status": "ditinjau"}),
    ("staf", "tautan", {"action": "1"}),
    ("staf", "koreksi", {"categories": "perkebunan"}),
    ("operator", "koreksi", {"categories": "perkebunan"}),
    ("operator", "gabung", {"other": "2"}),
    ("staf", "pisah", {"article": "1"}),
])
def test_a_role_without_the_permission_is_refused_and_nothing_changes(as_user, demo_engine, username, path, data):
    alert_id = _alert_id(demo_engine, "Petani plasma di Cempaga")
    response = _post(as_user(username), f"/peringatan/{alert_id}/{path}", **data)
    assert response.status_code == 403
    with session_scope(demo_engine) as session:
        assert session.get(Alert, alert_id).status == "baru"
        assert session.scalars(select(AuditEntry).where(AuditEntry.action.like("alert.%"))).first() is None


def test_every_change_needs_the_csrf_token(as_user, demo_engine):
    alert_id = _alert_id(demo_engine, "Petani plasma di Cempaga")
    client = as_user("admin")
    for path, data in (("status", {"status": "ditinjau"}), ("tautan", {"action": "1"}),
                       ("koreksi", {"categories": "perkebunan"}), ("gabung", {"other": "2"})):
        for token in (None, "salah", client.token[:-4] + "AAAA"):
            sent = dict(data, **({"csrf_token": token} if token else {}))
            response = client.post(f"/peringatan/{alert_id}/{path}", data=sent)
            assert response.status_code == 400 and "token keamanan" in response.get_data(as_text=True)
    with session_scope(demo_engine) as session:
        assert session.get(Alert, alert_id).status == "baru"


def test_the_filters_fold_away_naming_those_in_use(as_user):
    client = as_user("staf")
    page = get_page(client, "/peringatan?kabupaten=62.02&q=sawit&urut=skor")
    assert '<details class="filters card">' in page
    assert "<summary>Saringan: Kotawaringin Timur · “sawit”</summary>" in page
    assert '<details class="filters card" open>' in get_page(client, "/peringatan?urut=skor")
