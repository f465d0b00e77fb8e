"""`waspada report ...` as a user runs it (the `cli` fixture of tests/monitor/conftest.py): export a preview, a draft, a submitted
version and the province roll-up as XLSX and DOCX (opened with openpyxl and python-docx), list, submit, refusals."""
from __future__ import annotations

import shutil

import docx
import openpyxl

from monitor.db.session import open_database, session_scope
from monitor.reports.docx import HEADINGS
from monitor.service import reports
from tests.monitor.report_data import action_id, kotim_period


def _rows(path, sheet="Rencana Aksi") -> list[dict]:
    worksheet = openpyxl.load_workbook(path)[sheet]
    header = [c.value for c in worksheet[1]]
    return [dict(zip(header, [c.value for c in row])) for row in worksheet.iter_rows(min_row=2)]


def _copy(path):
    """`path` as a .xlsx file (openpyxl goes by the suffix): --format decides the content, not the name."""
    return shutil.copyfile(path, path.with_suffix(".xlsx"))


def test_report_export_list_and_submit(cli, tmp_path):
    engine = open_database(cli.db_url)
    with session_scope(engine) as session:
        kotim_period(session)
    preview = cli("report", "export", "--kabupaten", "62.02", "--period", "2026-B12", "--output", "pratinjau.xlsx")
    assert "pratinjau: laporan belum dibuat" in preview.stdout and "2 peringatan, 1 celah rencana" in preview.stdout
    assert _rows(tmp_path / "pratinjau.xlsx")[0]["Realisasi B12"] == "Satu mediasi"
    assert "Belum ada laporan" in cli("report", "list").stdout

    with session_scope(engine) as session:
        report_id = reports.create_report(session, "62.02", 2026, "B12", "operator")
        reports.save_action(session, report_id, action_id(session, "KOTIM-1"), "operator", realisasi="Dua mediasi",
                            capaian="90", tindak_lanjut="Pemantauan")
    engine.dispose()
    cli("report", "export", "-k", "62.02", "-p", "2026-B12", "-o", "draf.docx")
    document = docx.Document(str(tmp_path / "draf.docx"))
    assert "DRAF" in "\n".join(p.text for p in document.paragraphs)
    submitted = cli("report", "submit", "-k", "62.02", "-p", "2026-B12", "--oleh", "operator-kotim")
    assert "versi 1 diajukan dan dikunci (2 peringatan)" in submitted.stdout
    again = cli("report", "submit", "-k", "62.02", "-p", "2026-B12", check=1)
    assert "terkunci" in again.stderr

    cli("report", "export", "--kabupaten", "62.02", "--period", "2026-B12", "--format", "xlsx", "--output", "laporan-v1")
    row = _rows(_copy(tmp_path / "laporan-v1"))[0]
    assert (row["Kode Aksi"], row["Realisasi B12"], row["Capaian % B12"]) == ("KOTIM-1", "Dua mediasi", 90)
    cli("report", "export", "--kabupaten", "62.02", "--period", "2026-B12", "--format", "docx", "--output", "v1.docx")
    document = docx.Document(str(tmp_path / "v1.docx"))
    assert [p.text for p in document.paragraphs if p.style.name.startswith("Heading")] == \
           [HEADINGS[k] for k in ("map", "table", "alerts", "gaps", "follow_up")]
    assert "Diajukan oleh operator-kotim" in "\n".join(p.text for p in document.paragraphs)

    province = cli("report", "export", "--kabupaten", "62", "--period", "2026-B12", "--output", "provinsi.xlsx")
    assert "Provinsi Kalimantan Tengah" in province.stdout
    rollup = {r["Kode Wilayah"]: r for r in _rows(tmp_path / "provinsi.xlsx", "Rekap Kabupaten")}
    assert rollup["62.02"]["Versi"] == 1 and rollup["62.02"]["Rata-rata Capaian %"] == 90
    assert rollup["62.04"]["Versi"] == "belum diajukan"
    assert {r["Kode Wilayah"] for r in _rows(tmp_path / "provinsi.xlsx")} == {"62", "62.02"}
    cli("report", "export", "--kabupaten", "62", "--period", "2026-B12", "--output", "provinsi.docx")
    headings = [p.text for p in docx.Document(str(tmp_path / "provinsi.docx")).paragraphs
                if p.style.name.startswith("Heading")]
    assert headings[-1] == HEADINGS["rollup"]

    listing = cli("report", "list").stdout
    assert "2026-B12" in listing and "Diajukan" in listing
    assert "tidak dapat dibaca" in cli("report", "export", "-k", "62.02", "-p", "2026-B06", "-o", "x.xlsx",
                                       check=2).stderr
    assert "tidak dikenal" in cli("report", "export", "-k", "63.01", "-p", "2026-B12", "-o", "x.xlsx", check=2).stderr
    assert "xlsx atau docx" in cli("report", "export", "-k", "62.02", "-p", "2026-B12", "-o", "x.pdf", check=2).stderr
    assert "versi 3 tidak ada" in cli("report", "export", "-k", "62.02", "-p", "2026-B12", "-o", "x.xlsx",
                                      "--version", "3", check=1).stderr
    assert not (tmp_path / "x.xlsx").exists()
