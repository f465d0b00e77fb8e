"""Fetching from a real local HTTP server: formats, faults, and what each leaves in the database.

Every fault test checks both what is stored (articles, raw documents, fetch attempts) and what
the feed's health says afterwards (error count, last error, next check, enabled).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from sqlalchemy import select

from monitor.db.models import Article, RawDocument
from monitor.db.session import session_scope
from tests.conftest import Response
from tests.monitor.helpers import (
    add_feed, articles, attempts, count, cycle, fixture_bytes, get_feed, rss, with_fetch, with_poll,
)

RSS_TYPE = "application/rss+xml; charset=utf-8"


def now() -> datetime:
    return datetime.now(timezone.utc)


def assert_healthy(feed, interval_floor: int = 600):
    assert feed.enabled is True
    assert feed.error_count == 0
    assert feed.disabled_reason is None
    assert feed.last_success_at is not None and feed.last_checked_at == feed.last_success_at
    assert feed.next_check_at >= feed.last_checked_at + timedelta(seconds=interval_floor)


def assert_failed_once(feed, message_part: str, started: datetime, settings):
    assert feed.enabled is True
    assert feed.error_count == 1
    assert message_part in feed.last_error
    assert feed.last_error_at >= started and feed.last_success_at is None
    # back-off: never sooner than the polling floor
    assert feed.next_check_at >= feed.last_checked_at + timedelta(seconds=settings.poll.floor_seconds)


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("name", "content_type", "n_items"),
    [
        ("antara_kalteng_terkini.xml", RSS_TYPE, 3),
        ("wordpress_kalteng.xml", "application/rss+xml; charset=UTF-8", 2),
        ("atom_kalteng.xml", "application/atom+xml", 2),
        ("rss091_kalteng.xml", "text/xml", 2),
        ("escaped_html.xml", "text/xml; charset=UTF-8", 2),
        ("no_declaration_en_us.xml", "application/xml", 2),
        ("wib_dates.xml", RSS_TYPE, 4),
    ],
)
def test_formats_are_fetched_and_stored(engine, settings, feed_server, name, content_type, n_items):
    body = fixture_bytes(name)
    url = feed_server.feed("/feed.xml", body, content_type=content_type)
    add_feed(engine, "contoh", url)
    [outcome] = cycle(engine, settings)
    assert (outcome.outcome, outcome.n_entries, outcome.n_new, outcome.n_failed) == ("ok", n_items, n_items, 0)
    stored = articles(engine, "contoh")
    assert len(stored) == n_items
    for article in stored:
        assert article.title and article.summary_text and "<" not in article.summary_text
        assert article.published_at is not None and article.published_at.tzinfo is not None
        assert article.raw_document_id is not None and article.fetch_attempt_id is not None
        assert article.cluster_id is not None
    [attempt] = attempts(engine, "contoh")
    assert (attempt.outcome, attempt.http_status, attempt.n_new, attempt.bytes_received) == ("ok", 200, n_items, len(body))
    assert attempt.finished_at is not None and attempt.final_url == url
    assert count(engine, RawDocument) == 1
    assert_healthy(get_feed(engine, "contoh"))


def test_user_agent_is_sent(engine, settings, feed_server):
    url = feed_server.feed("/rss", fixture_bytes("wib_dates.xml"))
    add_feed(engine, "contoh", url)
    cycle(engine, settings)
    [request] = feed_server.requests_to("/rss")
    assert request.headers["user-agent"] == settings.fetch.user_agent
    assert "rss+xml" in request.headers["accept"]


# --------------------------------------------------------------------------- body faults


def test_malformed_xml_stores_what_it_can_and_warns(engine, settings, feed_server):
    add_feed(engine, "ekspres", feed_server.feed("/rss", fixture_bytes("malformed.xml")))
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "ok" and outcome.n_new >= 1
    assert articles(engine, "ekspres")[0].title == "Demo sopir truk batu bara di Tamiang Layang"
    [attempt] = attempts(engine, "ekspres")
    assert attempt.outcome == "ok" and any("tidak rapi" in w for w in attempt.warnings)
    assert_healthy(get_feed(engine, "ekspres"))


def test_wrong_declared_encoding(engine, settings, feed_server):
    body = rss([{"title": "Caf\u00e9 di Palangka Raya ditutup, warga protes", "link": "https://contoh.example.id/berita/1",
                 "description": "Pemilik caf\u00e9 mengadu ke DPRD Kalteng."}]).encode("cp1252")
    add_feed(engine, "contoh", feed_server.feed("/rss", body, content_type="application/rss+xml; charset=utf-8"))
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "ok" and outcome.n_new == 1
    [article] = articles(engine, "contoh")
    assert article.title == "Caf\u00e9 di Palangka Raya ditutup, warga protes"
    assert attempts(engine, "contoh")[0].warnings  # the mismatch is on record
    assert_healthy(get_feed(engine, "contoh"))


def test_gzip_response(engine, settings, feed_server):
    body = fixture_bytes("antara_kalteng_terkini.xml")
    add_feed(engine, "antara", feed_server.feed("/rss", body, gzip=True))
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "ok" and outcome.n_new == 3
    assert "gzip" in feed_server.requests_to("/rss")[0].headers.get("accept-encoding", "")
    # the decoded bytes are what is kept
    assert count(engine, RawDocument) == 1
    with session_scope(engine) as session:
        assert session.scalar(select(RawDocument.body)) == body
    assert_healthy(get_feed(engine, "antara"))


@pytest.mark.parametrize("mode", ["content-length", "chunked", "gzip-bomb"])
def test_oversized_body_is_refused(engine, settings, feed_server, mode):
    limit = settings.fetch.max_body_bytes
    item = {"title": "Isi panjang", "link": "https://contoh.example.id/b/1", "description": "sawit " * 1000}
    body = rss([dict(item, link=f"https://contoh.example.id/b/{i}") for i in range(60)]).encode()
    assert len(body) > limit
    response = Response(body=body, headers={"Content-Type": RSS_TYPE}, chunked=mode == "chunked", gzip=mode == "gzip-bomb")
    add_feed(engine, "besar", feed_server.route("/rss", response))
    started = now()
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "error" and "terlalu besar" in outcome.message
    [attempt] = attempts(engine, "besar")
    assert (attempt.outcome, attempt.error_kind) == ("error", "too_large")
    assert count(engine, Article) == 0 and count(engine, RawDocument) == 0
    assert_failed_once(get_feed(engine, "besar"), "terlalu besar", started, settings)


def test_html_page_instead_of_feed(engine, settings, feed_server):
    add_feed(engine, "salah", feed_server.feed("/berita", fixture_bytes("site_page.html"), content_type="text/html; charset=utf-8"))
    started = now()
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "error" and "HTML" in outcome.message
    [attempt] = attempts(engine, "salah")
    assert (attempt.outcome, attempt.http_status, attempt.error_kind) == ("error", 200, "not_a_feed")
    # no article, but the body is kept (before parsing) for `waspada reprocess`
    assert count(engine, Article) == 0 and count(engine, RawDocument) == 1
    assert attempt.raw_document_id is not None
    assert_failed_once(get_feed(engine, "salah"), "HTML", started, settings)


def test_empty_body(engine, settings, feed_server):
    add_feed(engine, "kosong", feed_server.feed("/rss", b""))
    started = now()
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "error" and "kosong" in outcome.message
    [attempt] = attempts(engine, "kosong")
    assert (attempt.outcome, attempt.error_kind) == ("error", "not_a_feed")
    assert count(engine, Article) == 0
    assert_failed_once(get_feed(engine, "kosong"), "kosong", started, settings)


def test_empty_feed_is_healthy_and_slows_down(engine, settings, feed_server):
    add_feed(engine, "lamandau", feed_server.feed("/rss", fixture_bytes("empty_channel.xml")), interval_minutes=30)
    [outcome] = cycle(engine, settings)
    assert (outcome.outcome, outcome.n_entries, outcome.n_new) == ("ok", 0, 0)
    assert count(engine, Article) == 0
    feed = get_feed(engine, "lamandau")
    assert_healthy(feed)
    assert feed.current_interval_seconds == 30 * 60
    cycle(engine, settings)
    assert get_feed(engine, "lamandau").current_interval_seconds > 30 * 60  # a quiet feed is polled less


# --------------------------------------------------------------------------- HTTP status faults


def test_conditional_get_and_304(engine, settings, feed_server):
    body = fixture_bytes("antara_kalteng_terkini.xml")
    etag, modified = '"kalteng-v1"', "Mon, 10 Feb 2025 14:05:00 GMT"

    def handler(request):
        if request.headers.get("if-none-match") == etag and request.headers.get("if-modified-since") == modified:
            return Response(status=304, headers={"ETag": etag})
        return Response(body=body, headers={"Content-Type": RSS_TYPE, "ETag": etag, "Last-Modified": modified})

    add_feed(engine, "antara", feed_server.route("/rss", handler))
    [first] = cycle(engine, settings)
    assert first.n_new == 3
    feed = get_feed(engine, "antara")
    assert (feed.etag, feed.last_modified) == (etag, modified)
    first_success = feed.last_success_at

    [second] = cycle(engine, settings)
    assert second.outcome == "not_modified"
    requests = feed_server.requests_to("/rss")
    assert "if-none-match" not in requests[0].headers and "if-modified-since" not in requests[0].headers
    assert requests[1].headers["if-none-match"] == etag
    assert requests[1].headers["if-modified-since"] == modified
    assert [a.outcome for a in attempts(engine, "antara")] == ["ok", "not_modified"]
    assert attempts(engine, "antara")[1].http_status == 304
    assert count(engine, Article) == 3 and count(engine, RawDocument) == 1
    feed = get_feed(engine, "antara")
    assert_healthy(feed)
    assert feed.last_success_at > first_success
    assert (feed.etag, feed.last_modified) == (etag, modified)


@pytest.mark.parametrize("status", [301, 308])
def test_permanent_redirect_updates_feed_url(engine, settings, feed_server, status):
    old = feed_server.route("/rss-lama", status=status, headers={"Location": "/rss-baru"})
    new = feed_server.feed("/rss-baru", fixture_bytes("wib_dates.xml"))
    add_feed(engine, "radar", old)
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "ok" and outcome.n_new == 4
    feed = get_feed(engine, "radar")
    assert feed.url == new and feed.configured_url == old
    [attempt] = attempts(engine, "radar")
    assert attempt.url == old and attempt.final_url == new and any("pengalihan permanen" in w for w in attempt.warnings)
    assert_healthy(feed)
    cycle(engine, settings)
    assert len(feed_server.requests_to("/rss-lama")) == 1  # the next cycle goes straight to the new address
    assert len(feed_server.requests_to("/rss-baru")) == 2


@pytest.mark.parametrize("status", [302, 303, 307])
def test_temporary_redirect_keeps_feed_url(engine, settings, feed_server, status):
    old = feed_server.route("/rss", status=status, headers={"Location": feed_server.url("/sementara.xml")})
    feed_server.feed("/sementara.xml", fixture_bytes("wib_dates.xml"))
    add_feed(engine, "radar", old)
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "ok" and outcome.n_new == 4
    assert get_feed(engine, "radar").url == old
    assert attempts(engine, "radar")[0].final_url == feed_server.url("/sementara.xml")


def test_permanent_then_temporary_redirect_keeps_feed_url(engine, settings, feed_server):
    old = feed_server.route("/a", status=301, headers={"Location": "/b"})
    feed_server.route("/b", status=302, headers={"Location": "/c"})
    feed_server.feed("/c", fixture_bytes("wib_dates.xml"))
    add_feed(engine, "radar", old)
    assert cycle(engine, settings)[0].outcome == "ok"
    assert get_feed(engine, "radar").url == old


def test_redirect_loop(engine, settings, feed_server):
    a = feed_server.route("/putar-a", status=301, headers={"Location": "/putar-b"})
    feed_server.route("/putar-b", status=301, headers={"Location": "/putar-a"})
    add_feed(engine, "putar", a)
    started = now()
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "error" and "berputar" in outcome.message
    [attempt] = attempts(engine, "putar")
    assert attempt.error_kind == "redirect_loop" and attempt.http_status == 301
    assert len(feed_server.requests) == 2
    assert count(engine, Article) == 0
    feed = get_feed(engine, "putar")
    assert feed.url == a  # a loop teaches nothing
    assert_failed_once(feed, "berputar", started, settings)


def test_too_many_redirects(engine, settings, feed_server):
    for i in range(10):
        feed_server.route(f"/r{i}", status=302, headers={"Location": f"/r{i + 1}"})
    add_feed(engine, "jauh", feed_server.url("/r0"))
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "error"
    assert attempts(engine, "jauh")[0].error_kind == "too_many_redirects"
    assert len(feed_server.requests) == settings.fetch.max_redirects + 1


@pytest.mark.parametrize("status", [404, 500, 403])
def test_http_error_status(engine, settings, feed_server, status):
    add_feed(engine, "rusak", feed_server.route("/rss", status=status, body=b"galat", headers={"Content-Type": "text/plain"}))
    started = now()
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "error" and f"HTTP {status}" in outcome.message
    [attempt] = attempts(engine, "rusak")
    assert (attempt.outcome, attempt.http_status, attempt.error_kind) == ("error", status, f"http_{status}")
    assert count(engine, Article) == 0 and count(engine, RawDocument) == 0
    assert_failed_once(get_feed(engine, "rusak"), f"HTTP {status}", started, settings)


def test_410_disables_the_feed(engine, settings, feed_server):
    add_feed(engine, "hilang", feed_server.route("/rss", status=410, body=b"Gone"))
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "gone"
    [attempt] = attempts(engine, "hilang")
    assert (attempt.outcome, attempt.http_status) == ("gone", 410)
    feed = get_feed(engine, "hilang")
    assert feed.enabled is False and "410" in feed.disabled_reason and feed.next_check_at is None
    assert feed.error_count == 1
    assert cycle(engine, settings) == []  # never fetched again
    assert len(feed_server.requests_to("/rss")) == 1


@pytest.mark.parametrize(("status", "retry_after_seconds", "as_date"), [(429, 7200, False), (503, 3 * 3600, True), (429, 60, False)])
def test_retry_after_is_honoured(engine, settings, feed_server, status, retry_after_seconds, as_date):
    started = now()
    value = (format_datetime(started + timedelta(seconds=retry_after_seconds), usegmt=True) if as_date
             else str(retry_after_seconds))
    add_feed(engine, "sibuk", feed_server.route("/rss", status=status, headers={"Retry-After": value}))
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "rate_limited"
    [attempt] = attempts(engine, "sibuk")
    assert (attempt.outcome, attempt.http_status, attempt.error_kind) == ("rate_limited", status, f"http_{status}")
    feed = get_feed(engine, "sibuk")
    assert feed.enabled and feed.error_count == 1
    earliest = started + timedelta(seconds=retry_after_seconds) - timedelta(seconds=1)  # HTTP dates have whole seconds
    assert feed.next_check_at >= earliest
    assert feed.next_check_at >= feed.last_checked_at + timedelta(seconds=settings.poll.floor_seconds)


def test_slow_response_times_out(engine, settings, feed_server):
    assert settings.fetch.read_timeout <= 0.5
    add_feed(engine, "lambat", feed_server.route("/rss", Response(body=fixture_bytes("wib_dates.xml"), delay=2.0)))
    started = now()
    [outcome] = cycle(engine, settings)
    assert (now() - started).total_seconds() < 1.8
    assert outcome.outcome == "error"
    [attempt] = attempts(engine, "lambat")
    assert attempt.error_kind == "timeout"
    assert count(engine, Article) == 0
    assert_failed_once(get_feed(engine, "lambat"), "waktu habis", started, settings)


def test_connection_refused(engine, settings, feed_server):
    import socket
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    add_feed(engine, "mati", f"http://127.0.0.1:{port}/rss")
    started = now()
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "error"
    assert attempts(engine, "mati")[0].error_kind == "network"
    assert_failed_once(get_feed(engine, "mati"), "gagal terhubung", started, settings)


# --------------------------------------------------------------------------- health over time


def test_repeated_failures_disable_the_feed(engine, settings, feed_server):
    settings = with_poll(settings, max_consecutive_failures=3)
    add_feed(engine, "rusak", feed_server.route("/rss", status=500))
    for expected in (1, 2):
        cycle(engine, settings)
        feed = get_feed(engine, "rusak")
        assert feed.enabled and feed.error_count == expected
    cycle(engine, settings)
    feed = get_feed(engine, "rusak")
    assert feed.enabled is False and feed.error_count == 3
    assert "3 kegagalan" in feed.disabled_reason and feed.next_check_at is None
    assert cycle(engine, settings) == []
    assert len(feed_server.requests_to("/rss")) == 3
    assert [a.outcome for a in attempts(engine, "rusak")] == ["error"] * 3


def test_backoff_grows_and_success_resets(engine, settings, feed_server):
    feed_server.route("/rss", [Response(status=500), Response(status=500),
                               Response(body=fixture_bytes("wib_dates.xml"), headers={"Content-Type": RSS_TYPE})])
    add_feed(engine, "pulih", feed_server.url("/rss"))
    waits = []
    for _ in range(2):
        cycle(engine, settings)
        feed = get_feed(engine, "pulih")
        waits.append((feed.next_check_at - feed.last_checked_at).total_seconds())
    jitter = settings.poll.jitter
    assert waits[1] > waits[0] * (1 - jitter) / (1 + jitter) * 1.5  # exponential back-off
    cycle(engine, settings)
    feed = get_feed(engine, "pulih")
    assert_healthy(feed)
    assert feed.last_error is not None  # the last error stays visible for the operator
    assert len(articles(engine, "pulih")) == 4


def test_one_failing_feed_does_not_stop_the_cycle(engine, settings, feed_server):
    add_feed(engine, "baik-1", feed_server.feed("/1", fixture_bytes("antara_kalteng_terkini.xml")))
    add_feed(engine, "galat", feed_server.route("/2", status=500))
    add_feed(engine, "lambat", feed_server.route("/3", Response(body=b"", delay=2.0)))
    add_feed(engine, "html", feed_server.feed("/4", fixture_bytes("site_page.html"), content_type="text/html"))
    add_feed(engine, "baik-2", feed_server.feed("/5", fixture_bytes("atom_kalteng.xml"), content_type="application/atom+xml"))
    outcomes = {o.feed_id: o.outcome for o in cycle(engine, settings)}
    assert outcomes == {"baik-1": "ok", "galat": "error", "lambat": "error", "html": "error", "baik-2": "ok"}
    assert len(articles(engine, "baik-1")) == 3 and len(articles(engine, "baik-2")) == 2
    for feed_id in ("galat", "lambat", "html"):
        assert get_feed(engine, feed_id).error_count == 1
        assert attempts(engine, feed_id)[0].outcome == "error"


# --------------------------------------------------------------------------- politeness and safety


def test_private_addresses_are_refused_by_default(engine, settings, feed_server):
    settings = with_fetch(settings, allow_private_networks=False)
    add_feed(engine, "lokal", feed_server.feed("/rss", fixture_bytes("wib_dates.xml")))
    add_feed(engine, "localhost", f"http://localhost:{feed_server.port}/rss")
    started = now()
    outcomes = cycle(engine, settings)
    assert {o.outcome for o in outcomes} == {"error"}
    assert feed_server.requests == []  # refused before connecting
    for feed_id in ("lokal", "localhost"):
        assert attempts(engine, feed_id)[0].error_kind == "private_address"
        assert_failed_once(get_feed(engine, feed_id), "jaringan privat", started, settings)
    assert count(engine, Article) == 0


@pytest.mark.parametrize(
    "url",
    ["http://10.1.2.3/rss", "http://192.168.1.1/rss", "http://172.16.0.5/rss", "http://169.254.169.254/latest/meta-data/",
     "http://[::1]/rss", "http://0.0.0.0/rss", "http://localhost/rss", "http://100.64.0.1/rss"],
)
def test_non_public_addresses_are_refused(url):
    import asyncio

    from monitor.feeds.fetch import FetchError, check_address

    with pytest.raises(FetchError) as info:
        asyncio.run(check_address(url, allow_private=False))
    assert info.value.kind == "private_address"
    asyncio.run(check_address(url, allow_private=True))  # allowed when asked for


def test_public_address_and_bad_scheme():
    import asyncio

    from monitor.feeds.fetch import FetchError, check_address

    asyncio.run(check_address("https://93.184.215.14/rss", allow_private=False))  # a literal public address: no DNS needed
    with pytest.raises(FetchError) as info:
        asyncio.run(check_address("file:///etc/passwd", allow_private=True))
    assert info.value.kind == "bad_url"


def test_redirect_hops_are_checked_too(engine, settings, feed_server):
    # every hop goes through the same address check: a redirect to a refused address fails the fetch
    # (here: a redirect to a non-http scheme, which is refused even with private networks allowed)
    add_feed(engine, "alih", feed_server.route("/rss", status=302, headers={"Location": "file:///etc/passwd"}))
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "error"
    assert attempts(engine, "alih")[0].error_kind == "bad_url"


def test_allow_private_networks_from_env(monkeypatch):
    from monitor.config import Settings

    monkeypatch.delenv("WASPADA_ALLOW_PRIVATE_NETWORKS", raising=False)
    assert Settings.from_env().fetch.allow_private_networks is False
    monkeypatch.setenv("WASPADA_ALLOW_PRIVATE_NETWORKS", "1")
    assert Settings.from_env().fetch.allow_private_networks is True


def test_per_host_min_gap(engine, settings, feed_server):
    gap = 0.3
    settings = with_fetch(settings, per_host_min_gap=gap, per_host_concurrency=4)
    for i in range(4):
        add_feed(engine, f"f{i}", feed_server.feed(f"/f{i}", rss([{"title": f"Berita {i}", "link": f"https://c.example.id/{i}"}])))
    cycle(engine, settings)
    times = sorted(r.time for r in feed_server.requests)
    assert len(times) == 4
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= gap - 0.05, gaps


def test_per_host_concurrency_limit(engine, settings, feed_server):
    import threading
    import time

    active, peak, lock = [0], [0], threading.Lock()
    body = rss([{"title": "Berita", "link": "https://c.example.id/1"}]).encode()

    def handler(request):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.15)
        with lock:
            active[0] -= 1
        return Response(body=body, headers={"Content-Type": RSS_TYPE})

    settings = with_fetch(settings, per_host_concurrency=2)
    for i in range(6):
        add_feed(engine, f"f{i}", feed_server.route(f"/f{i}", handler))
    cycle(engine, settings)
    assert len(feed_server.requests) == 6
    assert peak[0] <= 2
