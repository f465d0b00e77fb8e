"""How report files write codes and times for Indonesian readers (the web pages' names, reused)."""
from __future__ import annotations

import re
from datetime import datetime

from monitor.alerts.levels import LEVEL_NAMES
from monitor.render.dates import long_date
from monitor.reports.content import AlertEntry, SourceRef
from monitor.timezones import WIB, format_wib_iso as wib
from monitor.web.labels import BIDANG_NAMES, STATUS_NAMES, category_name, kabupaten_short

__all__ = [
    "BIDANG_NAMES",
    "LEVEL_NAMES",
    "STATUS_NAMES",
    "categories",
    "category_name",
    "kabupaten_short",
    "percent",
    "places",
    "source_line",
    "wib",
    "wib_day",
    "xml_text",
]

# characters XML 1.0 cannot hold (feed text may carry them); python-docx refuses them
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def wib_day(iso: str) -> str:
    """'14 November 2026' (WIB) of a stored ISO time, or '-'."""
    return long_date(datetime.fromisoformat(iso).astimezone(WIB).date()) if iso else "-"


def categories(alert: AlertEntry) -> str:
    return ", ".join(category_name(code) for code in alert.categories) or "-"


def places(alert: AlertEntry) -> str:
    return ", ".join(kabupaten_short(code) for code in alert.kabupaten) or "-"


def source_line(source: SourceRef) -> str:
    """'ANTARA, 14 November 2026: https://...' (the link when there is one)."""
    parts = [source.outlet or "sumber tanpa nama", wib_day(source.published_at)]
    return ", ".join(parts) + (f": {source.url}" if source.url else "")


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:g}%"


def xml_text(value: str) -> str:
    """`value` without the control characters an XML document cannot hold."""
    return _NOT_XML.sub("", value)
