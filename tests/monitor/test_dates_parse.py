"""Indonesian dates and the formats of real Indonesian feeds, parsed from self-written fixtures."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from monitor.feeds.dates import parse_indonesian_date
from monitor.feeds.parse import NotAFeedError, entry_content, parse_feed
from tests.monitor.helpers import fixture_bytes

UTC = timezone.utc
FETCHED = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 September 2019 13:30 WIB", datetime(2019, 9, 10, 6, 30, tzinfo=UTC)),
        ("Senin, 10 Februari 2025 13:30 WIB", datetime(2025, 2, 10, 6, 30, tzinfo=UTC)),
        ("Senin, 10 Sep 2019 13:30:00 WITA", datetime(2019, 9, 10, 5, 30, tzinfo=UTC)),
        ("Rabu, 12 Maret 2025 20:15:00 WIT", datetime(2025, 3, 12, 11, 15, tzinfo=UTC)),
        ("1 Januari 2025 00:30 WIB", datetime(2024, 12, 31, 17, 30, tzinfo=UTC)),  # crosses the year
        ("17 Agustus 2025 pukul 07.00 WIB", datetime(2025, 8, 17, 0, 0, tzinfo=UTC)),
        ("5 Mei 2024 09:00 WIB", datetime(2024, 5, 5, 2, 0, tzinfo=UTC)),
        ("3 Okt 2024 10:00 WITA", datetime(2024, 10, 3, 2, 0, tzinfo=UTC)),
        ("28 Nopember 2024 16:45 WIB", datetime(2024, 11, 28, 9, 45, tzinfo=UTC)),
        ("9 Desember 2024 08:00", datetime(2024, 12, 9, 1, 0, tzinfo=UTC)),  # no zone: WIB assumed
        ("Mon, 28 Aug 2022 10:00:00 +0700", datetime(2022, 8, 28, 3, 0, tzinfo=UTC)),
        ("Sun, 28 Aug 2022 21:39:36 +0700", datetime(2022, 8, 28, 14, 39, 36, tzinfo=UTC)),
        ("Jumat, 7 Juni 2024 14:00 +08:00", datetime(2024, 6, 7, 6, 0, tzinfo=UTC)),
        ("7 Juli 2024 14:00 GMT", datetime(2024, 7, 7, 14, 0, tzinfo=UTC)),
    ],
)
def test_indonesian_dates_to_utc(text, expected):
    assert parse_indonesian_date(text) == expected


@pytest.mark.parametrize("text", ["", "kemarin sore", "31 Februari 2025 10:00 WIB", "10 Brumaire 2025", "2025-02-10T13:30:00+07:00"])
def test_not_indonesian_dates(text):
    assert parse_indonesian_date(text) is None


def test_feed_dates_with_wib_wita_wit_and_month_names():
    parsed = parse_feed(fixture_bytes("wib_dates.xml"), {"content-type": "application/rss+xml"}, "https://radarkalteng.example.id/rss", fetched_at=FETCHED)
    dates = [e.published_at for e in parsed.entries]
    assert dates == [
        datetime(2025, 2, 10, 6, 30, tzinfo=UTC),  # Senin, 10 Februari 2025 13:30 WIB
        datetime(2025, 3, 11, 0, 0, tzinfo=UTC),  # Tue, 11 Mar 2025 08:00:00 WITA
        datetime(2025, 3, 12, 11, 15, tzinfo=UTC),  # Rabu, 12 Maret 2025 20:15:00 WIT
        datetime(2025, 8, 17, 0, 0, tzinfo=UTC),  # 17 Agustus 2025 07:00 (no zone = WIB)
    ]
    assert all(d.tzinfo is not None for d in dates)


def test_future_date_is_replaced_by_fetch_time_with_a_warning():
    parsed = parse_feed(fixture_bytes("wib_dates.xml"), {}, "https://radarkalteng.example.id/rss",
                        fetched_at=datetime(2025, 3, 1, tzinfo=UTC))
    assert parsed.entries[0].published_at == datetime(2025, 2, 10, 6, 30, tzinfo=UTC)
    assert parsed.entries[2].published_at == datetime(2025, 3, 1, tzinfo=UTC)
    assert any("masa depan" in w for w in parsed.warnings)


def test_antara_style_rss_with_cdata_and_content_encoded():
    parsed = parse_feed(fixture_bytes("antara_kalteng_terkini.xml"), {"content-type": "application/rss+xml; charset=utf-8"},
                        "https://kalteng.kantorberita.example.id/rss/terkini.xml", fetched_at=FETCHED)
    assert parsed.version == "rss20"
    assert parsed.warnings == []
    assert len(parsed.entries) == 3
    first = parsed.entries[0]
    content = entry_content(first)
    assert content.title == "Warga Desa Sebabi minta kejelasan plasma sawit 20 persen"
    # content:encoded wins over the shorter description
    assert "sepuluh tahun" in content.summary_text
    assert "\u201cKami" in content.summary_text and "&ldquo;" not in content.summary_text and "&nbsp;" not in content.summary_text
    assert "<img" not in content.summary_html and "<p>" in content.summary_html
    assert first.published_at == datetime(2025, 2, 10, 13, 30, tzinfo=UTC)
    assert first.language == "id"
    assert first.url == "https://kalteng.kantorberita.example.id/berita/700101/warga-desa-sebabi-minta-kejelasan-plasma-sawit"
    assert first.guid == first.url


def test_wordpress_rss():
    parsed = parse_feed(fixture_bytes("wordpress_kalteng.xml"), {}, "https://possampit.example.id/feed/", fetched_at=FETCHED)
    assert parsed.version == "rss20"
    assert [e.guid for e in parsed.entries] == ["https://possampit.example.id/?p=4521", "https://possampit.example.id/?p=4519"]
    first = parsed.entries[0]
    assert first.url == "https://possampit.example.id/2025/02/11/sengketa-lahan-di-parenggean/"  # utm_* gone
    assert first.author == "Redaksi Pos Sampit"
    assert "dijaga aparat kepolisian" in entry_content(first).summary_text
    assert first.published_at == datetime(2025, 2, 11, 2, 0, tzinfo=UTC)
    assert first.language == "id-ID"


def test_atom():
    parsed = parse_feed(fixture_bytes("atom_kalteng.xml"), {"content-type": "application/atom+xml"},
                        "https://wartakatingan.example.id/atom.xml", fetched_at=FETCHED)
    assert parsed.version == "atom10"
    assert len(parsed.entries) == 2
    first, second = parsed.entries
    assert first.guid == "tag:wartakatingan.example.id,2025:berita-3301"
    assert first.published_at == datetime(2025, 2, 12, 1, 15, tzinfo=UTC)
    text = entry_content(first).summary_text
    assert "menyeberang dengan perahu" in text and "<p>" not in text
    assert first.author == "Tim Warta Katingan"
    assert second.published_at == datetime(2025, 2, 11, 16, 0, tzinfo=UTC)  # only <updated>


def test_rss_091():
    parsed = parse_feed(fixture_bytes("rss091_kalteng.xml"), {}, "http://www.tabloidbarito.example.id/rss", fetched_at=FETCHED)
    assert parsed.version.startswith("rss091")
    assert len(parsed.entries) == 2
    assert entry_content(parsed.entries[0]).title == "Aksi damai tolak tambang batu bara di Muara Teweh"
    assert parsed.entries[0].url == "http://www.tabloidbarito.example.id/read/2025/02/12/881/aksi-damai-tolak-tambang"
    assert parsed.entries[0].published_at == datetime(2025, 2, 12, 3, 30, tzinfo=UTC)


def test_escaped_html_single_line_with_stylesheet():
    parsed = parse_feed(fixture_bytes("escaped_html.xml"), {}, "http://kalteng.contohportal.example.id/rss", fetched_at=FETCHED)
    assert len(parsed.entries) == 2
    first = parsed.entries[0]
    content = entry_content(first)
    assert content.summary_text == ("Polisi mengamankan bentrok antarwarga dua desa di Pulang Pisau yang dipicu sengketa batas lahan.")
    assert "<img" not in content.summary_html and "&lt;" not in content.summary_html
    assert first.url == "http://kalteng.contohportal.example.id/read/2025/02/12/121500/polisi-amankan-bentrok"
    assert first.guid == "contohportal-121500"
    assert first.published_at == datetime(2025, 2, 12, 5, 0, tzinfo=UTC)


def test_no_xml_declaration_and_wrong_language_tag():
    parsed = parse_feed(fixture_bytes("no_declaration_en_us.xml"), {"content-type": "text/xml"},
                        "http://rss.contoh.example.id/get/all", fetched_at=FETCHED)
    assert [entry_content(e).title for e in parsed.entries] == ["Ribuan hektare sawah di Pangkalan Bun terendam", "Nelayan Kumai keluhkan solar langka"]
    # the declared language is kept as provenance; the Indonesian text is not dropped because of it
    assert parsed.entries[0].language == "en-us"
    assert parsed.entries[0].published_at == datetime(2025, 2, 12, 0, 20, tzinfo=UTC)


def test_malformed_xml_keeps_what_it_can_with_a_warning():
    parsed = parse_feed(fixture_bytes("malformed.xml"), {}, "https://ekspres.example.id/rss", fetched_at=FETCHED)
    assert parsed.warnings and "tidak rapi" in parsed.warnings[0]
    assert [entry_content(e).title for e in parsed.entries][:1] == ["Demo sopir truk batu bara di Tamiang Layang"]


def test_empty_channel_is_a_feed_without_entries():
    parsed = parse_feed(fixture_bytes("empty_channel.xml"), {}, "https://kabarlamandau.example.id/rss", fetched_at=FETCHED)
    assert parsed.entries == [] and parsed.version == "rss20"


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [
        (b"", {}, "kosong"),
        (b"   \n", {}, "kosong"),
        (fixture_bytes("site_page.html"), {"content-type": "text/html; charset=utf-8"}, "HTML"),
        (b'{"error": "not found"}', {"content-type": "application/json"}, "bukan feed"),
    ],
)
def test_not_a_feed(body, headers, reason):
    with pytest.raises(NotAFeedError, match=reason):
        parse_feed(body, headers, "https://example.id/rss", fetched_at=FETCHED)


def test_wrong_declared_encoding_is_read_with_a_warning():
    # the XML says utf-8, the bytes are windows-1252 (a CMS that re-encodes without updating the declaration)
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Contoh Kalteng</title>'
        "<item><title>Caf\u00e9 di Palangka Raya ditutup \u2013 warga protes</title>"
        "<link>https://contoh.example.id/berita/1</link><description>Pemilik caf\u00e9 mengadu ke DPRD.</description></item>"
        "</channel></rss>"
    ).encode("cp1252")
    parsed = parse_feed(body, {"content-type": "application/rss+xml; charset=utf-8"}, "https://contoh.example.id/rss", fetched_at=FETCHED)
    assert parsed.warnings  # the mismatch is recorded
    assert len(parsed.entries) == 1
    assert "Palangka Raya" in entry_content(parsed.entries[0]).title


@pytest.mark.parametrize("value", ["01 Januari 0001 00:00 WIB", "31 Desember 9999 23:59 -12:00"])
def test_dates_at_the_ends_of_the_calendar_are_unreadable_not_a_crash(value):
    assert parse_indonesian_date(value) is None


def test_a_date_that_is_not_a_date_is_a_warning():
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Kabar</title>'
        "<item><title>Bentrok warga</title><link>https://kabar.example.id/1</link><pubDate>[/] kemarin</pubDate></item>"
        "</channel></rss>"
    ).encode()
    parsed = parse_feed(body, {}, "https://kabar.example.id/rss", fetched_at=FETCHED)
    assert [e.published_at for e in parsed.entries] == [None]
    assert "tanggal tidak terbaca: '[/] kemarin'" in parsed.warnings
