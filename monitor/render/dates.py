"""Dates as Indonesian readers write them ("7 Desember 2026", "7 Des")."""
from __future__ import annotations

from datetime import date

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")
SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def long_date(day: date) -> str:
    """'7 Desember 2026'."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def short_date(day: date) -> str:
    """'7 Des'."""
    return f"{day.day} {SHORT_MONTHS[day.month - 1]}"
