"""Times are stored in UTC and shown to users in WIB (Asia/Jakarta, UTC+7, no daylight saving)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")  # a fixed offset: needs no tz database


def format_wib(value: datetime | None) -> str:
    """A stored time as users read it ("2026-11-14 09:30 WIB"), or "-"."""
    return value.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB") if value else "-"


def format_wib_iso(value: str) -> str:
    """A time stored as ISO text (report snapshots) as users read it, or "-" when empty."""
    return format_wib(datetime.fromisoformat(value)) if value else "-"


def today_wib() -> date:
    """Today's date in WIB."""
    return datetime.now(UTC).astimezone(WIB).date()
