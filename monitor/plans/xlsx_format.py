"""RAD-PKS plans as the XLSX matrix operators work in: written with XlsxWriter, read with openpyxl.

Layout (one workbook, any number of plans):

* sheet ``Rencana``: one row per plan: Tahun, Kode Wilayah, Nama Wilayah (for reading only,
  ignored on import), Judul, Status, Nomor Dokumen, Contoh (ya/tidak);
* sheet ``Rencana Aksi``: one row per action, the plan named by its Tahun and Kode Wilayah:
  No (ignored on import), Tahun, Kode Wilayah, Kode Aksi, Bidang, Program, Kegiatan,
  Sasaran/Output, Indikator, Target B04/B08/B12, Penanggung Jawab (OPD), Instansi Terkait,
  Anggaran (Rp), Sumber Anggaran, Kategori, Wilayah, Kata Kunci, and per period B04, B08, B12:
  Realisasi, Capaian %, Kendala, Data Dukung;
* sheet ``Petunjuk``: how to fill it in, codes and their names (ignored on import).

Row 1 of each sheet is the header; columns are found by header (any order); columns that are not
required may be left out. Lists in a cell are separated by ";" (or line breaks). Empty rows are
skipped. A percentage-formatted Capaian cell (85 %) is read as 85. The zip is checked by
xlsx_guard.py before openpyxl reads it.
"""
from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor.plans import fields as F
from monitor.plans.schema import (
    BIDANG,
    PERIOD_NAMES,
    PERIODS,
    STATUSES,
    Cell,
    Loc,
    PlanData,
    Problem,
    RawAction,
    RawPlan,
    RawRecord,
)
from monitor.plans.xlsx_guard import DEFAULT_LIMITS, XlsxLimits, XlsxRefused, checked_workbook

PLAN_SHEET = "Rencana"
ACTION_SHEET = "Rencana Aksi"
HELP_SHEET = "Petunjuk"

# header -> field (None: informative column, ignored on import)
PLAN_COLUMNS: dict[str, str | None] = {
    "Tahun": "year",
    "Kode Wilayah": "region",
    "Nama Wilayah": None,
    "Judul": "title",
    "Status": "status",
    "Nomor Dokumen": "document_ref",
    "Contoh": "example",
}
PLAN_REQUIRED = ("Tahun", "Kode Wilayah", "Judul")

ACTION_COLUMNS: dict[str, str | None] = {
    "No": None,
    "Tahun": "year",
    "Kode Wilayah": "region",
    "Kode Aksi": "code",
    "Bidang": "bidang",
    "Program": "program",
    "Kegiatan": "kegiatan",
    "Sasaran/Output": "sasaran",
    "Indikator": "indikator",
    **{f"Target {p}": f"target:{p}" for p in PERIODS},
    "Penanggung Jawab (OPD)": "penanggung_jawab",
    "Instansi Terkait": "instansi_terkait",
    "Anggaran (Rp)": "anggaran",
    "Sumber Anggaran": "sumber_anggaran",
    "Kategori": "categories",
    "Wilayah": "places",
    "Kata Kunci": "keywords",
}
# the realisation columns of each period: the header's first part -> the realisation's field
REALISATION_FIELDS = {"Realisasi": "realisasi", "Capaian %": "capaian_persen", "Kendala": "kendala",
                      "Data Dukung": "evidence"}
for _p in PERIODS:
    ACTION_COLUMNS.update({f"{part} {_p}": f"real:{_p}:{field}" for part, field in REALISATION_FIELDS.items()})
ACTION_REQUIRED = ("Tahun", "Kode Wilayah", "Kode Aksi", "Bidang", "Program", "Kegiatan")
LIST_FIELDS = {"instansi_terkait", "categories", "places", "keywords", "evidence"}
# period columns with an unknown period ("Target B06") are recognised so the period can be reported
_PERIOD_HEADER = re.compile(r"^(target|realisasi|capaian %|capaian|kendala|data dukung)\s+(b\d+)$")
_PERIOD_FIELD = {"target": None, "realisasi": "realisasi", "capaian %": "capaian_persen",
                 "capaian": "capaian_persen", "kendala": "kendala", "data dukung": "evidence"}

COLUMN_WIDTHS = {
    "No": 5, "Tahun": 7, "Kode Wilayah": 10, "Nama Wilayah": 30, "Judul": 50, "Status": 10,
    "Nomor Dokumen": 36, "Contoh": 8, "Kode Aksi": 10, "Bidang": 13, "Program": 34, "Kegiatan": 44,
    "Sasaran/Output": 32, "Indikator": 32, "Penanggung Jawab (OPD)": 30, "Instansi Terkait": 40,
    "Anggaran (Rp)": 16, "Sumber Anggaran": 22, "Kategori": 22, "Wilayah": 18, "Kata Kunci": 26,
}


def _norm(header) -> str:
    return re.sub(r"\s+", " ", str(header or "")).strip().lower()


# --------------------------------------------------------------------------- reading


class _SheetReader:
    """Rows of one sheet as {header: Cell}, after checking the header row."""

    def __init__(self, label: str, sheet_name: str, columns: dict[str, str | None], required: tuple[str, ...]):
        self.label = label
        self.sheet = sheet_name
        self.columns = columns
        self.required = required
        self.by_norm = {_norm(h): h for h in columns}

    def loc(self, row: int, header: str | None = None) -> Loc:
        return Loc(self.label, row, self.sheet, header)

    def read(self, ws, problems: list[Problem]) -> list[tuple[int, dict[str, Cell]]] | None:
        rows = ws.iter_rows(min_row=1)  # read-only sheets fill gaps with empty rows, so positions are rows
        header_row = next(rows, None)
        if header_row is None:
            problems.append(Problem(self.loc(1), "lembar kosong: baris 1 harus berisi judul kolom"))
            return None
        index: dict[int, str] = {}  # column position -> canonical header
        layout_ok = True
        for position, cell in enumerate(header_row):
            raw = cell.value
            if raw is None or str(raw).strip() == "":
                continue
            header = str(raw).strip()
            canonical = self.by_norm.get(_norm(header))
            if canonical is None:
                match = _PERIOD_HEADER.match(_norm(header))
                if match and match.group(2).upper() not in PERIODS:
                    problems.append(Problem(self.loc(1, header),
                                            f"periode '{match.group(2).upper()}' tidak dikenal (hanya "
                                            f"{', '.join(PERIODS)}: Januari-April, Mei-Agustus, September-Desember)"))
                else:
                    close = difflib.get_close_matches(_norm(header), list(self.by_norm), n=1, cutoff=0.75)
                    hint = f" (maksudnya '{self.by_norm[close[0]]}'?)" if close else ""
                    problems.append(Problem(self.loc(1, header), f"judul kolom tidak dikenal{hint}"))
                layout_ok = False
                continue
            if canonical in index.values():
                problems.append(Problem(self.loc(1, header), "judul kolom ini ada dua kali"))
                layout_ok = False
                continue
            index[position] = canonical
        missing = [h for h in self.required if h not in index.values()]
        if missing:
            problems.append(Problem(self.loc(1), "kolom wajib tidak ada di baris judul: " +
                                    ", ".join(f"'{h}'" for h in missing)))
            layout_ok = False
        if not layout_ok:
            return None
        result = []
        for row_number, row_cells in enumerate(rows, start=2):
            values: dict[str, Any] = {}  # canonical header -> the cell's value
            for position, cell in enumerate(row_cells):
                column = index.get(position)
                if column is None:
                    continue
                value = cell.value
                if isinstance(value, str):
                    value = value.strip() or None
                if (isinstance(value, (int, float)) and not isinstance(value, bool)
                        and "%" in (getattr(cell, "number_format", "") or "")):
                    value = round(value * 100, 6)  # 0.85 shown as 85 %
                values[column] = value
            if all(v is None for h, v in values.items() if self.columns[h] is not None):
                continue  # an empty row (perhaps numbered in 'No')
            result.append((row_number,
                           {h: Cell(v, self.loc(row_number, h), F.cell_text(v)) for h, v in values.items()}))
        return result


def _list_cell(cell: Cell) -> Cell:
    """Split a "a; b" cell into item cells (all at the cell's place)."""
    if cell.value is None:
        return Cell([], cell.loc)
    parts = [p.strip() for p in re.split(r"[;\n]", cell.text or "")]
    return Cell([Cell(p, cell.loc, p) for p in parts if p], cell.loc)


def _record(cls, loc: Loc, columns: dict[str, str | None], cells: dict[str, Cell]):
    record = cls(loc=loc)
    for header, field in columns.items():
        if field is None or ":" in field:
            continue
        record.labels[field] = header
        if header in cells:
            cell = cells[header]
            record.fields[field] = _list_cell(cell) if field in LIST_FIELDS else cell
    return record


def _action(row: int, cells: dict[str, Cell], sheet: _SheetReader) -> RawAction:
    action = _record(RawAction, sheet.loc(row), ACTION_COLUMNS, cells)
    for period in PERIODS:
        header = f"Target {period}"
        if header in cells:
            action.targets.append((Cell(period, sheet.loc(row, header), period), cells[header]))
        record = RawRecord(loc=sheet.loc(row))
        for part, field in REALISATION_FIELDS.items():
            header = f"{part} {period}"
            record.labels[field] = header
            if header in cells and not cells[header].empty:
                cell = cells[header]
                record.fields[field] = _list_cell(cell) if field in LIST_FIELDS else cell
        if record.fields:
            action.realisations.append((Cell(period, sheet.loc(row, f"Realisasi {period}"), period), record))
    return action


def read_xlsx(path: Path, label: str | None = None,
              limits: XlsxLimits = DEFAULT_LIMITS) -> tuple[list[RawPlan], list[Problem]]:
    """Raw plans of an XLSX workbook and the problems of its layout (values are checked later);
    the zip is checked within `limits` before openpyxl reads it."""
    import openpyxl

    path = Path(path)
    label = label or path.name
    problems: list[Problem] = []
    try:
        content = checked_workbook(path, limits)
    except XlsxRefused as exc:
        return [], [Problem(Loc(label), str(exc))]
    except OSError as exc:
        return [], [Problem(Loc(label), f"berkas tidak dapat dibaca ({exc.strerror or exc})")]
    try:
        workbook = openpyxl.load_workbook(content, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any reason makes the file unreadable for the user
        return [], [Problem(Loc(label), _entities_refused(exc) or
                            f"tidak dapat dibaca sebagai berkas XLSX ({type(exc).__name__}: {exc})")]
    try:
        by_name = {_norm(name): name for name in workbook.sheetnames}
        missing = [name for name in (PLAN_SHEET, ACTION_SHEET) if _norm(name) not in by_name]
        if missing:
            return [], [Problem(Loc(label), f"lembar '{name}' tidak ditemukan (lembar yang ada: "
                                            f"{', '.join(workbook.sheetnames)}); gunakan templat dari "
                                            f"'waspada plans export --format xlsx'") for name in missing]
        plan_sheet = _SheetReader(label, by_name[_norm(PLAN_SHEET)], PLAN_COLUMNS, PLAN_REQUIRED)
        action_sheet = _SheetReader(label, by_name[_norm(ACTION_SHEET)], ACTION_COLUMNS, ACTION_REQUIRED)
        try:
            plan_rows = plan_sheet.read(workbook[plan_sheet.sheet], problems)
            action_rows = action_sheet.read(workbook[action_sheet.sheet], problems)
        except Exception as exc:  # noqa: BLE001 - a damaged sheet inside a readable zip
            return [], [Problem(Loc(label), _entities_refused(exc) or
                                f"isi berkas XLSX rusak ({type(exc).__name__}: {exc})")]
    finally:
        workbook.close()
    if plan_rows is None or action_rows is None:
        return [], problems

    plans: list[RawPlan] = []
    by_key: dict[tuple[int, str], RawPlan] = {}
    for row, cells in plan_rows:
        plan = _record(RawPlan, plan_sheet.loc(row), PLAN_COLUMNS, cells)
        plans.append(plan)
        key = _key(cells, [])
        if key is not None:
            by_key.setdefault(key, plan)
    for row, cells in action_rows:
        key = _key(cells, problems, action_sheet.loc(row))
        if key is None:
            continue
        plan = by_key.get(key)
        if plan is None:
            problems.append(Problem(action_sheet.loc(row, "Kode Wilayah"),
                                    f"rencana tahun {key[0]} wilayah {key[1]} tidak ada di lembar '{plan_sheet.sheet}' "
                                    f"(tambahkan barisnya di sana)"))
            continue
        plan.actions.append(_action(row, cells, action_sheet))
    return plans, problems


def _entities_refused(exc: BaseException) -> str | None:
    """The message for XML that declares entities (which openpyxl refuses through defusedxml, a
    dependency for this reason: entity expansion is an XML bomb), or None for any other failure."""
    from defusedxml import DefusedXmlException

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return (f"berkas XLSX ditolak: XML di dalamnya mendeklarasikan entitas atau DTD ({cause}), yang tidak "
                    f"pernah ditulis Excel")
        cause = cause.__cause__ or cause.__context__
    return None


def _key(cells: dict[str, Cell], problems: list[Problem], loc: Loc | None = None) -> tuple[int, str] | None:
    """(year, region) of a row; problems are reported only when `loc` is given (action rows)."""
    year_cell, region_cell = cells.get("Tahun"), cells.get("Kode Wilayah")
    ok = True
    if year_cell is None or year_cell.empty:
        if loc is not None:
            problems.append(Problem(loc.at("Tahun"), "wajib diisi"))
        ok = False
    if region_cell is None or region_cell.empty:
        if loc is not None:
            problems.append(Problem(loc.at("Kode Wilayah"), "wajib diisi"))
        ok = False
    if not ok or year_cell is None or region_cell is None:  # (the checks above, for the type checker)
        return None
    year = F.as_year(year_cell, problems)
    region = F.as_region(region_cell, problems)
    return (year, region) if year is not None and region is not None else None


# --------------------------------------------------------------------------- writing


def _join(values: list[str]) -> str:
    return "; ".join(values)


@dataclasses.dataclass(frozen=True)
class ExtraSheet:
    """A sheet written after the matrix (ignored on import): a header row, then one row per dict (by header)."""

    name: str
    headers: tuple[str, ...]
    rows: list[dict]
    widths: dict[str, int] = dataclasses.field(default_factory=dict)


def write_xlsx(plans: list[PlanData], path: Path, extra_sheets: Sequence[ExtraSheet] = ()) -> None:
    """Write `plans` as the operators' matrix (an empty list gives an empty template), then `extra_sheets`.

    Every text is written as a string cell (never a formula, number or link), whatever it starts with."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                               "strings_to_urls": False})
    try:
        header = workbook.add_format({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF",
                                      "text_wrap": True, "valign": "vcenter", "align": "center", "border": 1})
        period_header = {p: workbook.add_format({"bold": True, "bg_color": color, "font_color": "#000000",
                                                 "text_wrap": True, "valign": "vcenter", "align": "center",
                                                 "border": 1})
                         for p, color in zip(PERIODS, ("#DDEBF7", "#E2EFDA", "#FFF2CC"), strict=True)}
        text = workbook.add_format({"text_wrap": True, "valign": "top", "num_format": "@"})
        number = workbook.add_format({"valign": "top", "num_format": "#,##0"})
        plain = workbook.add_format({"valign": "top"})

        plan_ws = workbook.add_worksheet(PLAN_SHEET)
        action_ws = workbook.add_worksheet(ACTION_SHEET)
        help_ws = workbook.add_worksheet(HELP_SHEET)

        plan_headers = list(PLAN_COLUMNS)
        action_headers = list(ACTION_COLUMNS)
        n_actions = sum(len(p.actions) for p in plans)
        for ws, headers in ((plan_ws, plan_headers), (action_ws, action_headers)):
            for col, title in enumerate(headers):
                period = title.rsplit(" ", 1)[-1]
                fmt = period_header[period] if period in PERIODS and not title.startswith("Target") else header
                ws.write_string(0, col, title, fmt)
                numeric = title in ("No", "Tahun", "Anggaran (Rp)") or title.startswith("Capaian")
                width = COLUMN_WIDTHS.get(title, 12 if title.startswith("Capaian") else 28)
                ws.set_column(col, col, width, number if title == "Anggaran (Rp)" else plain if numeric else text)
            ws.set_row(0, 32)
            ws.freeze_panes(1, 0)
            ws.autofilter(0, 0, 0, len(headers) - 1)
        action_ws.freeze_panes(1, 4)

        # drop-down lists where the values are fixed
        last = max(1000, n_actions + 500)
        regions = list(F.region_names())
        for ws, headers, rows in ((plan_ws, plan_headers, max(100, len(plans) + 100)),
                                  (action_ws, action_headers, last)):
            col = headers.index("Kode Wilayah")
            ws.data_validation(1, col, rows, col, {"validate": "list", "source": regions,
                                                   "error_title": "Kode wilayah",
                                                   "error_message": "Pilih 62 atau kode kabupaten/kota."})
        plan_ws.data_validation(1, plan_headers.index("Status"), len(plans) + 100, plan_headers.index("Status"),
                                {"validate": "list", "source": list(STATUSES)})
        plan_ws.data_validation(1, plan_headers.index("Contoh"), len(plans) + 100, plan_headers.index("Contoh"),
                                {"validate": "list", "source": ["ya", "tidak"]})
        col = action_headers.index("Bidang")
        action_ws.data_validation(1, col, last, col, {"validate": "list", "source": list(BIDANG),
                                                      "error_message": "Bidang: " + ", ".join(BIDANG)})

        row = 1
        for plan_row, plan in enumerate(plans, start=1):
            year, region = plan.key
            values: dict[str, Any] = {
                "Tahun": year, "Kode Wilayah": region, "Nama Wilayah": F.region_name(region), "Judul": plan.title,
                "Status": plan.status, "Nomor Dokumen": plan.document_ref, "Contoh": "ya" if plan.example else "tidak"}
            _write_row(plan_ws, plan_row, plan_headers, values)
            for number_in_plan, action in enumerate(plan.actions, start=1):
                values = {
                    "No": number_in_plan, "Tahun": year, "Kode Wilayah": region, "Kode Aksi": action.code,
                    "Bidang": action.bidang, "Program": action.program, "Kegiatan": action.kegiatan,
                    "Sasaran/Output": action.sasaran, "Indikator": action.indikator,
                    **{f"Target {p}": action.target.get(p, "") for p in PERIODS},
                    "Penanggung Jawab (OPD)": action.penanggung_jawab,
                    "Instansi Terkait": _join(action.instansi_terkait), "Anggaran (Rp)": action.anggaran,
                    "Sumber Anggaran": action.sumber_anggaran, "Kategori": _join(action.categories),
                    "Wilayah": _join(action.places), "Kata Kunci": _join(action.keywords),
                }
                for period, realisation in action.realisasi.items():
                    values.update({
                        f"Realisasi {period}": realisation.realisasi,
                        f"Capaian % {period}": realisation.capaian_persen,
                        f"Kendala {period}": realisation.kendala,
                        f"Data Dukung {period}": _join(realisation.evidence),
                    })
                _write_row(action_ws, row, action_headers, values)
                row += 1
        _write_help(workbook, help_ws)
        for extra in extra_sheets:
            ws = workbook.add_worksheet(extra.name)
            for col, title in enumerate(extra.headers):
                ws.write_string(0, col, title, header)
                ws.set_column(col, col, extra.widths.get(title, 24), text)
            ws.set_row(0, 32)
            ws.freeze_panes(1, 0)
            if extra.headers:
                ws.autofilter(0, 0, max(len(extra.rows), 1), len(extra.headers) - 1)
            for row_number, values in enumerate(extra.rows, start=1):
                _write_row(ws, row_number, list(extra.headers), values)
    finally:
        workbook.close()


def _write_row(ws, row: int, headers: list[str], values: dict) -> None:
    for col, title in enumerate(headers):
        value = values.get(title)
        if value is None or value == "":
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            ws.write_number(row, col, value)
        else:
            ws.write_string(row, col, str(value))


def _write_help(workbook, ws) -> None:
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 100, wrap)
    lines: list[tuple[str, str]] = [
        ("PETUNJUK PENGISIAN MATRIKS RAD-PKS", ""),
        ("", "Lembar 'Rencana': satu baris per rencana (tahun + wilayah). Lembar 'Rencana Aksi': satu baris "
             "per rencana aksi; Tahun dan Kode Wilayah menunjuk rencananya. Lembar ini (Petunjuk) tidak diimpor."),
        ("", "Isian daftar (Instansi Terkait, Kategori, Wilayah, Kata Kunci, Data Dukung) dipisah tanda titik "
             "koma ';'."),
        ("", "Kolom 'No' dan 'Nama Wilayah' hanya untuk dibaca dan diabaikan saat impor. Kolom wajib: Tahun, "
             "Kode Wilayah, Judul (lembar Rencana); Tahun, Kode Wilayah, Kode Aksi, Bidang, Program, Kegiatan "
             "(lembar Rencana Aksi)."),
        ("", "Impor ulang rencana yang sama (tahun + wilayah) mengganti seluruh isinya dengan isi berkas."),
        ("", "Periksa dulu: waspada plans validate BERKAS.xlsx; lalu: waspada plans import BERKAS.xlsx"),
        ("Bidang", ", ".join(BIDANG)),
        ("Status", ", ".join(STATUSES) + " (kosong = draf)"),
        ("Periode", "; ".join(f"{p} = {name}" for p, name in PERIOD_NAMES.items())),
        ("Capaian %", "angka 0 sampai 100"),
        ("Anggaran (Rp)", "angka rupiah tanpa titik pemisah, mis. 150000000"),
        ("Wilayah", "kode kabupaten/kota, kecamatan atau desa dari gazetteer, mis. 62.02; 62.02.07; 62.02.07.2001. "
                    "Kosong = seluruh wilayah rencana."),
        ("KODE WILAYAH RENCANA", ""),
        *[(code, name) for code, name in F.region_names().items()],
        ("KODE KATEGORI", ""),
        *[(code, name) for code, name in F.category_names().items()],
    ]
    for row, (key, value) in enumerate(lines):
        fmt = bold if key.isupper() and not value else None
        if key:
            ws.write_string(row, 0, key, fmt or bold)
        if value:
            ws.write_string(row, 1, value, wrap)
