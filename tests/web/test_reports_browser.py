"""A real browser (Debian's Chromium through Playwright) on the demo database served by waitress: an operator
builds the B12 2026 report of Kotawaringin Timur, attaches two alerts, writes a follow-up, submits it, downloads
the XLSX and the DOCX (opened with openpyxl and python-docx), and starts a corrected version that leaves the first
intact. Pages are photographed at 1366x768 and 390x844 into /tmp/waspada-screens/laporan/."""
from __future__ import annotations

import re

import docx
import openpyxl
from sqlalchemy import delete, select

from monitor.db.models import Alert, PlanLink
from monitor.db.session import session_scope
from monitor.reports.docx import HEADINGS
from tests.web.conftest import USER_PASSWORD, photograph, watch_page_problems

GROUP = "laporan"
UNLINKED = ("Massa bakar pos satpam", "Petani plasma di Cempaga")




def _unlink(engine) -> list[int]:
    """Two Kotim alerts of B12 whose plan links are removed (plan gaps), so the report does not start with them."""
    ids = []
    with session_scope(engine) as session:
        for title in UNLINKED:
            alert = session.scalar(select(Alert).where(Alert.title.like(f"{title}%")))
            session.execute(delete(PlanLink).where(PlanLink.cluster_id == alert.cluster_id))
            alert.plan_gap = True
            ids.append(alert.id)
    return ids


def test_an_operator_builds_submits_downloads_and_corrects_the_kotim_b12_report(demo_live_server, demo_engine,
                                                                                 browser_page, screenshot_dir, tmp_path):
    page, base = browser_page, demo_live_server
    problems = watch_page_problems(page)
    chosen = _unlink(demo_engine)

    page.goto(f"{base}/laporan")
    page.get_by_label("Nama pengguna").fill("operator")
    page.get_by_label("Kata sandi").fill(USER_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{base}/laporan")
    page.get_by_label("Wilayah", exact=True).select_option("62.02")
    page.get_by_label("Tahun", exact=True).fill("2026")
    page.get_by_label("Periode", exact=True).select_option("B12")
    page.get_by_role("button", name="Buat laporan").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/laporan/\d+$"))
    report_url = page.url
    assert "Laporan dibuat" in page.get_by_role("status").first.inner_text()
    assert page.locator("#status-laporan").inner_text() == "Draf"
    attached = page.locator("#peringatan tr[id^=lampiran-]")
    before = attached.count()
    assert before == 5  # the demo's seven Kotim alerts of B12 less the two without a plan link

    for alert_id in chosen:
        page.get_by_role("button", name=f"Lampirkan peringatan #{alert_id}").click()
        page.wait_for_url(f"{report_url}#peringatan")
        assert f"Peringatan #{alert_id} dilampirkan." in page.get_by_role("status").first.inner_text()
    assert attached.count() == before + 2
    for alert_id in chosen:
        assert page.locator(f"#lampiran-{alert_id}").is_visible()

    action = page.locator("article.report-action").filter(has_text="1.2 ·")
    action.get_by_label("Tindak lanjut").fill("Tim Terpadu memediasi warga dan PT SML di Cempaga; pemantauan lanjutan.")
    action.get_by_label("Realisasi").fill("Dua kali mediasi")
    action.get_by_label("Capaian (%)").fill("80")
    action.get_by_label("Data dukung (tautan http/https, satu per baris)").fill("https://kesbangpol.example.id/bukti-1")
    action.get_by_role("button", name="Simpan aksi 1.2").click()
    page.wait_for_url(re.compile(r"#aksi-\d+$"))
    assert page.get_by_role("status").first.inner_text() == "Tindak lanjut dan realisasi disimpan."
    page.get_by_label("Nama penandatangan").fill("Drs. Contoh Pejabat")
    page.get_by_label("Tempat penandatanganan").fill("Sampit")
    page.get_by_role("button", name="Simpan sampul").click()
    page.wait_for_url(f"{report_url}#sampul")
    photograph(page, screenshot_dir, "01-draf", GROUP)

    page.get_by_role("button", name="Ajukan laporan").click()
    page.wait_for_url(report_url)
    assert page.locator("#status-laporan").inner_text() == "Diajukan"
    assert page.get_by_role("button", name="Simpan aksi 1.2").count() == 0  # locked: no form left
    assert "Dua kali mediasi" in page.locator("article.report-action").filter(has_text="1.2 ·").inner_text()
    photograph(page, screenshot_dir, "02-diajukan", GROUP)

    files = {}
    for fmt, label in (("xlsx", "Unduh matriks XLSX"), ("docx", "Unduh laporan DOCX")):
        with page.expect_download() as download:
            page.get_by_role("link", name=label).click()
        files[fmt] = tmp_path / download.value.suggested_filename
        download.value.save_as(files[fmt])
    assert files["docx"].name == "laporan-radpks-62.02-2026-B12-v1.docx"
    workbook = openpyxl.load_workbook(files["xlsx"])
    header = [c.value for c in workbook["Rencana Aksi"][1]]
    rows = [dict(zip(header, [c.value for c in row])) for row in workbook["Rencana Aksi"].iter_rows(min_row=2)]
    row = next(r for r in rows if r["Kode Aksi"] == "1.2")
    assert (row["Kode Wilayah"], row["Realisasi B12"], row["Capaian % B12"]) == ("62.02", "Dua kali mediasi", 80)
    assert row["Data Dukung B12"] == "https://kesbangpol.example.id/bukti-1"
    alert_ids = {r[1] for r in workbook["Peringatan"].iter_rows(min_row=2, values_only=True)}
    assert set(chosen) <= alert_ids and len(alert_ids) == before + 2
    document = docx.Document(str(files["docx"]))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [HEADINGS[k] for k in ("map", "table", "alerts", "gaps", "follow_up")]
    cover = "\n".join(p.text for p in document.paragraphs)
    assert "KABUPATEN KOTAWARINGIN TIMUR" in cover and "Drs. Contoh Pejabat" in cover and "Sampit" in cover
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "Tim Terpadu memediasi warga" in cells and all(title in cells for title in UNLINKED)

    page.get_by_role("button", name="Buat versi baru (koreksi)").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/laporan/\d+$"))
    assert page.url != report_url and page.locator("#status-laporan").inner_text() == "Draf"
    action = page.locator("article.report-action").filter(has_text="1.2 ·")
    action.get_by_label("Realisasi").fill("Tiga kali mediasi")
    action.get_by_role("button", name="Simpan aksi 1.2").click()
    page.wait_for_url(re.compile(r"#aksi-\d+$"))
    page.get_by_role("navigation", name="Versi laporan").get_by_role("link", name="versi 1").click()
    page.wait_for_url(report_url)
    first = page.locator("article.report-action").filter(has_text="1.2 ·").inner_text()
    assert "Dua kali mediasi" in first and "Tiga kali mediasi" not in first  # the first version is intact
    photograph(page, screenshot_dir, "03-versi-1", GROUP)
    page.goto(f"{base}/laporan")
    assert page.locator("table.report-list tbody tr").count() == 2
    photograph(page, screenshot_dir, "04-daftar", GROUP)
    assert problems == []
