"""The Laporan pages through Flask's test client on the demo database: who may do what, an operator's report from
creation to a second version, refusals shown next to their field, locked submitted versions, the downloads."""
from __future__ import annotations

import io
import re

import docx
import openpyxl
from sqlalchemy import select

from monitor.db.models import Alert, AuditEntry, PlanAction, Report
from monitor.db.session import session_scope
from monitor.service import reports
from tests.web.conftest import get_page


def _report_id(response) -> int:
    assert response.status_code == 302, response.status_code
    return int(re.search(r"/laporan/(\d+)$", response.headers["Location"]).group(1))


def _create(client, region="62.02", year="2026", period="B12"):
    return client.post("/laporan/buat", data={"csrf_token": client.token, "region": region, "year": year,
                                               "period": period})


def _docx_text(data: bytes) -> str:
    """Every paragraph and table cell of a DOCX, in order."""
    document = docx.Document(io.BytesIO(data))
    return "\n".join([p.text for p in document.paragraphs] +
                     [c.text for t in document.tables for r in t.rows for c in r.cells])


def _kotim_action(engine, code="1.2") -> int:
    with session_scope(engine) as session:
        return session.scalar(select(PlanAction.id).where(PlanAction.code == code, PlanAction.plan.has(region_code="62.02")))


def test_staff_read_reports_but_cannot_create_or_change_them(as_user, demo_engine):
    with session_scope(demo_engine) as session:
        report_id = reports.create_report(session, "62.02", 2026, "B12", "operator")
    staff = as_user("staf")
    listing = get_page(staff, "/laporan")
    assert "Buat laporan" not in listing and "Kabupaten Kotawaringin Timur" in listing
    page = get_page(staff, f"/laporan/{report_id}")
    assert "Ajukan laporan" not in page and "Simpan aksi" not in page and "Lampirkan" not in page
    assert staff.get(f"/laporan/{report_id}/unduh/docx").status_code == 200
    for path in ("/laporan/buat", f"/laporan/{report_id}/ajukan", f"/laporan/{report_id}/lampirkan",
                 f"/laporan/{report_id}/versi-baru", f"/laporan/{report_id}/sampul"):
        assert staff.post(path, data={"csrf_token": staff.token, "alert": "1"}).status_code == 403, path
    with session_scope(demo_engine) as session:
        assert session.scalar(select(Report.status)) == "draf"
    assert staff.get(f"/laporan/{report_id}/unduh/pdf").status_code == 404
    assert staff.get("/laporan/999999").status_code == 404


def test_an_operator_builds_submits_and_corrects_a_report(as_user, demo_engine):
    operator = as_user("operator")
    assert "Buat laporan" in get_page(operator, "/laporan")
    refused = _create(operator, year="20x6")
    assert refused.status_code == 400 and "Tulis tahun dengan empat angka" in refused.get_data(as_text=True)
    report_id = _report_id(_create(operator))
    again = _create(operator)
    assert again.status_code == 400 and "sudah ada" in again.get_data(as_text=True)

    page = get_page(operator, f"/laporan/{report_id}")
    attached = re.findall(r'<tr id="lampiran-(\d+)"', page)
    assert len(attached) == 7  # the demo's Kotim alerts of B12, all linked to Kotim actions
    first = int(attached[0])
    assert operator.post(f"/laporan/{report_id}/lepas/{first}", data={"csrf_token": operator.token}).status_code == 302
    page = get_page(operator, f"/laporan/{report_id}")
    assert f'id="lampiran-{first}"' not in page and f'id="calon-{first}"' in page  # now offered to attach
    response = operator.post(f"/laporan/{report_id}/lampirkan", data={"csrf_token": operator.token, "alert": "abc"})
    assert response.status_code == 400 and "Tulis nomor peringatan" in response.get_data(as_text=True)
    assert operator.post(f"/laporan/{report_id}/lampirkan",
                         data={"csrf_token": operator.token, "alert": f"#{first}"}).status_code == 302

    action = _kotim_action(demo_engine)
    prefix = f"aksi-{action}-"
    bad = operator.post(f"/laporan/{report_id}/aksi/{action}", data={
        "csrf_token": operator.token, prefix + "capaian": "120", prefix + "realisasi": "Dua mediasi"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "capaian harus antara 0 dan 100 persen" in text.lower()
    assert 'aria-invalid="true"' in text and "Dua mediasi" in text  # the operator's input is kept in the form
    saved = operator.post(f"/laporan/{report_id}/aksi/{action}", data={
        "csrf_token": operator.token, prefix + "tindak_lanjut": "Mediasi lanjutan <b>minggu depan</b>",
        prefix + "realisasi": "Dua mediasi", prefix + "capaian": "75", prefix + "kendala": "",
        prefix + "evidence": "https://kesbangpol.example.id/bukti"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"#aksi-{action}")
    cover = operator.post(f"/laporan/{report_id}/sampul", data={
        "csrf_token": operator.token, "signer_name": "Drs. Contoh", "signer_nip": "123"})
    assert cover.status_code == 400 and "NIP ditulis 18 angka" in cover.get_data(as_text=True)

    assert operator.post(f"/laporan/{report_id}/ajukan", data={"csrf_token": operator.token}).status_code == 302
    page = get_page(operator, f"/laporan/{report_id}")
    assert "Diajukan oleh operator" in page and "Simpan aksi" not in page and "Buat versi baru" in page
    assert "Mediasi lanjutan &lt;b&gt;minggu depan&lt;/b&gt;" in page  # operator text is escaped
    locked = operator.post(f"/laporan/{report_id}/lepas/{first}", data={"csrf_token": operator.token},
                           follow_redirects=True)
    assert "terkunci" in locked.get_data(as_text=True)
    v1_docx = operator.get(f"/laporan/{report_id}/unduh/docx")
    assert v1_docx.headers["Content-Disposition"].endswith("laporan-radpks-62.02-2026-B12-v1.docx")

    second = _report_id(operator.post(f"/laporan/{report_id}/versi-baru", data={"csrf_token": operator.token}))
    operator.post(f"/laporan/{second}/aksi/{action}", data={"csrf_token": operator.token,
                                                           prefix + "realisasi": "Tiga mediasi"})
    page = get_page(operator, f"/laporan/{second}")
    assert "Versi 2" in page and "Ajukan laporan" in page and f'href="/laporan/{report_id}"' in page
    assert _docx_text(operator.get(f"/laporan/{report_id}/unduh/docx").data) == _docx_text(v1_docx.data)  # v1 intact
    workbook = openpyxl.load_workbook(io.BytesIO(operator.get(f"/laporan/{report_id}/unduh/xlsx").data))
    header = [c.value for c in workbook["Rencana Aksi"][1]]
    rows = [dict(zip(header, [c.value for c in row])) for row in workbook["Rencana Aksi"].iter_rows(min_row=2)]
    assert next(r for r in rows if r["Kode Aksi"] == "1.2")["Realisasi B12"] == "Dua mediasi"
    assert "Tiga mediasi" in _docx_text(operator.get(f"/laporan/{second}/unduh/docx").data)
    assert "Tiga mediasi" not in _docx_text(v1_docx.data)
    with session_scope(demo_engine) as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).where(AuditEntry.action.like("report.%"))
                                                     .order_by(AuditEntry.id))]
    assert actions == ["report.create", "report.detach", "report.attach", "report.action", "report.submit",
                       "report.new_version", "report.action"]


def test_feed_text_on_the_report_page_is_escaped(as_user, demo_engine):
    with session_scope(demo_engine) as session:
        alert = session.scalar(select(Alert).where(Alert.title.like("Massa bakar pos satpam%")))  # a Kotim alert
        alert.title = '<script>alert("x")</script> Bentrok'
        report_id = reports.create_report(session, "62.02", 2026, "B12", "operator")
    page = get_page(as_user("operator"), f"/laporan/{report_id}")
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Bentrok" in page
