"""Writes that concurrent processes may race on: INSERT ... ON CONFLICT DO NOTHING on either engine, and
UPDATEs whose count of matched rows says whether this process won."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Executable
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def matched_rows(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE; how many rows it matched."""
    # Session.execute is typed as returning a Result; for these statements it is a CursorResult
    return cast(CursorResult, session.execute(statement)).rowcount


def insert_new(session: Session, model, values: dict[str, Any],
               conflict_columns: Sequence[str] | None = None) -> int | None:
    """Insert one row unless it would break a unique constraint (those on `conflict_columns`, or any);
    the new id, or None when such a row existed.

    The losing process of a race gets None, exactly as if it had looked first and found the row,
    instead of a unique violation that would abort its transaction.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(model).values(**values)
                 .on_conflict_do_nothing(index_elements=list(conflict_columns) if conflict_columns else None)
                 .returning(model.id))
    return session.execute(statement).scalar()
