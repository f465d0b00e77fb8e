"""RAD-PKS period reports on SQLite and PostgreSQL: pre-filling from the period's linked alerts (WIB bounds),
attach/detach and follow-up (checked, audited), submission (a frozen snapshot, locked, realisation written into the
plan), versions that keep the earlier ones intact, the operator's region, the province roll-up, and the XLSX and
DOCX files (opened with openpyxl and python-docx; no text ever becomes a formula)."""
from __future__ import annotations

import docx
import openpyxl
import pytest
from sqlalchemy import select

from monitor.db.models import ActionRealisation, Alert, AuditEntry, Report
from monitor.db.session import session_scope
from monitor.plans.validate import load_plan_file
from monitor.plans.xlsx_format import ACTION_COLUMNS, PLAN_COLUMNS
from monitor.reports.docx import HEADINGS
from monitor.reports.periods import PeriodError, parse_period, period_days
from monitor.service import reports as R
from tests.monitor.report_data import action_id, add_story, kotim_period, utc

KOTIM = "62.02"


@pytest.fixture
def kotim(engine):
    with session_scope(engine) as session:
        ids = kotim_period(session)
    return ids


def _create(engine, region=KOTIM, actor="operator", actor_region=None) -> int:
    with session_scope(engine) as session:
        return R.create_report(session, region, 2026, "B12", actor, actor_region)


def _content(engine, report_id):
    with session_scope(engine) as session:
        return R.report_content(session, report_id)


def _audit(engine) -> list[tuple[str, str]]:
    with session_scope(engine) as session:
        return [(e.action, e.target) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_periods_are_four_months_of_wib_days():
    assert period_days(2026, "B04") == (period_days(2026, "B04")[0].replace(month=1, day=1),
                                        period_days(2026, "B04")[0].replace(month=4, day=30))
    assert [str(d) for d in period_days(2024, "B08")] == ["2024-05-01", "2024-08-31"]
    assert [str(d) for d in period_days(2026, "B12")] == ["2026-09-01", "2026-12-31"]
    assert parse_period(" 2026-b12 ") == (2026, "B12")
    for bad in ("2026-B06", "2026", "B12-2026", ""):
        with pytest.raises(PeriodError):
            parse_period(bad)


def test_a_new_report_is_prefilled_from_the_periods_linked_alerts_realisation_and_news(engine, kotim):
    report_id = _create(engine)
    content = _content(engine, report_id)
    # linked to a Kotim action and first seen in B12 (WIB): the one of 1 September 00:30 WIB too; not the one of
    # 31 August 23:30 WIB, not a dismissed one, not one linked only to the province plan
    assert {a.id for a in content.alerts} == {kotim["linked"], kotim["first_hour"]}
    assert [a.id for a in content.gaps] == [kotim["gap"]]
    assert content.status == "draf" and content.version == 1 and content.plan.title.startswith("CONTOH RAD-PKS Kotim")
    [entry] = content.actions
    assert entry.data.code == "KOTIM-1" and sorted(entry.alert_ids) == sorted([kotim["linked"], kotim["first_hour"]])
    realisation = content.realisation(entry)
    assert (realisation.realisasi, realisation.capaian_persen, realisation.kendala) == ("Satu mediasi", 50, "Anggaran")
    assert realisation.evidence == ["https://kesbangpol.example.id/bukti-1", "https://antara.example.id/mediasi"]
    assert [s.title for s in entry.news] == ["Mediasi sengketa plasma di Cempaga berhasil"]
    linked = next(a for a in content.alerts if a.id == kotim["linked"])
    assert linked.level == "awas" and linked.action_codes == ["KOTIM-1"]  # Kotim was Awas on 14 November
    assert [s.outlet for s in linked.sources] == ["Radar Sampit"] and linked.sources[0].url.startswith("https://")
    assert content.levels == {KOTIM: "awas"}  # the highest level of the period
    assert _audit(engine) == [("report.create", f"report:{report_id}")]
    with session_scope(engine) as session, pytest.raises(R.ReportError, match="sudah ada"):
        R.create_report(session, KOTIM, 2026, "B12", "operator")


def test_attach_detach_and_follow_up_are_checked_and_audited(engine, kotim):
    report_id = _create(engine)
    with session_scope(engine) as session:
        candidates = [a.id for a in R.attach_candidates(session, report_id)]
        assert candidates == [kotim["province"], kotim["gap"]]  # Kotim alerts of B12 not attached, newest first
        R.attach_alert(session, report_id, kotim["gap"], "operator")
        R.detach_alert(session, report_id, kotim["first_hour"], "operator")
        with pytest.raises(R.ReportError, match="sudah terlampir"):
            R.attach_alert(session, report_id, kotim["gap"], "operator")
        with pytest.raises(R.ReportError, match="tidak ada"):
            R.attach_alert(session, report_id, 999_999, "operator")
        with pytest.raises(R.ReportError, match="tidak terlampir"):
            R.detach_alert(session, report_id, kotim["first_hour"], "operator")
    kotim_1 = _action(engine)
    for kwargs, field in (({"capaian": "150"}, "capaian"), ({"capaian": "banyak"}, "capaian"),
                          ({"evidence": "javascript:alert(1)"}, "evidence"), ({"kendala": "x" * 4001}, "kendala")):
        with session_scope(engine) as session, pytest.raises(R.ReportError) as refused:
            R.save_action(session, report_id, kotim_1, "operator", **kwargs)
        assert refused.value.field == field
    with session_scope(engine) as session:
        R.save_action(session, report_id, kotim_1, "operator", tindak_lanjut="Mediasi kedua dijadwalkan",
                      realisasi="Dua mediasi", capaian="85,5", kendala="",
                      evidence="https://a.example.id/1\nhttps://a.example.id/2")
        R.save_cover(session, report_id, "operator", signer_name="Drs. Contoh", signer_nip="19750101 200001 1 001",
                     signed_place="Sampit", signer_title="Kepala Badan Kesbangpol Kotim")
        with pytest.raises(R.ReportError, match="NIP"):
            R.save_cover(session, report_id, "operator", signer_nip="12345")
        with pytest.raises(R.ReportError, match="bukan bagian"):
            R.save_action(session, report_id, action_id(session, "PROV-7"), "operator", realisasi="x")
    content = _content(engine, report_id)
    assert {a.id for a in content.alerts} == {kotim["linked"], kotim["gap"]}
    realisation = content.realisation(content.actions[0])
    assert (realisation.realisasi, realisation.capaian_persen) == ("Dua mediasi", 85.5)
    assert realisation.evidence == ["https://a.example.id/1", "https://a.example.id/2"]
    assert content.actions[0].tindak_lanjut == "Mediasi kedua dijadwalkan" and content.signer_nip == "197501012000011001"
    actions = [a for a, _ in _audit(engine)]
    assert actions == ["report.create", "report.attach", "report.detach", "report.action", "report.cover"]


def _action(engine, code="KOTIM-1") -> int:
    with session_scope(engine) as session:
        return action_id(session, code)


def test_a_submitted_report_is_frozen_locked_and_written_into_the_plan(engine, kotim):
    report_id = _create(engine)
    kotim_1 = _action(engine)
    with session_scope(engine) as session:
        R.save_action(session, report_id, kotim_1, "operator", realisasi="Dua mediasi", capaian="100",
                      tindak_lanjut="Selesai")
        submitted = R.submit_report(session, report_id, "operator")
    assert submitted.status == "diajukan" and submitted.submitted_by == "operator"
    with session_scope(engine) as session:
        alert = session.get(Alert, kotim["linked"])
        alert.title = "Judul diubah sesudah laporan diajukan"
        stored = session.scalar(select(ActionRealisation).where(ActionRealisation.action_id == kotim_1,
                                                                ActionRealisation.period == "B12"))
        assert (stored.realisasi, stored.capaian_persen) == ("Dua mediasi", 100)  # the plan shows what was submitted
        add_story(session, "Peringatan baru sesudah diajukan", utc(2026, 11, 30, 1), [KOTIM], link="KOTIM-1")
    after = _content(engine, report_id)
    assert after == submitted  # read from the snapshot: later changes in the database do not reach it
    assert "Warga blokade kebun sawit di Cempaga" in [a.title for a in after.alerts]
    for change in (lambda s: R.attach_alert(s, report_id, kotim["gap"], "operator"),
                   lambda s: R.detach_alert(s, report_id, kotim["linked"], "operator"),
                   lambda s: R.save_action(s, report_id, kotim_1, "operator", realisasi="lain"),
                   lambda s: R.save_cover(s, report_id, "operator", signer_name="lain"),
                   lambda s: R.submit_report(s, report_id, "operator")):
        with session_scope(engine) as session, pytest.raises(R.ReportError, match="terkunci"):
            change(session)
    assert _content(engine, report_id) == submitted


def test_a_report_and_its_audit_entry_are_stored_together(engine, kotim, monkeypatch):
    """On SQLite a savepoint opened before any write was the whole transaction: its release committed the report
    alone, and a failing audit entry left it behind."""
    def refuse(*args, **kwargs):
        raise RuntimeError("catatan audit gagal")

    monkeypatch.setattr(R.audit, "record", refuse)
    with pytest.raises(RuntimeError, match="audit"):
        _create(engine)
    with session_scope(engine) as session:
        assert session.scalars(select(Report.id)).all() == []
    monkeypatch.undo()
    assert _content(engine, _create(engine)).version == 1


def test_a_correction_is_a_new_version_and_the_first_stays_intact(engine, kotim):
    first = _create(engine)
    with session_scope(engine) as session:
        R.save_action(session, first, _action(engine), "operator", realisasi="Versi satu", capaian="40")
        R.submit_report(session, first, "operator")
        with pytest.raises(R.ReportError, match="sudah ada"):
            R.create_report(session, KOTIM, 2026, "B12", "operator")
    v1 = _content(engine, first)
    with session_scope(engine) as session:
        second = R.new_version(session, first, "operator2")
    with session_scope(engine) as session:
        with pytest.raises(R.ReportError, match="versi terakhir"):
            R.new_version(session, first, "operator")  # only from the latest version, which is the draft now
        R.save_action(session, second, _action(engine), "operator2", realisasi="Versi dua", capaian="90")
        R.attach_alert(session, second, kotim["gap"], "operator2")
    v2 = _content(engine, second)
    assert (v2.version, v2.status) == (2, "draf")
    assert v2.realisation(v2.actions[0]).realisasi == "Versi dua" and len(v2.alerts) == 3
    assert _content(engine, first) == v1 and v1.realisation(v1.actions[0]).realisasi == "Versi satu"
    with session_scope(engine) as session:
        R.submit_report(session, second, "operator2")
        rows = R.versions(session, second)
        assert [(r.version, r.status) for r in rows] == [(2, "diajukan"), (1, "diajukan")]
        assert R.find_report(session, KOTIM, 2026, "B12") == second
        assert R.find_report(session, KOTIM, 2026, "B12", version=1) == first
        realisation = session.scalar(select(ActionRealisation).where(ActionRealisation.period == "B12",
                                                                     ActionRealisation.action_id == _action(engine)))
        assert realisation.realisasi == "Versi dua"
    assert _content(engine, first) == v1
    assert [a for a, _ in _audit(engine)].count("report.new_version") == 1


def test_an_operator_changes_only_the_reports_of_their_region(engine, kotim):
    with session_scope(engine) as session, pytest.raises(R.ReportError, match="Wilayah kerja"):
        R.create_report(session, KOTIM, 2026, "B12", "operator-barsel", actor_region="62.04")
    report_id = _create(engine, actor_region="62")  # a province operator works on every region
    with session_scope(engine) as session, pytest.raises(R.ReportError, match="Wilayah kerja"):
        R.attach_alert(session, report_id, kotim["gap"], "operator-barsel", actor_region="62.04")
    with session_scope(engine) as session:
        R.attach_alert(session, report_id, kotim["gap"], "operator-kotim", actor_region=KOTIM)
    with session_scope(engine) as session, pytest.raises(R.ReportError, match="Wilayah"):
        R.create_report(session, "99.99", 2026, "B12", "operator")


def test_the_province_report_rolls_up_the_submitted_kabupaten_reports(engine, kotim, tmp_path):
    kotim_report = _create(engine)
    with session_scope(engine) as session:
        R.save_action(session, kotim_report, _action(engine), "operator", realisasi="Dua mediasi", capaian="80")
        R.submit_report(session, kotim_report, "operator")
    province = _create(engine, region="62")
    content = _content(engine, province)
    assert [a.id for a in content.alerts] == [kotim["province"]]  # linked to the province plan's action
    assert {a.id for a in content.gaps} == {kotim["gap"], kotim["elsewhere"]}  # every kabupaten's plan gaps
    rows = {r.region: r for r in content.rollup}
    assert len(rows) == 14 and rows[KOTIM].version == 1 and rows[KOTIM].mean_capaian == 80
    assert rows[KOTIM].n_alerts == 2 and rows["62.04"].report_id is None
    path = tmp_path / "provinsi.xlsx"
    R.write_content(content, "xlsx", path)
    clean, problems = load_plan_file(path)  # the report's matrix imports as a plan file
    assert problems == [] and [p.region for p in clean] == ["62", KOTIM]
    kotim_plan = next(p for p in clean if p.region == KOTIM)
    assert kotim_plan.actions[0].realisasi["B12"].realisasi == "Dua mediasi"
    workbook = openpyxl.load_workbook(path)
    rollup = list(workbook["Rekap Kabupaten"].iter_rows(values_only=True))
    assert rollup[0][:3] == ("Kode Wilayah", "Kabupaten/Kota", "Versi")
    assert next(r for r in rollup if r[0] == KOTIM)[2] == 1
    with session_scope(engine) as session:
        submitted = R.submit_report(session, province, "operator-provinsi")
    assert _content(engine, province) == submitted and submitted.rollup == content.rollup  # the snapshot reads back


def test_the_xlsx_is_the_plans_matrix_with_the_period_filled_and_the_docx_has_every_section(engine, kotim, tmp_path):
    report_id = _create(engine)
    with session_scope(engine) as session:
        R.save_action(session, report_id, _action(engine), "operator", realisasi="Dua mediasi", capaian="75",
                      kendala="Cuaca", tindak_lanjut="Pemantauan lanjutan", evidence="https://a.example.id/1")
        R.save_cover(session, report_id, "operator", signer_name="Drs. Contoh", signed_place="Sampit")
        content = R.report_content(session, report_id)
    xlsx, docx_path = tmp_path / "laporan.xlsx", tmp_path / "laporan.docx"
    R.write_content(content, "xlsx", xlsx)
    R.write_content(content, "docx", docx_path)
    workbook = openpyxl.load_workbook(xlsx)
    assert workbook.sheetnames[:3] == ["Rencana", "Rencana Aksi", "Petunjuk"]
    assert workbook.sheetnames[3:] == ["Tindak Lanjut", "Peringatan", "Celah Rencana"]
    assert [c.value for c in workbook["Rencana"][1]] == list(PLAN_COLUMNS)
    header = [c.value for c in workbook["Rencana Aksi"][1]]
    assert header == list(ACTION_COLUMNS)  # the headers `waspada plans export` writes
    row = dict(zip(header, [c.value for c in workbook["Rencana Aksi"][2]]))
    assert (row["Kode Aksi"], row["Realisasi B12"], row["Capaian % B12"], row["Kendala B12"]) == \
           ("KOTIM-1", "Dua mediasi", 75, "Cuaca")
    assert row["Data Dukung B12"] == "https://a.example.id/1" and row["Realisasi B04"] == "Rapat koordinasi"
    assert row["Target B12"] == "2 mediasi"
    alerts = list(workbook["Peringatan"].iter_rows(values_only=True))
    assert alerts[0][:4] == ("No", "ID Peringatan", "Tanggal (WIB)", "Judul")
    assert {r[1] for r in alerts[1:]} == {kotim["linked"], kotim["first_hour"]}
    linked = next(r for r in alerts[1:] if r[1] == kotim["linked"])
    assert linked[2] == "2026-11-14 10:00 WIB" and linked[6] == "Awas" and "Radar Sampit" in linked[9]
    follow_up = list(workbook["Tindak Lanjut"].iter_rows(values_only=True))
    assert follow_up[1][:3] == ("KOTIM-1", "Pemetaan dan mediasi konflik perkebunan sawit", "Pemantauan lanjutan")

    document = docx.Document(str(docx_path))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [HEADINGS[k] for k in ("map", "table", "alerts", "gaps", "follow_up")]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "KABUPATEN KOTAWARINGIN TIMUR" in text and "Periode B12 (September-Desember) 2026" in text
    assert "Drs. Contoh" in text and "Sampit" in text and "DRAF" in text
    assert len(document.inline_shapes) == 1  # the map
    by_level, alert_list, gaps, follow_ups = document.tables
    assert [c.text for c in by_level.rows[0].cells] == ["Kategori", "Normal", "Waspada", "Siaga", "Awas", "Jumlah"]
    assert [c.text for c in by_level.rows[-1].cells] == ["Jumlah peringatan", "1", "0", "0", "1", "2"]
    assert any("Warga blokade kebun sawit di Cempaga" in c.text for c in alert_list.rows[1].cells + alert_list.rows[2].cells)
    assert "Sengketa tapal batas desa di Kotim" in gaps.rows[1].cells[2].text
    assert [c.text for c in follow_ups.rows[1].cells][:7] == ["KOTIM-1", "Pencegahan: Pemetaan dan mediasi konflik "
                                                              "perkebunan sawit", "2 mediasi", "Dua mediasi", "75%",
                                                              "Cuaca", "Pemantauan lanjutan"]


FORMULAS = ("=HYPERLINK(\"http://x.example/\",\"klik\")", "+1+1", "-2+3", "@SUM(1,1)", "\t=1+1", "\r=1+1")


def test_no_feed_or_operator_text_becomes_a_formula(engine, kotim, tmp_path):
    with session_scope(engine) as session:
        ids = [add_story(session, text, utc(2026, 11, 15, n), [KOTIM], link="KOTIM-1", outlet=f"=Outlet {n}")
               for n, text in enumerate(FORMULAS)]
    report_id = _create(engine)
    with session_scope(engine) as session:
        R.save_action(session, report_id, _action(engine), "operator", realisasi=FORMULAS[0], kendala="@cmd|' /C calc'!A0",
                      tindak_lanjut="=1+1", capaian="")
        R.submit_report(session, report_id, "operator")
        content = R.report_content(session, report_id)
    path = tmp_path / "laporan.xlsx"
    R.write_content(content, "xlsx", path)
    workbook = openpyxl.load_workbook(path)  # not data_only: a formula would be read as one
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert cells and all(c.data_type in ("s", "n") for c in cells)
    values = {c.value for c in cells}
    assert set(FORMULAS[:4]) <= values and "=1+1" in values and "@cmd|' /C calc'!A0" in values
    titles = [c.value for c in workbook["Peringatan"]["D"][1:]]
    assert [t for t in titles if t.strip() in {f.strip() for f in FORMULAS}]  # stored as the text it was
    assert len(ids) == len(FORMULAS)
    R.write_content(content, "docx", tmp_path / "laporan.docx")
    document = docx.Document(str(tmp_path / "laporan.docx"))
    cell_text = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert FORMULAS[0] in cell_text and "=Outlet 0" in cell_text


def test_a_preview_stores_nothing(engine, kotim):
    with session_scope(engine) as session:
        content = R.preview(session, KOTIM, 2026, "B12")
        assert content.report_id is None and content.status == "pratinjau" and len(content.alerts) == 2
        assert session.scalar(select(Report.id)) is None
