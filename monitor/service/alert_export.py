"""Alerts as CSV for other agencies: the filters of the alert list, Indonesian headers, UTF-8 with a BOM so
Excel reads the accents, and no cell that a spreadsheet would run as a formula.

The standard library's csv module writes the rows; this module only decides the columns and makes the
text cells inert.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy.orm import Session

from monitor.alerts.coverage import kabupaten_names
from monitor.service.alerts import AlertFilters, AlertRow, alert_slice, source_links
from monitor.service.paging import MAX_PAGE_SIZE
from monitor.timezones import WIB

BOM = "\ufeff"
HEADERS = ("ID", "Pertama terlihat (WIB)", "Terakhir terlihat (WIB)", "Status", "Judul", "Kategori",
           "Kabupaten/kota", "Kode wilayah", "Skor", "Keparahan", "Jumlah sumber", "Celah rencana", "Tautan sumber")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula (OWASP)
LIST_SEPARATOR = "; "
LINK_SEPARATOR = " | "


def safe_cell(value: str) -> str:
    """`value`, with a leading ' when it would start a formula (a title like '=HYPERLINK(...)' stays text)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _wib(moment) -> str:
    return moment.astimezone(WIB).strftime("%Y-%m-%d %H:%M")


def _cells(row: AlertRow, links: list[str], names: dict[str, str]) -> list:
    cells = [row.id, _wib(row.first_seen_at), _wib(row.last_seen_at), row.status, row.title,
             LIST_SEPARATOR.join(row.categories), LIST_SEPARATOR.join(names.get(code, code) for code in row.kabupaten),
             LIST_SEPARATOR.join(row.kabupaten), round(row.score, 4), LIST_SEPARATOR.join(row.severity),
             row.n_sources, "ya" if row.plan_gap else "tidak", LINK_SEPARATOR.join(links)]
    return [safe_cell(cell) if isinstance(cell, str) else cell for cell in cells]


def alerts_csv(session: Session, filters: AlertFilters) -> Iterator[str]:
    """The CSV of the alerts matching `filters`, newest first, in pieces (the BOM and headers, then one piece per
    batch of alerts), so that a large export is never held in memory."""
    names = kabupaten_names()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    yield BOM + buffer.getvalue()
    cursor = None
    while True:
        batch = alert_slice(session, filters, cursor, MAX_PAGE_SIZE)
        links = source_links(session, [row.id for row in batch.items])
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_cells(row, links[row.id], names) for row in batch.items)
        yield buffer.getvalue()
        cursor = batch.next_cursor
        if cursor is None:
            return
