"""Indonesian feed dates: WIB/WITA/WIT zones and Indonesian month and day names.

feedparser reads unknown zone names such as "WIB" as UTC, which puts Kalteng news seven hours
late. `parse_indonesian_date` is registered as a feedparser date handler (it runs before the
built-in ones) and is also used directly for dates found in text.
"""
from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import feedparser
import feedparser.datetimes

ZONES = {"WIB": 7, "WITA": 8, "WIT": 9, "UTC": 0, "GMT": 0, "Z": 0}
MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "maret": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "may": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "november": 11, "nov": 11, "nopember": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "january": 1, "february": 2, "march": 3, "june": 6,
    "july": 7, "august": 8, "october": 10, "december": 12,
}
_DATE = re.compile(
    r"^(?:[A-Za-z]+,?\s+)?"  # optional day name: Senin, / Mon,
    r"(?P<day>\d{1,2})[\s\-/]+(?P<month>[A-Za-z]+)[\s\-/]+(?P<year>\d{4})"
    r"(?:[\s,]+(?:pukul\s+)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second>\d{2}))?)?"
    r"\s*(?P<zone>WIB|WITA|WIT|UTC|GMT|Z|[+-]\d{2}:?\d{2})?\s*$",
    re.IGNORECASE,
)


def _offset(zone: str | None) -> timedelta:
    if not zone:
        return timedelta(hours=7)  # Indonesian outlets without a zone write local (mostly WIB) time
    upper = zone.upper()
    if upper in ZONES:
        return timedelta(hours=ZONES[upper])
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


def parse_indonesian_date(value: str) -> datetime | None:
    """Parse '10 September 2019 13:30 WIB', 'Senin, 10 Sep 2019 13:30:00 WITA', 'Mon, 28 Aug 2022 10:00:00 +0700'.

    Returns an aware UTC datetime, or None when the text is not such a date.
    """
    match = _DATE.match(value.strip())
    if not match:
        return None
    month = MONTHS.get(match["month"].lower())
    if month is None:
        return None
    try:
        local = datetime(
            int(match["year"]), month, int(match["day"]),
            int(match["hour"] or 0), int(match["minute"] or 0), int(match["second"] or 0),
        )
        return (local - _offset(match["zone"])).replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # 31 Februari; year 0001 moved before the first representable day
        return None


def _feedparser_handler(value: str):
    parsed = parse_indonesian_date(value)
    return parsed.timetuple() if parsed else None


def register_with_feedparser() -> None:
    """Install the handler in feedparser once (idempotent)."""
    # registerDateHandler has no membership test, so look in the handler list it inserts into
    if _feedparser_handler not in feedparser.datetimes._date_handlers:
        feedparser.registerDateHandler(_feedparser_handler)


def struct_to_datetime(value: time.struct_time | None) -> datetime | None:
    """feedparser's UTC struct_time to an aware datetime."""
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None
