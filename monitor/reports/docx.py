"""A report as the narrative DOCX (python-docx): cover with region, period and signatory block, the level map,
alerts by category and level, the alert list with sources and dates, the plan gaps, the follow-ups and
realisation per action, and (province) the kabupaten/kota roll-up."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from monitor.alerts.levels import LEVELS
from monitor.render.dates import long_date
from monitor.render.map import map_png
from monitor.reports import text as T
from monitor.reports.content import AlertEntry, ReportContent
from monitor.reports.periods import period_label

TITLE = "LAPORAN PELAKSANAAN RENCANA AKSI DAERAH PENANGANAN KONFLIK SOSIAL (RAD-PKS)"
HEADINGS = {
    "map": "1. Peta Tingkat Kewaspadaan",
    "table": "2. Peringatan per Kategori dan Tingkat",
    "alerts": "3. Daftar Peringatan",
    "gaps": "4. Celah Rencana",
    "follow_up": "5. Tindak Lanjut dan Realisasi Rencana Aksi",
    "rollup": "6. Rekap Laporan Kabupaten/Kota",
}
STATUS_TEXT = {"draf": "DRAF (belum diajukan)", "diajukan": "Diajukan", "pratinjau": "PRATINJAU (laporan belum dibuat)"}


def _table(document, headers: list[str], rows: list[list[str]]):
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(title).bold = True
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = T.xml_text(str(value))
    return table


def _cover(document, content: ReportContent) -> None:
    for text, size, bold in ((TITLE, 14, True), (content.region_name.upper(), 13, True),
                             (f"Periode {period_label(content.year, content.period)}", 12, False),
                             (f"Versi {content.version} · {STATUS_TEXT.get(content.status, content.status)}", 11,
                              False)):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(T.xml_text(text))
        run.bold, run.font.size = bold, Pt(size)
    if content.plan is not None:
        plan = content.plan
        line = f"Rencana: {plan.title}" + (f" ({plan.document_ref})" if plan.document_ref else "")
        if plan.example:
            line += " — CONTOH, bukan rencana resmi"
        document.add_paragraph(T.xml_text(line)).alignment = WD_ALIGN_PARAGRAPH.CENTER
    else:
        document.add_paragraph(f"Belum ada rencana RAD-PKS {content.region_name} tahun {content.year} tersimpan.")
    if content.summary:
        document.add_paragraph(T.xml_text(content.summary))
    document.add_paragraph(
        f"Ringkasan: {len(content.actions)} rencana aksi, {len(content.alerts)} peringatan terlampir, "
        f"{len(content.gaps)} peringatan tanpa rencana aksi (celah rencana).")
    signed_at = T.wib_day(content.submitted_at) if content.submitted_at else "...................."
    block = document.add_paragraph()
    block.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    block.add_run(T.xml_text(f"{content.signed_place or '....................'}, {signed_at}\n"))
    block.add_run(T.xml_text(f"{content.signer_title or 'Kepala Badan Kesatuan Bangsa dan Politik'}\n\n\n\n"))
    block.add_run(T.xml_text(content.signer_name or "(nama penandatangan)")).bold = True
    block.add_run(T.xml_text(f"\nNIP. {content.signer_nip or '-'}"))
    if content.submitted_by:
        document.add_paragraph(f"Diajukan oleh {content.submitted_by} pada {T.wib(content.submitted_at)}.")


def _by_category_and_level(alerts: list[AlertEntry]) -> list[list[str]]:
    counts: dict[str, dict[str, int]] = {}
    for alert in alerts:
        for code in alert.categories or [""]:
            row = counts.setdefault(code, {level: 0 for level in LEVELS})
            row[alert.level] += 1
    rows = [[T.category_name(code) if code else "Tanpa kategori", *(str(row[level]) for level in LEVELS),
             str(sum(row.values()))] for code, row in sorted(counts.items(), key=lambda item: item[0] or "~")]
    rows.append(["Jumlah peringatan", *(str(sum(1 for a in alerts if a.level == level)) for level in LEVELS),
                 str(len(alerts))])
    return rows


def _alert_rows(alerts: list[AlertEntry]) -> list[list[str]]:
    return [[str(n), T.wib(a.first_seen_at), f"{a.title} (#{a.id})", T.categories(a), T.places(a),
             T.LEVEL_NAMES.get(a.level, a.level), ", ".join(a.action_codes) or "-",
             "\n".join(T.source_line(s) for s in a.sources) or "-"] for n, a in enumerate(alerts, start=1)]


ALERT_HEADERS = ["No", "Tanggal (WIB)", "Judul", "Kategori", "Kabupaten/Kota", "Tingkat", "Aksi", "Sumber"]


def build_docx(content: ReportContent) -> DocxDocument:
    """The narrative report as a python-docx Document."""
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))
    document.core_properties.title = f"Laporan RAD-PKS {content.region_name} {content.period} {content.year}"
    document.core_properties.language = "id-ID"
    _cover(document, content)
    document.add_page_break()

    document.add_heading(HEADINGS["map"], level=1)
    document.add_picture(io.BytesIO(map_png(content.levels, width=900)), width=Cm(17))
    document.add_paragraph(f"Tingkat kewaspadaan tertinggi tiap kabupaten/kota selama periode, sampai "
                           f"{long_date(date.fromisoformat(content.levels_day))}.")

    document.add_heading(HEADINGS["table"], level=1)
    _table(document, ["Kategori", *(T.LEVEL_NAMES[level] for level in LEVELS), "Jumlah"],
           _by_category_and_level(content.alerts))

    document.add_heading(HEADINGS["alerts"], level=1)
    if content.alerts:
        _table(document, ALERT_HEADERS, _alert_rows(content.alerts))
    else:
        document.add_paragraph("Tidak ada peringatan yang dilampirkan pada periode ini.")

    document.add_heading(HEADINGS["gaps"], level=1)
    if content.gaps:
        document.add_paragraph("Peringatan periode ini yang tidak tercakup satu pun rencana aksi:")
        _table(document, ALERT_HEADERS, _alert_rows(content.gaps))
    else:
        document.add_paragraph("Tidak ada celah rencana pada periode ini.")

    document.add_heading(HEADINGS["follow_up"], level=1)
    rows = []
    for entry in content.actions:
        action, realisation = entry.data, content.realisation(entry)
        evidence = [*realisation.evidence, *(T.source_line(s) for s in entry.news if s.url not in realisation.evidence)]
        rows.append([action.code, f"{T.BIDANG_NAMES.get(action.bidang, action.bidang)}: {action.kegiatan}",
                     action.target.get(content.period, "") or "-", realisation.realisasi or "-",
                     T.percent(realisation.capaian_persen), realisation.kendala or "-", entry.tindak_lanjut or "-",
                     ", ".join(f"#{i}" for i in entry.alert_ids) or "-", "\n".join(evidence) or "-"])
    if rows:
        _table(document, ["Kode", "Kegiatan", f"Target {content.period}", "Realisasi", "Capaian", "Kendala",
                          "Tindak lanjut", "Peringatan", "Data dukung"], rows)
    else:
        document.add_paragraph("Tidak ada rencana aksi.")

    if content.rollup:
        document.add_heading(HEADINGS["rollup"], level=1)
        _table(document, ["Kabupaten/Kota", "Versi", "Diajukan", "Rencana aksi", "Rata-rata capaian", "Peringatan",
                          "Celah rencana"],
               [[r.region_name, str(r.version) if r.version else "belum diajukan",
                 T.wib(r.submitted_at) if r.submitted_at else "-", str(r.n_actions), T.percent(r.mean_capaian),
                 str(r.n_alerts), str(r.n_gaps)] for r in content.rollup])
    return document


def write_report_docx(content: ReportContent, path: Path) -> None:
    """Write the narrative report to `path`."""
    build_docx(content).save(str(path))
