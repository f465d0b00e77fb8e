"""Pages of results for lists that grow without bound (alerts, feeds, audit entries): numbered pages for the web
pages, cursors (keyset) for the JSON API."""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from sqlalchemy import Select, or_
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class PageRequest:
    """Which page: 1-based number and size (capped at MAX_PAGE_SIZE)."""

    number: int = 1
    size: int = 50

    def __post_init__(self) -> None:
        object.__setattr__(self, "number", max(1, int(self.number)))
        object.__setattr__(self, "size", min(MAX_PAGE_SIZE, max(1, int(self.size))))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of items and the total that matched."""

    items: list[T]
    total: int
    request: PageRequest

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.size))

    @property
    def has_next(self) -> bool:
        return self.request.number < self.pages

    @property
    def has_previous(self) -> bool:
        return self.request.number > 1


# --------------------------------------------------------------------------- cursors (the JSON API)


MAX_CURSOR_CHARS = 200  # a cursor of ours is about 70


class CursorError(ValueError):
    """A cursor that this server did not hand out (Indonesian message)."""


@dataclass(frozen=True)
class Slice(Generic[T]):
    """Items after a cursor, newest first, and the cursor of the next slice (None after the last)."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(at: datetime, row_id: int) -> str:
    """The opaque cursor after the row (`at`, `row_id`): URL-safe base64 of a small JSON object."""
    payload = json.dumps({"t": at.astimezone(UTC).isoformat(), "i": row_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (time, id) of a cursor from `encode_cursor`; raises CursorError for anything else."""
    try:
        if len(cursor) > MAX_CURSOR_CHARS:
            raise ValueError
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at, row_id = datetime.fromisoformat(data["t"]), data["i"]
        if at.tzinfo is None or type(row_id) is not int or not 0 < row_id < 2**31:
            raise ValueError
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, binascii.Error):
        raise CursorError("Kursor tidak sah: pakai nilai next_cursor dari jawaban sebelumnya apa adanya.") from None
    return at, row_id


def keyset_slice(session: Session, query: Select, at_column, id_column, cursor: str | None, limit: int,
                 convert: Callable[[list], list]) -> Slice:
    """Up to `limit` rows of `query` newest first by (`at_column`, `id_column`), after `cursor`.

    Keyset paging: the next slice starts strictly after the last row's key, so rows added meanwhile
    (newer ones land before the cursor) never shift a page, and no row is served twice or skipped.
    `query` selects one mapped class, whose rows `convert(rows)` turns into the items.
    """
    limit = min(MAX_PAGE_SIZE, max(1, limit))
    if cursor:
        at, row_id = decode_cursor(cursor)
        # the first condition alone bounds an index range (an OR alone would make the engines scan from the top)
        query = query.where(at_column <= at, or_(at_column < at, id_column < row_id))
    rows = list(session.scalars(query.order_by(at_column.desc(), id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more else None
    return Slice(convert(rows), encode_cursor(getattr(last, at_column.key), getattr(last, id_column.key)) if more
                 else None)
