"""When to poll a feed next: adapt to its rate of new items, back off on errors, disable dead feeds."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from monitor.config import PollSettings
from monitor.db.models import Feed

RATE_SMOOTHING = 0.3  # weight of the newest observation in the items-per-hour average


def _clamp(seconds: float, poll: PollSettings) -> int:
    return int(min(max(seconds, poll.floor_seconds), poll.ceiling_seconds))


def record_success(feed: Feed, n_new: int, now: datetime, poll: PollSettings) -> None:
    """A fetch that returned the feed: update the new-item rate and derive the next interval from it."""
    if feed.last_checked_at is not None:
        hours = max((now - feed.last_checked_at).total_seconds() / 3600, 1 / 60)
        observed = n_new / hours
        previous = feed.new_items_per_hour
        feed.new_items_per_hour = (observed if previous is None
                                   else RATE_SMOOTHING * observed + (1 - RATE_SMOOTHING) * previous)
    if feed.new_items_per_hour:
        interval = 3600 * poll.target_new_items_per_poll / feed.new_items_per_hour
    else:
        # no new items seen yet: slow down gently from the configured interval
        interval = max(feed.current_interval_seconds, feed.poll_interval_seconds) * (1.5 if feed.last_checked_at else 1)
    feed.current_interval_seconds = _clamp(interval, poll)
    _healthy(feed, now)


def record_not_modified(feed: Feed, now: datetime, poll: PollSettings) -> None:
    """304: nothing changed; only the next check moves."""
    feed.current_interval_seconds = _clamp(feed.current_interval_seconds, poll)
    _healthy(feed, now)


def _healthy(feed: Feed, now: datetime) -> None:
    feed.last_checked_at = now
    feed.last_success_at = now
    feed.error_count = 0
    feed.next_check_at = now + timedelta(seconds=feed.current_interval_seconds)


def record_failure(
    feed: Feed,
    message: str,
    now: datetime,
    poll: PollSettings,
    retry_after: datetime | None = None,
    permanent: bool = False,
    rng: random.Random | None = None,
) -> None:
    """An error: exponential back-off with jitter, Retry-After honoured, disabled when permanent or repeated."""
    rng = rng or random.Random()
    feed.last_checked_at = now
    feed.last_error_at = now
    feed.last_error = message
    feed.error_count = (feed.error_count or 0) + 1
    backoff = min(poll.error_backoff_base_seconds * 2 ** (feed.error_count - 1), poll.ceiling_seconds)
    backoff *= 1 + rng.uniform(-poll.jitter, poll.jitter)
    next_check = now + timedelta(seconds=max(backoff, poll.floor_seconds))
    if retry_after is not None and retry_after > next_check:
        next_check = retry_after
    feed.next_check_at = next_check
    if permanent:
        disable(feed, message)
    elif feed.error_count >= poll.max_consecutive_failures:
        disable(feed, f"dinonaktifkan setelah {feed.error_count} kegagalan berturut-turut; terakhir: {message}")


def disable(feed: Feed, reason: str) -> None:
    """Stop polling a feed and say why (an admin re-enables it with `waspada feeds enable`)."""
    feed.enabled = False
    feed.disabled_reason = reason
    feed.next_check_at = None
