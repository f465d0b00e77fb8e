"""The RAD-PKS plans page (plans, linked alerts and realisation news, import of a plan file from the browser,
XLSX export) and the daily digest page, through Flask's test client on the demo database."""
from __future__ import annotations

import html
import io
import re
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from monitor.db.models import Alert, AuditEntry, Plan
from monitor.db.session import session_scope
from monitor.plans.store import load_plans
from monitor.plans.validate import load_plan_files
from monitor.plans.xlsx_format import ACTION_SHEET, PLAN_SHEET
from monitor.service import users
from monitor.web import create_app
from monitor.web.plans import upload_name
from tests.web.conftest import SECRET_KEY, get_page, with_web
from tests.web.pages import links

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"




def _row(page: str, action_code: str, plan_id: int) -> str:
    """The table row of one action within one plan's section."""
    section = page[page.index(f'id="rencana-{plan_id}"'):]
    section = section[:section.index("</section>")]
    match = re.search(rf'<tr id="aksi-\d+">\s*<td data-label="Kode" class="code">{re.escape(action_code)}</td>.*?</tr>',
                      section, re.S)
    assert match, action_code
    return match.group(0)


def _plan_id(engine, region: str) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(Plan.id).where(Plan.region_code == region))


def _tables(engine) -> dict:
    """What an import may change: the plans as stored, and the audit entries."""
    with session_scope(engine) as session:
        return {"plans": load_plans(session), "audit": session.scalar(select(func.count()).select_from(AuditEntry))}


# --------------------------------------------------------------------------- plans


def test_the_plans_of_the_year_with_linked_alerts_and_realisation_news(as_user, demo_engine):
    page = get_page(as_user("staf"), "/rencana")
    assert page.count('<section class="plan card"') == 15  # the province and the 14 kabupaten/kota of 2026
    assert "CONTOH, bukan rencana resmi" in page
    kotim = _plan_id(demo_engine, "62.02")
    row = _row(page, "1.2", kotim)  # mapping of plantation conflict: the Kotim alerts
    with session_scope(demo_engine) as session:
        kotim_alerts = {a.id for a in session.scalars(select(Alert)) if "62.02" in a.kabupaten}
    linked = {int(i) for i in re.findall(r'href="/peringatan/(\d+)"', row)}
    assert linked and linked <= kotim_alerts
    assert "Badan Kesbangpol Kabupaten Kotawaringin Timur" in row and "<strong>B04</strong>:" in row
    news = _row(page, "3.1", kotim)  # the mediation of 18 November is realisation, linked to the article itself
    assert re.search(r'<a href="https://[^"]+" rel="noopener noreferrer nofollow">Pemkab Kotim mediasi sengketa plasma',
                     news)
    assert "18 Nov" in news
    # one region
    page = get_page(as_user("staf"), "/rencana?tahun=2026&wilayah=62.02")
    assert page.count('<section class="plan card"') == 1 and "Kabupaten Kotawaringin Timur 2026" in page
    assert "/rencana/ekspor?tahun=2026&amp;wilayah=62.02" in page


@pytest.mark.parametrize("query, message", [
    ("tahun=dua-ribu", "Tahun 'dua-ribu' tidak sah: tulis empat angka, misalnya 2026."),
    ("wilayah=62.99", "Wilayah '62.99' tidak dikenal"),
])
def test_bad_plan_filters_are_explained(as_user, query, message):
    for path in ("/rencana", "/rencana/ekspor"):
        response = as_user("staf").get(f"{path}?{query}")
        assert response.status_code == 400 and message in html.unescape(response.get_data(as_text=True))


def test_a_year_without_plans(as_user):
    page = get_page(as_user("staf"), "/rencana?tahun=2031")
    assert "Tidak ada rencana untuk pilihan ini." in page


def test_staff_download_the_xlsx_matrix(as_user, demo_engine):
    response = as_user("staf").get("/rencana/ekspor?tahun=2026&wilayah=62.02")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == "attachment; filename=radpks-2026-62.02.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert {PLAN_SHEET, ACTION_SHEET} <= set(workbook.sheetnames)
    actions = [row for row in workbook[ACTION_SHEET].iter_rows(min_row=2, values_only=True) if any(row)]
    with session_scope(demo_engine) as session:
        [kotim] = load_plans(session, 2026, "62.02")
    assert len(actions) == len(kotim.actions)
    everything = openpyxl.load_workbook(io.BytesIO(as_user("staf").get("/rencana/ekspor").data))
    assert len([r for r in everything[PLAN_SHEET].iter_rows(min_row=2, values_only=True) if any(r)]) == 15


def _exported(client, tmp_path: Path, name: str, query: str = "tahun=2026&wilayah=62.02") -> Path:
    path = tmp_path / name
    path.write_bytes(client.get(f"/rencana/ekspor?{query}").data)
    return path


def _cell(sheet, header: str, row: int):
    headers = [c.value for c in sheet[1]]
    return sheet.cell(row=row, column=headers.index(header) + 1)


def _upload(client, path: Path, filename: str | None = None):
    with path.open("rb") as handle:
        return client.post("/rencana/impor", data={"csrf_token": client.token,
                                                   "plan_file": (handle, filename or path.name)},
                           content_type="multipart/form-data")


def test_an_operator_imports_a_plan_file_from_the_browser(as_user, demo_engine, tmp_path):
    client = as_user("operator")
    path = _exported(client, tmp_path, "RAD-PKS Kotim 2026.xlsx")
    workbook = openpyxl.load_workbook(path)
    actions = workbook[ACTION_SHEET]
    _cell(actions, "Kegiatan", 2).value = "Sosialisasi P3AKS, diperbarui dari peramban"
    workbook.save(path)
    response = _upload(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/rencana?tahun=2026&wilayah=62.02"
    page = get_page(client, response.headers["Location"])
    assert "1 rencana diimpor (6 rencana aksi): 2026 Kabupaten Kotawaringin Timur diganti." in html.unescape(page)
    assert "Sosialisasi P3AKS, diperbarui dari peramban" in page
    assert "dari RAD-PKS Kotim 2026.xlsx" in page
    row = _row(page, "1.2", _plan_id(demo_engine, "62.02"))
    assert re.search(r'href="/peringatan/\d+"', row)  # actions that kept their code kept their alerts
    with session_scope(demo_engine) as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "plans.import"))
        assert (entry.actor, entry.details["plans"], entry.address) == ("operator", ["2026 62.02"], "127.0.0.1")


def test_a_broken_xlsx_shows_every_problem_and_changes_nothing(as_user, demo_engine, tmp_path):
    client = as_user("operator")
    path = _exported(client, tmp_path, "rusak.xlsx")
    workbook = openpyxl.load_workbook(path)
    actions = workbook[ACTION_SHEET]
    _cell(actions, "Bidang", 2).value = "pencegahn"
    _cell(actions, "Kategori", 3).value = "perkebunan; kebun"
    _cell(actions, "Capaian % B04", 4).value = 120
    _cell(workbook[PLAN_SHEET], "Status", 2).value = "aktif"
    workbook.save(path)
    before = _tables(demo_engine)
    response = _upload(client, path)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Impor dibatalkan: 4 masalah ditemukan; tidak ada rencana yang diubah." in page
    shown = re.findall(r"<li>(rusak\.xlsx [^<]+)</li>", page)
    _plans, problems = load_plan_files([path])  # what `waspada plans validate/import` prints, line by line
    assert shown == [str(p) for p in problems]
    assert "rusak.xlsx lembar 'Rencana Aksi' baris 2 kolom 'Bidang': 'pencegahn' bukan bidang yang dikenal " \
           "(pencegahan, penghentian, pemulihan)" in shown
    assert any(line.startswith("rusak.xlsx lembar 'Rencana Aksi' baris 3 kolom 'Kategori': 'kebun' bukan kode "
                               "kategori yang dikenal") for line in shown)
    assert _tables(demo_engine) == before


@pytest.mark.parametrize("content, filename, message", [
    (b"tahun;wilayah\n2026;62\n", "rencana.csv", "rencana.csv: jenis berkas '.csv' tidak dikenal: gunakan .yaml, "
                                                 ".yml atau .xlsx (simpan ulang dari Excel sebagai .xlsx)"),
    (b"bukan zip", "rencana.xlsx", "rencana.xlsx"),
    (b"plans: [", "../../etc/rencana.yaml", "rencana.yaml baris"),
])
def test_unusable_files_are_refused_with_their_problem(as_user, demo_engine, tmp_path, content, filename, message):
    path = tmp_path / "upload"
    path.write_bytes(content)
    before = _tables(demo_engine)
    response = _upload(as_user("operator"), path, filename)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and "tidak ada rencana yang diubah" in page
    assert message in page
    assert _tables(demo_engine) == before


def test_an_import_without_a_file_or_too_large_is_refused(as_user, demo_engine, demo_settings, tmp_path):
    client = as_user("operator")
    response = client.post("/rencana/impor", data={"csrf_token": client.token}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Pilih berkas rencana yang akan diimpor." in response.get_data(as_text=True)
    small = create_app(demo_engine, with_web(demo_settings, max_upload_bytes=4096), SECRET_KEY)
    client = as_user("operator", small)
    path = tmp_path / "besar.yaml"
    path.write_bytes(b"#" * 2 * 1024 * 1024)  # beyond the app's limit (4 KiB plus the 1 MiB allowed for the form)
    before = _tables(demo_engine)
    response = _upload(client, path)
    assert response.status_code == 413
    assert "Berkas terlalu besar: berkas rencana paling besar 0.00390625 MiB." in response.get_data(as_text=True)
    assert _tables(demo_engine) == before
    # every other form keeps the small limit
    response = client.post("/peringatan/1/status", data={"csrf_token": client.token, "note": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_staff_cannot_import(as_user, demo_engine, tmp_path):
    client = as_user("staf")
    assert 'action="/rencana/impor"' not in get_page(client, "/rencana")
    before = _tables(demo_engine)
    assert _upload(client, _exported(client, tmp_path, "a.xlsx")).status_code == 403
    assert _tables(demo_engine) == before


@pytest.mark.parametrize("given, expected", [
    ("RAD-PKS Kotim.xlsx", "RAD-PKS Kotim.xlsx"), ("../../etc/passwd.xlsx", "passwd.xlsx"),
    ("C:\\Users\\op\\rencana.yaml", "rencana.yaml"), (".xlsx", "rencana"), ("", "rencana"), (None, "rencana"),
    ("a\x00b\n.yaml", "ab.yaml"), ("x" * 300 + ".xlsx", "x" * 115 + ".xlsx"),
])
def test_upload_names_stay_inside_the_temporary_folder(given, expected):
    assert upload_name(given) == expected


# --------------------------------------------------------------------------- digest


def test_the_digest_page_of_a_day(as_user, demo_engine):
    response = as_user("staf").get("/ringkasan?tanggal=2026-11-15")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ringkasan 15 November 2026" in page and "Cakupan: seluruh Kalimantan Tengah." in page
    for title in ("Warga Telawang pasang portal", "Massa bakar pos satpam"):  # the new alerts of 14 November
        assert title in page
    hrefs = links(page)
    assert "/ringkasan?tanggal=2026-11-14" in hrefs and "/ringkasan?tanggal=2026-11-16" in hrefs
    assert any(re.fullmatch(r"http://localhost/peringatan/\d+", h) for h in hrefs)
    assert "http://localhost/peringatan?kabupaten=62.02" in hrefs  # the map
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-hashes'" in csp and "'unsafe-inline'" not in csp and csp.count("'sha256-") > 10


def test_the_digest_page_follows_the_users_subscription(as_user, demo_engine):
    with session_scope(demo_engine) as session:
        users.set_subscription(session, "admin", "staf", ["62.01"], [], True)
    page = get_page(as_user("staf"), "/ringkasan?tanggal=2026-11-15")
    assert "Sesuai langganan Anda: Kabupaten Kotawaringin Barat." in page
    assert "Massa bakar pos satpam" not in page
    assert "Tidak ada peringatan baru pada 14 November 2026 dalam cakupan Anda." in page
    other = get_page(as_user("operator"), "/ringkasan?tanggal=2026-11-15")  # no subscription: the whole province
    assert "Massa bakar pos satpam" in other



def test_the_server_takes_a_plan_file_as_large_as_the_limit(demo_app, demo_settings):
    from monitor.web.app import MAX_FORM_BYTES
    from monitor.web.server import make_server

    server = make_server(demo_app, "127.0.0.1", 0)
    try:
        assert server.adj.max_request_body_size == demo_settings.web.max_upload_bytes + MAX_FORM_BYTES
    finally:
        server.close()
