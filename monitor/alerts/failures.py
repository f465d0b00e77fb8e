"""Items a stage failed on (stage_failures): recorded with their error and attempts, skipped, and tried
again on later passes until a bound, so one poison item never stops the stage."""
from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor.db.models import StageFailure, utcnow

ALERT_STORY = "alert-story"  # a story (cluster id) the alert stage failed to place into an event
ALERT_EVENT = "alert-event"  # an event whose alert the stage failed to refresh
MAX_ERROR_CHARS = 500

log = logging.getLogger("waspada.stage")


def given_up(stage: str, max_attempts: int):
    """A select of the item ids of `stage` that failed `max_attempts` times: left aside, not retried."""
    return select(StageFailure.item_id).where(StageFailure.stage == stage, StageFailure.attempts >= max_attempts)


def note_failure(session: Session, stage: str, item_id: int, error: BaseException, max_attempts: int) -> StageFailure:
    """Record (or count again) a failure of one item."""
    message = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
    now = utcnow()
    failure = session.scalar(select(StageFailure).where(StageFailure.stage == stage, StageFailure.item_id == item_id))
    if failure is None:
        failure = StageFailure(stage=stage, item_id=item_id, error=message, attempts=1, first_failed_at=now,
                               last_failed_at=now)
        session.add(failure)
    else:
        failure.error, failure.attempts, failure.last_failed_at = message, failure.attempts + 1, now
    session.flush()
    log.warning("%s %d gagal diproses: %s (percobaan %d dari %d)", stage, item_id, message, failure.attempts,
                max_attempts)
    return failure


def clear(session: Session, stage: str, item_ids: Iterable[int]) -> None:
    """Forget the failures of items now handled."""
    item_ids = list(item_ids)
    if item_ids:
        session.execute(delete(StageFailure).where(StageFailure.stage == stage, StageFailure.item_id.in_(item_ids)))


def recorded(session: Session) -> list[StageFailure]:
    """Every recorded failure, most recent first (for `waspada alerts failures`)."""
    return list(session.scalars(select(StageFailure).order_by(StageFailure.last_failed_at.desc(), StageFailure.id)))
