"""URL canonicalisation, tracking parameters, HTML sanitising and plain text."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from monitor.feeds.parse import content_hash, entry_content, parse_feed
from monitor.feeds.sanitize import bound_markup, html_to_text, sanitize_html
from monitor.feeds.urls import article_url, canonical_url, strip_tracking
from tests.monitor.helpers import add_feed, articles, attempts, cycle, fixture_bytes, rss


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example.id/berita/1?utm_source=rss&utm_medium=feed&utm_campaign=x", "https://a.example.id/berita/1"),
        ("https://a.example.id/berita/1?id=5&fbclid=IwAR0abc&gclid=zz", "https://a.example.id/berita/1?id=5"),
        ("https://a.example.id/berita/1?ref=rss#komentar", "https://a.example.id/berita/1"),
        ("https://a.example.id/berita/1?mc_cid=1&_ga=2&pk_campaign=3&igshid=4", "https://a.example.id/berita/1"),
        ("https://a.example.id/read?id=7&UTM_SOURCE=Twitter", "https://a.example.id/read?id=7"),
    ],
)
def test_strip_tracking(url, expected):
    assert strip_tracking(url) == expected


@pytest.mark.parametrize(
    "variant",
    [
        "https://kalteng.example.id/berita/12/judul",
        "http://kalteng.example.id/berita/12/judul",
        "https://www.kalteng.example.id/berita/12/judul/",
        "HTTPS://Kalteng.Example.ID:443/berita/12/judul?utm_source=facebook",
        "https://kalteng.example.id/berita/12/judul/amp",
        "https://kalteng.example.id/berita/12/judul#baca-juga",
    ],
)
def test_canonical_url_one_spelling(variant):
    assert canonical_url(variant) == "https://kalteng.example.id/berita/12/judul"


def test_canonical_url_keeps_meaningful_query_sorted():
    assert canonical_url("https://a.example.id/read.php?b=2&a=1") == "https://a.example.id/read.php?a=1&b=2"
    assert canonical_url("https://a.example.id:8080/x") == "https://a.example.id:8080/x"


def test_sanitize_removes_script_and_event_handlers():
    dirty = (
        '<p onclick="steal()">Warga <b>Sampit</b> berkumpul.</p><script>alert("x")</script>'
        '<img src="x.gif" onerror="alert(1)"><iframe src="https://evil.example/"></iframe>'
        '<a href="javascript:alert(1)">klik</a> <a href="https://kalteng.example.id/a" onmouseover="x()">baca</a>'
        "<style>p{color:red}</style>"
    )
    clean = sanitize_html(dirty)
    for bad in ("<script", "alert", "onerror", "onclick", "onmouseover", "<iframe", "<img", "javascript:", "<style"):
        assert bad not in clean
    assert "<b>Sampit</b>" in clean
    assert 'href="https://kalteng.example.id/a"' in clean
    assert "nofollow" in clean


def test_html_to_text_is_plain():
    text = html_to_text('<p>Banjir di&nbsp;Kapuas.</p><script>var x = "<b>iklan</b>";</script><p>Warga &amp; relawan <i>mengungsi</i>.</p>')
    assert text == "Banjir di Kapuas.\n\nWarga & relawan mengungsi."


def test_feed_html_is_sanitised_and_plain_text_stored():
    parsed = parse_feed(fixture_bytes("antara_kalteng_terkini.xml"), {}, "https://kalteng.kantorberita.example.id/rss",
                        fetched_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    flood = entry_content(parsed.entries[1])
    assert "<script" not in flood.summary_html and "onerror" not in flood.summary_html and "alert" not in flood.summary_html
    assert "iklan" not in flood.summary_text and "<" not in flood.summary_text
    assert "BPBD Kapuas mendirikan posko pengungsian." in flood.summary_text


def test_content_hash_ignores_case_and_punctuation():
    assert content_hash("Banjir di Kapuas!", "Warga  mengungsi.") == content_hash("banjir di kapuas", "warga mengungsi")
    assert content_hash("Banjir di Kapuas", "x") != content_hash("Banjir di Katingan", "x")


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("/berita/5/relatif?utm_source=rss", "https://kabar.example.id/berita/5/relatif"),
        ("//cdn.kabar.example.id/berita/6", "https://cdn.kabar.example.id/berita/6"),
        ("http://kabar.example.id/berita/7", "http://kabar.example.id/berita/7"),
        ("javascript:alert(document.cookie)", None),
        (" JavaScript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", None),
        ("file:///etc/passwd", None),
        ("vbscript:msgbox(1)", None),
        ("mailto:redaksi@kabar.example.id", None),
        ("http://kabar.example.id:99999/berita", None),
        ("", None),
    ],
)
def test_article_url_is_http_only(link, expected):
    assert article_url(link, "https://kabar.example.id/rss/terkini.xml") == expected


def test_relative_link_of_a_saved_file_is_not_an_article_url():
    assert article_url("/berita/5", "file:///srv/arsip/feed.xml") is None


def test_only_http_article_links_are_stored(engine, settings, feed_server):
    items = [
        {"title": "Tautan javascript", "link": "javascript:alert(document.cookie)", "guid": "js-1", "description": "Isi satu."},
        {"title": "Tautan data", "link": "data:text/html;base64,PHNjcmlwdD4=", "guid": "data-1", "description": "Isi dua."},
        {"title": "Tautan berkas", "link": "file:///etc/passwd", "guid": "file-1", "description": "Isi tiga."},
        {"title": "Tanpa GUID", "link": "vbscript:msgbox(1)", "description": "Isi empat."},
        {"title": "Tautan relatif", "link": "/berita/5/relatif?utm_source=rss", "guid": "rel-1", "description": "Isi lima."},
    ]
    url = feed_server.feed("/rss", rss(items))
    add_feed(engine, "tautan", url)
    # another outlet using the same GUID with a bad link is its own item
    add_feed(engine, "lain", feed_server.feed("/lain", rss(items[:1])), outlet="Outlet lain")
    outcomes = {o.feed_id: o for o in cycle(engine, settings)}
    assert (outcomes["tautan"].n_entries, outcomes["tautan"].n_new) == (4, 4)
    assert outcomes["lain"].n_new == 1
    stored = {(a.feed_id, a.guid): a for a in articles(engine)}
    assert sorted(stored) == [("lain", "js-1"), ("tautan", "data-1"), ("tautan", "file-1"), ("tautan", "js-1"), ("tautan", "rel-1")]
    assert stored[("tautan", "rel-1")].url == feed_server.url("/berita/5/relatif")
    for key in (("tautan", "js-1"), ("tautan", "data-1"), ("tautan", "file-1"), ("lain", "js-1")):
        article = stored[key]
        assert article.url == ""  # the schema has no NULL url: "" is an item without a link
        assert article.canonical_url == f"guid:{key[0]}:{key[1]}"
    [attempt] = attempts(engine, "tautan")
    assert sum("bukan alamat http(s)" in w for w in attempt.warnings) == 4
    assert any("tanpa GUID dan tanpa tautan http(s) dilewati" in w for w in attempt.warnings)


def test_relative_links_in_the_text_are_resolved_against_the_feed():
    clean = sanitize_html('<a href="/berita/2">baca</a> <a href="javascript:alert(1)">x</a>', "https://kabar.example.id/rss")
    assert 'href="https://kabar.example.id/berita/2"' in clean and "javascript" not in clean
    assert 'href="/berita/2"' in sanitize_html('<a href="/berita/2">baca</a>', "file:///srv/arsip/feed.xml")
    # sanitisers are reused per feed address: each still resolves against its own
    for base in ("https://a.example.id/rss", "https://b.example.id/feed", "https://a.example.id/rss"):
        assert f'href="{base.rsplit("/", 1)[0]}/berita/2"' in sanitize_html('<a href="berita/2">baca</a>', base)
    assert 'href="berita/2"' in sanitize_html('<a href="berita/2">baca</a>')


@pytest.mark.parametrize(
    ("markup", "max_chars", "expected", "cut", "flattened"),
    [
        ("<p>Warga <b>Sampit</b> berkumpul.</p>", 100, "<p>Warga <b>Sampit</b> berkumpul.</p>", False, False),
        ("<div>" * 5 + "x" + "</div>" * 5, 100, "<div>" * 3 + "x" + "</div>" * 3, False, True),
        ("<div>" * 3 + "</span>" * 3 + "<div>" * 3, 100, "<div>" * 3, False, True),  # stray end tags close nothing
        ("<p>a<p>b<p>c<p>d", 100, "<p>a<p>b<p>c<p>d", False, False),  # a <p> closes the open <p>, as in HTML
        ('<div title="<"><div title="<">', 100, '&lt;div title="&lt;">&lt;div title="&lt;">', False, False),
        ("a <!-- <div><div><div><div> --> b < c", 100, "a  b &lt; c", False, False),
        ("abcdefgh<b>ij</b>", 10, "abcdefgh", True, False),  # a tag cut in half is dropped
    ],
)
def test_bound_markup(markup, max_chars, expected, cut, flattened):
    assert bound_markup(markup, max_chars=max_chars, max_depth=3) == (expected, cut, flattened)


def test_bounded_markup_sanitises_fast_and_keeps_the_text():
    hostile = "<div>" * 50_000 + "inti" + "</div>" * 50_000
    bounded = bound_markup(hostile, max_chars=len(hostile), max_depth=64)
    assert bounded.flattened and not bounded.cut
    assert html_to_text(bounded.html) == "inti"
    assert sanitize_html(bounded.html) == "inti"
