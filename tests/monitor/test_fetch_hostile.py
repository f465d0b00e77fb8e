"""Hostile feeds: DNS rebinding, SSRF spellings, and malformed addresses, against real local servers.

Rebinding is played by a fake name server for `*.test` names installed as `socket.getaddrinfo` (the
OS resolution layer, which both the fetcher's check and an HTTP client connecting by name go
through); the fetcher itself is real. A test address policy treats 127.0.0.2 as the "public" internet
and everything else as internal: a server on 127.0.0.2 plays the public feed, the `feed_server` on
127.0.0.1 (same port) plays an internal page that must never be fetched nor stored.
"""
from __future__ import annotations

import ipaddress
import socket
import ssl
import threading

import httpx
import pytest
import trustme

from monitor.db.models import Article, RawDocument
from tests.conftest import FeedServer
from tests.monitor.helpers import add_feed, articles, attempts, count, cycle, get_feed, rss, with_fetch

PUBLIC = "127.0.0.2"
INTERNAL = "127.0.0.1"
PUBLIC_ITEM = {"title": "Warga Kotim tolak perluasan kebun sawit", "link": "https://kalteng.example.id/berita/1"}
INTERNAL_PAGE = rss([{"title": "RAHASIA: halaman admin internal", "link": "http://intranet.internal/admin"}])


def only_public_loopback(address) -> bool:
    """The test's address policy: 127.0.0.2 stands for the public internet, nothing else is allowed."""
    return address == ipaddress.ip_address(PUBLIC)


class RebindingDns:
    """A name server for the listed names: each answers in turn from its list (the last answer repeats).

    An answer is one address, or a tuple of addresses in order of preference.

    Other names go to the real resolver. `asked` lists every name looked up, in order.
    """

    def __init__(self, answers: dict[str, list[str | tuple[str, ...]]], real):
        self.answers = answers
        self.asked: list[str] = []
        self._real = real
        self._lock = threading.Lock()

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode("ascii") if isinstance(host, bytes) else host
        if name not in self.answers:
            return self._real(host, port, family, type, proto, flags)
        with self._lock:
            turn = self.asked.count(name)
            self.asked.append(name)
        answers = self.answers[name]
        answer = answers[min(turn, len(answers) - 1)]
        addresses = answer if isinstance(answer, tuple) else (answer,)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, int(port or 0))) for a in addresses]


@pytest.fixture
def dns(monkeypatch):
    """Install a RebindingDns as socket.getaddrinfo for the test."""

    def install(answers: dict[str, list[str | tuple[str, ...]]]) -> RebindingDns:
        fake = RebindingDns(answers, socket.getaddrinfo)
        monkeypatch.setattr(socket, "getaddrinfo", fake)
        return fake

    return install


@pytest.fixture
def public_server(feed_server):
    """The 'public' feed server: 127.0.0.2 on the same port as the internal feed_server on 127.0.0.1."""
    server = FeedServer(host=PUBLIC, port=feed_server.port).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def strict(settings):
    """Settings that refuse non-public addresses (the test policy decides what is public)."""
    return with_fetch(settings, allow_private_networks=False)


# --------------------------------------------------------------------------- DNS rebinding


def test_rebinding_name_is_fetched_from_the_checked_address(engine, strict, feed_server, public_server, dns):
    port = feed_server.port
    resolver = dns({
        "kabar.test": [PUBLIC, INTERNAL],  # rebinds after the first answer
        "alih.test": [PUBLIC],
        "cdn.test": [PUBLIC, INTERNAL],  # the redirect's target rebinds too
    })
    for path in ("/rss", "/alih", "/cdn.xml"):
        feed_server.feed(path, INTERNAL_PAGE)  # whatever reaches the internal server gets an internal page
    public_server.feed("/rss", rss([PUBLIC_ITEM]))
    public_server.route("/alih", status=302, headers={"Location": f"http://cdn.test:{port}/cdn.xml"})
    public_server.feed("/cdn.xml", rss([dict(PUBLIC_ITEM, link="https://kalteng.example.id/berita/2")]))
    add_feed(engine, "langsung", f"http://kabar.test:{port}/rss")
    add_feed(engine, "alih", f"http://alih.test:{port}/alih")

    outcomes = cycle(engine, strict, address_allowed=only_public_loopback)

    assert {o.feed_id: o.outcome for o in outcomes} == {"langsung": "ok", "alih": "ok"}
    assert [a.title for a in articles(engine)] == [PUBLIC_ITEM["title"]] * 2  # nothing internal stored
    assert feed_server.requests == []  # the internal server was never reached
    seen = sorted((r.path, r.headers["host"]) for r in public_server.requests)
    assert seen == [("/alih", f"alih.test:{port}"), ("/cdn.xml", f"cdn.test:{port}"), ("/rss", f"kabar.test:{port}")]
    assert sorted(resolver.asked) == ["alih.test", "cdn.test", "kabar.test"]  # one look-up per hop: the checked one
    assert attempts(engine, "alih")[0].final_url == f"http://cdn.test:{port}/cdn.xml"

    # the next cycle's check sees the internal answer and refuses it before connecting
    outcomes = cycle(engine, strict, address_allowed=only_public_loopback)
    assert {o.feed_id: o.outcome for o in outcomes} == {"langsung": "error", "alih": "error"}
    assert [a.error_kind for a in attempts(engine, "langsung")] == [None, "private_address"]
    assert feed_server.requests == []
    assert not any("RAHASIA" in a.title for a in articles(engine))


def test_next_checked_address_is_tried_when_the_first_refuses(engine, settings, feed_server, public_server, dns):
    # a name with several addresses: like a browser, go on to the next one when a connection fails,
    # but only among the addresses the check saw (here nothing listens on 127.0.0.3)
    port = feed_server.port
    resolver = dns({"kabar.test": [("127.0.0.3", PUBLIC), INTERNAL]})
    feed_server.feed("/rss", INTERNAL_PAGE)
    public_server.feed("/rss", rss([PUBLIC_ITEM]))
    add_feed(engine, "ganda", f"http://kabar.test:{port}/rss")
    [outcome] = cycle(engine, settings)
    assert outcome.outcome == "ok" and [a.title for a in articles(engine)] == [PUBLIC_ITEM["title"]]
    assert feed_server.requests == [] and len(public_server.requests) == 1
    assert resolver.asked == ["kabar.test"]


@pytest.mark.parametrize(
    "spelling",
    ["intern.test", "127.1", "2130706433", "0x7f000001", "[::ffff:127.0.0.1]", "localhost"],
)
def test_redirect_to_an_internal_address_is_refused(engine, strict, feed_server, public_server, dns, spelling):
    port = feed_server.port
    dns({"kabar.test": [PUBLIC], "intern.test": [INTERNAL]})
    feed_server.feed("/rss", INTERNAL_PAGE)
    public_server.route("/alih", status=302, headers={"Location": f"http://{spelling}:{port}/rss"})
    add_feed(engine, "alih", f"http://kabar.test:{port}/alih")
    [outcome] = cycle(engine, strict, address_allowed=only_public_loopback)
    assert outcome.outcome == "error" and "jaringan privat" in outcome.message
    [attempt] = attempts(engine, "alih")
    assert attempt.error_kind == "private_address"
    assert feed_server.requests == [] and count(engine, Article) == 0


@pytest.fixture
def tls_public(tmp_path, monkeypatch):
    """An HTTPS 'public' server on 127.0.0.2 whose certificate names kabar.test only (a test CA the client trusts)."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("kabar.test").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    server = FeedServer(host=PUBLIC, tls=context).start()
    try:
        yield server
    finally:
        server.stop()


def test_https_is_pinned_and_verified_against_the_host_name(engine, strict, tls_public, dns):
    port = tls_public.port
    dns({"kabar.test": [PUBLIC, INTERNAL], "palsu.test": [PUBLIC]})
    tls_public.feed("/rss", rss([PUBLIC_ITEM]))
    add_feed(engine, "aman", f"https://kabar.test:{port}/rss")
    add_feed(engine, "palsu", f"https://palsu.test:{port}/rss")  # same server, but its certificate does not name palsu.test

    outcomes = {o.feed_id: o for o in cycle(engine, strict, address_allowed=only_public_loopback)}

    assert outcomes["aman"].outcome == "ok" and outcomes["aman"].n_new == 1
    assert outcomes["palsu"].outcome == "error" and "CERTIFICATE_VERIFY_FAILED" in outcomes["palsu"].message
    assert [(r.path, r.headers["host"]) for r in tls_public.requests] == [("/rss", f"kabar.test:{port}")]
    assert [a.title for a in articles(engine)] == [PUBLIC_ITEM["title"]]


# --------------------------------------------------------------------------- malformed addresses

MALFORMED = [  # (name, address, a word the message must contain)
    ("port", "http://kalteng.example:99999/rss", "port"),
    ("port-nol", "http://kalteng.example:0/rss", "port"),
    ("ipv6", "http://[::1/rss", "IPv6"),
    ("ipv6-isi", "http://[zz::1]/rss", "IPv6"),
    ("host-kosong", "http:///rss", "nama host"),
    ("skema", "ftp://kalteng.example/rss", "http"),
    ("spasi", "http://kalteng example/rss", "spasi"),
    ("kendali", "http://kalteng.example/r\tss", "kendali"),
    ("panjang", "http://kalteng.example/" + "a" * 5000, "panjang"),
    ("idna", "http://xn--n3h.example/rss", "nama host"),
    ("oktal", "http://0177.0.0.1/rss", "nama host"),
]


def test_malformed_addresses_are_errors_of_their_feed_only(engine, settings, feed_server):
    add_feed(engine, "sehat", feed_server.feed("/sehat.xml", rss([PUBLIC_ITEM])))
    for name, address, _ in MALFORMED:
        add_feed(engine, f"url-{name}", address)  # configured so
        add_feed(engine, f"alih-{name}", feed_server.route(f"/alih-{name}", status=302, headers={"Location": address}))

    outcomes = {o.feed_id: o for o in cycle(engine, settings)}

    assert len(outcomes) == 1 + 2 * len(MALFORMED)  # the cycle went through every feed
    assert (outcomes["sehat"].outcome, outcomes["sehat"].n_new) == ("ok", 1)
    assert [a.title for a in articles(engine)] == [PUBLIC_ITEM["title"]] and count(engine, RawDocument) == 1
    for name, _, word in MALFORMED:
        for feed_id, status in ((f"url-{name}", None), (f"alih-{name}", 302)):
            [attempt] = attempts(engine, feed_id)
            assert (attempt.outcome, attempt.error_kind, attempt.http_status) == ("error", "bad_url", status), attempt.error_message
            assert "alamat tidak sah" in attempt.error_message and word in attempt.error_message, attempt.error_message
            assert len(attempt.error_message) < 400
            feed = get_feed(engine, feed_id)
            assert feed.enabled and feed.error_count == 1 and feed.last_error == attempt.error_message
        assert attempts(engine, f"alih-{name}")[0].error_message.startswith("pengalihan HTTP 302")
    # nothing but the healthy feed and the redirecting pages was requested
    assert sorted(r.path for r in feed_server.requests) == sorted(["/sehat.xml"] + [f"/alih-{n}" for n, _, _ in MALFORMED])


def test_an_unforeseen_fault_is_an_error_of_that_feed_only(engine, settings):
    # a fault no rule above foresees, played by an HTTP transport that raises for one path
    body = rss([PUBLIC_ITEM]).encode()

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/rusak":
            raise RuntimeError("galat di dalam pustaka HTTP")
        return httpx.Response(200, content=body, headers={"Content-Type": "application/rss+xml"})

    add_feed(engine, "sehat", "http://127.0.0.1:9/sehat.xml")
    add_feed(engine, "rusak", "http://127.0.0.1:9/rusak")
    outcomes = {o.feed_id: o.outcome for o in cycle(engine, settings, transport=httpx.MockTransport(answer))}
    assert outcomes == {"sehat": "ok", "rusak": "error"}
    [attempt] = attempts(engine, "rusak")
    assert attempt.error_kind == "internal" and "RuntimeError" in attempt.error_message
    assert get_feed(engine, "rusak").error_count == 1 and len(articles(engine, "sehat")) == 1


def test_max_url_length_from_env(engine, settings, monkeypatch):
    from monitor.config import Settings

    monkeypatch.setenv("WASPADA_MAX_URL_LENGTH", "40")
    assert Settings.from_env().fetch.max_url_length == 40
    add_feed(engine, "panjang", "http://127.0.0.1:9/" + "b" * 30)
    [outcome] = cycle(engine, with_fetch(settings, max_url_length=40))
    assert outcome.outcome == "error" and "batas 40" in outcome.message
