"""Documents read ahead in a parse process are what the storing thread would have read; a dead parse process
costs nothing but the read-ahead."""
from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime

import pytest

from monitor.config import ParseSettings
from monitor.feeds.fetch import FetchResult
from monitor.feeds.parse import ParsedFeed, raw_entry, read_document
from monitor.feeds.read_ahead import ReadAhead
from monitor.feeds.store import body_digest
from tests.monitor.helpers import fixture_bytes

FETCHED_AT = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
LIMITS = ParseSettings(parse_processes=1, max_items_per_document=2)  # a limit, so its warning is read ahead too


def fetched(name: str) -> FetchResult:
    return FetchResult(url=f"https://kabar.example.id/{name}", outcome="ok", status=200,
                       headers={"content-type": "application/rss+xml; charset=utf-8"}, body=fixture_bytes(name))


def read_ahead_of(results: list[FetchResult], limits: ParseSettings = LIMITS, unchanged: str | None = None):
    async def read_all():
        with ReadAhead(limits) as read_ahead:
            return [await read_ahead.read(result, FETCHED_AT, unchanged) for result in results]

    return asyncio.run(read_all())


@pytest.mark.parametrize("name", ["antara_kalteng_terkini.xml", "malformed.xml", "wib_dates.xml", "site_page.html"])
def test_a_document_read_ahead_is_the_document_the_storing_thread_reads(name):
    result = fetched(name)
    [ahead] = read_ahead_of([result])
    here = read_document(result.body, result.headers, result.url, FETCHED_AT, LIMITS)
    if isinstance(here, str):  # not a feed: the same reason
        assert ahead == here
        return
    assert isinstance(ahead, ParsedFeed) and ahead.entries
    assert (ahead.title, ahead.link, ahead.version, ahead.warnings) == (here.title, here.link, here.version, here.warnings)
    assert ahead.entries == here.entries  # every field but feedparser's own entry, compared below
    assert [raw_entry(e, 1000) for e in ahead.entries] == [raw_entry(e, 1000) for e in here.entries]


def test_nothing_is_read_ahead_without_a_pool_a_body_or_something_new():
    result = fetched("antara_kalteng_terkini.xml")
    assert read_ahead_of([result], ParseSettings(parse_processes=0)) == [None]
    assert read_ahead_of([FetchResult(url="https://kabar.example.id/rss", outcome="not_modified", status=304),
                          FetchResult(url="https://kabar.example.id/rss", outcome="error", error_kind="timeout")]) == [
        None, None]
    assert read_ahead_of([result], unchanged=body_digest(result.body)) == [None]  # gave nothing new last time
    [other_bytes] = read_ahead_of([result], unchanged=body_digest(b"other bytes"))
    assert isinstance(other_bytes, ParsedFeed)


def test_a_dead_parse_process_leaves_its_documents_to_the_storing_thread():
    result = fetched("antara_kalteng_terkini.xml")

    async def read_after_a_kill():
        with ReadAhead(LIMITS) as read_ahead:
            first = await read_ahead.read(result, FETCHED_AT)
            # the pool's processes (private to the executor: only a test reaches in to kill one)
            for pid in list(read_ahead._executor._processes):  # type: ignore[union-attr]
                os.kill(pid, signal.SIGKILL)
            return first, await read_ahead.read(result, FETCHED_AT)

    first, after_the_kill = asyncio.run(read_after_a_kill())
    assert isinstance(first, ParsedFeed) and after_the_kill is None
