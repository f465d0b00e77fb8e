"""Reporting periods: B04 (January-April), B08 (May-August), B12 (September-December) of a year, in WIB days."""
from __future__ import annotations

import re
from calendar import monthrange
from datetime import date

from monitor.plans.schema import PERIOD_NAMES, PERIODS

_PERIOD_TEXT = re.compile(r"^\s*(\d{4})\s*-\s*(B\d{2})\s*$", re.IGNORECASE)


class PeriodError(ValueError):
    """An unusable period; the message is Indonesian."""


def period_days(year: int, period: str) -> tuple[date, date]:
    """The first and last WIB day of `period` of `year` (both inclusive)."""
    if period not in PERIODS:
        raise PeriodError(f"periode '{period}' tidak dikenal (hanya {', '.join(PERIODS)})")
    last_month = int(period[1:])
    first_month = last_month - 3
    return date(year, first_month, 1), date(year, last_month, monthrange(year, last_month)[1])


def parse_period(text: str) -> tuple[int, str]:
    """(year, period) of '2026-B12'; raises PeriodError with an Indonesian message."""
    match = _PERIOD_TEXT.match(text or "")
    if not match or match.group(2).upper() not in PERIODS:
        raise PeriodError(f"periode '{(text or '')[:20]}' tidak dapat dibaca: tulis TAHUN-PERIODE, mis. 2026-B12 "
                          f"({', '.join(f'{p} = {n}' for p, n in PERIOD_NAMES.items())})")
    return int(match.group(1)), match.group(2).upper()


def period_label(year: int, period: str) -> str:
    """'B12 (September-Desember) 2026'."""
    return f"{period} ({PERIOD_NAMES.get(period, period)}) {year}"
