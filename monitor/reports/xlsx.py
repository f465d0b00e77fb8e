"""A report as the RAD-PKS XLSX matrix: the sheets and headers of `waspada plans export` (so the file can be
imported again), the period's realisation filled in, then sheets of follow-ups, alerts, plan gaps and (province)
the kabupaten/kota roll-up. Written by monitor.plans.xlsx_format, which writes every text as a string cell."""
from __future__ import annotations

from pathlib import Path

from monitor.plans.xlsx_format import ExtraSheet, write_xlsx
from monitor.reports import text as T
from monitor.reports.content import AlertEntry, ReportContent

FOLLOW_UP_SHEET = "Tindak Lanjut"
ALERT_SHEET = "Peringatan"
GAP_SHEET = "Celah Rencana"
ROLLUP_SHEET = "Rekap Kabupaten"
ALERT_HEADERS = ("No", "ID Peringatan", "Tanggal (WIB)", "Judul", "Kategori", "Kabupaten/Kota", "Tingkat", "Status",
                 "Aksi RAD-PKS", "Sumber")
WIDTHS = {"No": 5, "ID Peringatan": 10, "Tanggal (WIB)": 18, "Judul": 60, "Sumber": 80, "Tindak Lanjut": 60,
          "Kegiatan": 50, "Kabupaten/Kota": 28}


def _alert_rows(alerts: list[AlertEntry]) -> list[dict]:
    return [{"No": n, "ID Peringatan": a.id, "Tanggal (WIB)": T.wib(a.first_seen_at), "Judul": a.title,
             "Kategori": T.categories(a), "Kabupaten/Kota": T.places(a), "Tingkat": T.LEVEL_NAMES.get(a.level, a.level),
             "Status": T.STATUS_NAMES.get(a.status, a.status), "Aksi RAD-PKS": "; ".join(a.action_codes) or "-",
             "Sumber": "\n".join(T.source_line(s) for s in a.sources)}
            for n, a in enumerate(alerts, start=1)]


def report_sheets(content: ReportContent) -> list[ExtraSheet]:
    """The sheets after the matrix."""
    follow_ups = ExtraSheet(FOLLOW_UP_SHEET, ("Kode Aksi", "Kegiatan", "Tindak Lanjut", "Peringatan Terkait",
                                              "Berita Penanganan"),
                            [{"Kode Aksi": e.data.code, "Kegiatan": e.data.kegiatan, "Tindak Lanjut": e.tindak_lanjut,
                              "Peringatan Terkait": "; ".join(f"#{i}" for i in e.alert_ids),
                              "Berita Penanganan": "\n".join(T.source_line(s) for s in e.news)}
                             for e in content.actions], WIDTHS)
    sheets = [follow_ups, ExtraSheet(ALERT_SHEET, ALERT_HEADERS, _alert_rows(content.alerts), WIDTHS),
              ExtraSheet(GAP_SHEET, ALERT_HEADERS, _alert_rows(content.gaps), WIDTHS)]
    if content.rollup:
        sheets.append(ExtraSheet(
            ROLLUP_SHEET, ("Kode Wilayah", "Kabupaten/Kota", "Versi", "Diajukan (WIB)", "Rencana Aksi",
                           "Rata-rata Capaian %", "Peringatan", "Celah Rencana"),
            [{"Kode Wilayah": r.region, "Kabupaten/Kota": r.region_name,
              "Versi": r.version if r.version is not None else "belum diajukan",
              "Diajukan (WIB)": T.wib(r.submitted_at) if r.submitted_at else "-", "Rencana Aksi": r.n_actions,
              "Rata-rata Capaian %": r.mean_capaian, "Peringatan": r.n_alerts, "Celah Rencana": r.n_gaps}
             for r in content.rollup], WIDTHS))
    return sheets


def write_report_xlsx(content: ReportContent, path: Path) -> None:
    """Write the report's matrix workbook to `path`."""
    write_xlsx(content.matrix_plans(), Path(path), report_sheets(content))
