"""INSERT ... ON CONFLICT DO NOTHING on either engine, for rows that concurrent processes may race to add."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


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
