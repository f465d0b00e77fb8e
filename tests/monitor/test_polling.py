"""Adaptive polling: busy feeds are polled more often, quiet ones less, never below the 10-minute floor."""
from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta, timezone

import pytest

from monitor.config import PollSettings, Settings
from monitor.db.models import Feed
from monitor.feeds import polling
from monitor.feeds.fetch import parse_retry_after
from tests.conftest import Response
from tests.monitor.helpers import add_feed, cycle, get_feed, rss

T0 = datetime(2025, 2, 10, 0, 0, tzinfo=timezone.utc)
POLL = PollSettings()


def new_feed(interval_minutes: int = 30) -> Feed:
    return Feed(id="f", name="f", url="https://x.example.id/rss", configured_url="https://x.example.id/rss",
                poll_interval_seconds=interval_minutes * 60, current_interval_seconds=interval_minutes * 60,
                error_count=0, enabled=True)


def poll_every(feed: Feed, hours: float, new_items: int, times: int) -> None:
    now = feed.last_checked_at or T0
    for _ in range(times):
        polling.record_success(feed, new_items, now, POLL)
        now += timedelta(hours=hours)


def test_busy_feed_gets_a_shorter_interval_than_a_quiet_one():
    busy, quiet = new_feed(), new_feed()
    poll_every(busy, hours=0.5, new_items=5, times=6)
    poll_every(quiet, hours=0.5, new_items=0, times=6)
    assert busy.current_interval_seconds < 30 * 60 < quiet.current_interval_seconds
    assert busy.current_interval_seconds >= POLL.floor_seconds
    assert quiet.current_interval_seconds <= POLL.ceiling_seconds
    assert busy.next_check_at == busy.last_checked_at + timedelta(seconds=busy.current_interval_seconds)


def test_interval_follows_the_rate_of_new_items():
    feed = new_feed()
    poll_every(feed, hours=1, new_items=1, times=20)  # one new item an hour, target two a poll
    assert feed.new_items_per_hour == pytest.approx(1.0)
    assert feed.current_interval_seconds == pytest.approx(2 * 3600, rel=0.01)


def test_never_below_the_floor():
    feed = new_feed(interval_minutes=10)
    poll_every(feed, hours=1 / 6, new_items=500, times=5)
    assert feed.current_interval_seconds == POLL.floor_seconds == 600
    feed = new_feed()
    polling.record_success(feed, 0, T0, POLL)
    polling.record_success(feed, 1000, T0 + timedelta(seconds=1), POLL)  # two polls a second apart
    assert feed.current_interval_seconds == 600


def test_quiet_feed_slows_down_up_to_the_ceiling():
    feed = new_feed(interval_minutes=60)
    intervals = []
    now = T0
    for _ in range(30):
        polling.record_success(feed, 0, now, POLL)
        intervals.append(feed.current_interval_seconds)
        now += timedelta(seconds=feed.current_interval_seconds)
    assert intervals == sorted(intervals)
    assert intervals[-1] == POLL.ceiling_seconds


def test_floor_cannot_be_configured_below_ten_minutes(monkeypatch):
    monkeypatch.setenv("WASPADA_POLL_FLOOR_SECONDS", "60")
    assert Settings.from_env().poll.floor_seconds == 600


def test_not_modified_keeps_the_interval_and_clears_errors():
    feed = new_feed()
    feed.error_count = 2
    polling.record_not_modified(feed, T0, POLL)
    assert feed.error_count == 0 and feed.next_check_at == T0 + timedelta(minutes=30)


def test_failure_backoff_jitter_and_retry_after():
    rng = random.Random(7)
    feed = new_feed()
    waits = []
    for i in range(4):
        polling.record_failure(feed, "HTTP 500", T0, POLL, rng=rng)
        waits.append((feed.next_check_at - T0).total_seconds())
        base = POLL.error_backoff_base_seconds * 2**i
        assert base * (1 - POLL.jitter) <= waits[-1] <= base * (1 + POLL.jitter)
    retry = T0 + timedelta(days=2)
    polling.record_failure(feed, "HTTP 429", T0, POLL, retry_after=retry, rng=rng)
    assert feed.next_check_at == retry
    polling.record_failure(feed, "HTTP 429", T0, POLL, retry_after=T0 + timedelta(seconds=5), rng=rng)
    assert feed.next_check_at >= T0 + timedelta(seconds=POLL.floor_seconds)  # a short Retry-After never beats the floor


def test_parse_retry_after():
    assert parse_retry_after("120", T0) == T0 + timedelta(seconds=120)
    assert parse_retry_after("Mon, 10 Feb 2025 02:00:00 GMT", T0) == T0 + timedelta(hours=2)
    assert parse_retry_after("Sun, 09 Feb 2025 02:00:00 GMT", T0) == T0  # in the past: now
    assert parse_retry_after("besok", T0) is None and parse_retry_after(None, T0) is None


def test_adaptive_polling_through_the_pipeline(engine, settings, feed_server):
    counter = itertools.count()

    def busy(_request):  # ten fresh items on every request
        n = next(counter)
        items = [{"title": f"Berita ramai {n}-{i}", "link": f"https://ramai.example.id/{n}/{i}",
                  "description": f"Isi berita nomor {n} {i} tentang Palangka Raya"} for i in range(10)]
        return Response(body=rss(items).encode(), headers={"Content-Type": "application/rss+xml"})

    quiet_body = rss([{"title": "Berita sepi", "link": "https://sepi.example.id/1", "description": "Satu berita saja."}])
    add_feed(engine, "ramai", feed_server.route("/ramai", busy), interval_minutes=30)
    add_feed(engine, "sepi", feed_server.feed("/sepi", quiet_body), interval_minutes=30)
    for _ in range(3):
        cycle(engine, settings)
    ramai, sepi = get_feed(engine, "ramai"), get_feed(engine, "sepi")
    assert ramai.new_items_per_hour > 0 and not sepi.new_items_per_hour
    assert ramai.current_interval_seconds < sepi.current_interval_seconds
    assert ramai.current_interval_seconds >= 600
    assert ramai.next_check_at >= ramai.last_checked_at + timedelta(seconds=600)
