"""`waspada` end to end, as a user runs it: a real process against the local feed server and a temp SQLite file."""
from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from monitor.db.session import open_database
from monitor.feeds.registry import load_feeds
from tests.conftest import Response
from tests.monitor.helpers import FEED_FIXTURES, articles, attempts, fixture_bytes, get_feed, rss



def write_feeds(path: Path, feeds: list[dict]) -> Path:
    entries = [{"name": f["id"], "outlet": f["id"], "region": "62", "interval_minutes": 30, "enabled": True, **f} for f in feeds]
    path.write_text(yaml.safe_dump({"feeds": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def engine_of(cli):
    return open_database(cli.db_url)


def test_fetch_once_then_list_and_export(cli, feed_server, tmp_path):
    feeds = write_feeds(tmp_path / "feeds.yaml", [
        {"id": "antara", "url": feed_server.feed("/antara.xml", fixture_bytes("antara_kalteng_terkini.xml"))},
        {"id": "warta", "url": feed_server.feed("/atom.xml", fixture_bytes("atom_kalteng.xml"), content_type="application/atom+xml")},
        {"id": "hilang", "url": feed_server.route("/hilang.xml", status=404)},
        {"id": "kotim", "url": feed_server.feed("/kotim.xml", fixture_bytes("wib_dates.xml")), "region": "62.02"},
    ])
    result = cli("fetch", "--once", "--feeds", str(feeds), real_process=True)
    assert "4 feed: 3 berhasil, 1 gagal; 9 artikel baru." in result.stdout
    assert "HTTP 404" in result.stdout
    for request in feed_server.requests:
        assert request.headers["user-agent"].startswith("Waspada/")

    engine = engine_of(cli)
    try:
        assert len(articles(engine)) == 9
        assert get_feed(engine, "hilang").error_count == 1
        assert get_feed(engine, "kotim").region == "62.02"
        assert attempts(engine, "antara")[0].outcome == "ok"
    finally:
        engine.dispose()

    again = cli("fetch", "--once", "--feeds", str(feeds))
    assert "0 artikel baru" in again.stdout

    listing = cli("feeds", "list", "--feeds", str(feeds))
    for feed_id in ("antara", "warta", "hilang", "kotim"):
        assert feed_id in listing.stdout
    assert "HTTP 404" in listing.stdout  # the last error is shown
    assert "WIB" in listing.stdout  # last success and next check, in the users' time

    exported = cli("articles", "export", "--format", "jsonl")
    records = [json.loads(line) for line in exported.stdout.splitlines() if line.strip()]
    assert len(records) == 9
    for record in records:
        assert set(record) == {"id", "feed_id", "url", "title", "summary", "published", "fetched", "story_cluster_id"}
        for key in ("published", "fetched"):
            assert record[key].endswith("Z")
            assert datetime.fromisoformat(record[key].replace("Z", "+00:00")).utcoffset().total_seconds() == 0
        assert isinstance(record["story_cluster_id"], int)
    sebabi = next(r for r in records if r["title"].startswith("Warga Desa Sebabi"))
    assert sebabi["published"] == "2025-02-10T13:30:00Z"
    assert sebabi["feed_id"] == "antara"
    assert "utm_" not in sebabi["url"]
    assert "<" not in sebabi["summary"]

    out_file = tmp_path / "artikel.jsonl"
    cli("articles", "export", "--format", "jsonl", "--output", str(out_file))
    assert len(out_file.read_text(encoding="utf-8").splitlines()) == 9
    assert cli("articles", "export", "--format", "csv", check=2).returncode == 2


def test_fetch_refuses_local_server_without_the_setting(cli, feed_server, tmp_path):
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"id": "lokal", "url": feed_server.feed("/rss", fixture_bytes("wib_dates.xml"))}])
    cli.env["WASPADA_ALLOW_PRIVATE_NETWORKS"] = "0"
    result = cli("fetch", "--once", "--feeds", str(feeds))
    assert "1 feed: 0 berhasil, 1 gagal" in result.stdout
    assert feed_server.requests == []


def test_fetch_with_a_broken_feeds_file(cli, tmp_path):
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"id": "rusak", "url": "ftp://x.example.id/rss"}])
    result = cli("fetch", "--once", "--feeds", str(feeds), check=2)
    assert "baris 8: isian 'url' harus alamat http(s), bukan 'ftp://x.example.id/rss'" in result.stderr


@pytest.mark.parametrize("command", [("feeds", "list"), ("fetch", "--once"), ("feeds", "check")])
def test_python_tags_and_lists_in_feeds_file_are_clear_errors(cli, tmp_path, command):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n- id: a1\n  name: !!python/object/apply:os.system [echo diretas]\n"
                     "  url: https://a.example.id/rss\n  outlet: [A, B]\n  region: '62'\n", encoding="utf-8")
    result = cli(*command, "--feeds", str(feeds), check=2)  # in-process: an exception would fail the test
    assert "baris 3: isian 'name': tag YAML '!!python/object/apply:os.system' tidak diizinkan" in result.stderr
    assert "baris 5: isian 'outlet' harus berupa teks, bukan daftar atau pemetaan" in result.stderr
    assert "diretas" not in result.stdout


def test_a_malformed_setting_stops_a_command_with_a_clear_message(cli, tmp_path):
    cli.env["WASPADA_MAX_BODY_BYTES"] = "5MB"
    expected = "WASPADA_MAX_BODY_BYTES harus bilangan bulat >= 1 (jumlah bita; bawaannya 5242880), bukan '5MB'"
    result = cli("feeds", "list", check=2, real_process=True)
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert expected in cli("plans", "list", check=2).stderr
    assert expected in cli("alerts", "list", check=2).stderr


def test_an_unusable_extra_taxonomy_stops_a_command_with_a_clear_message(cli, tmp_path):
    extra = tmp_path / "tambahan.yaml"
    extra.write_text("categories:\n  - code: !!python/object/apply:os.system [echo diretas]\n    name: X\n",
                     encoding="utf-8")
    cli.env["WASPADA_TAXONOMY_EXTRA"] = str(extra)
    result = cli("plans", "validate", "--contoh", check=2)
    assert f"{extra} baris 2: tag YAML '!!python/object/apply:os.system' tidak diizinkan" in result.stderr


def test_ingest_folder_twice(cli, tmp_path):
    folder = tmp_path / "arsip"
    folder.mkdir()
    for name in ("antara_kalteng_terkini.xml", "wordpress_kalteng.xml", "rss091_kalteng.xml"):
        shutil.copy(FEED_FIXTURES / name, folder / name)
    first = cli("ingest", str(folder), real_process=True)
    assert "7 artikel baru" in first.stdout
    second = cli("ingest", str(folder))
    assert "3 feed: 3 berhasil, 0 gagal; 0 artikel baru." in second.stdout
    engine = engine_of(cli)
    try:
        assert len(articles(engine)) == 7
    finally:
        engine.dispose()
    assert cli("ingest", str(tmp_path / "kosong"), check=2).returncode == 2


def test_feeds_check(cli, feed_server, tmp_path):
    feeds = write_feeds(tmp_path / "feeds.yaml", [
        {"id": "baik", "url": feed_server.feed("/baik", fixture_bytes("wordpress_kalteng.xml"))},
        {"id": "halaman", "url": feed_server.feed("/halaman", fixture_bytes("site_page.html"), content_type="text/html")},
        {"id": "gone", "url": feed_server.route("/gone", status=410)},
    ])
    only_good = cli("feeds", "check", "baik", "--feeds", str(feeds))
    assert "baik" in only_good.stdout and "ok" in only_good.stdout
    result = cli("feeds", "check", "--feeds", str(feeds), check=1)
    assert "bukan feed" in result.stdout and "gone" in result.stdout and "410" in result.stdout
    assert not (tmp_path / "cli.db").exists() or len(articles(engine_of(cli))) == 0  # nothing is stored


def test_feeds_add_with_autodiscovery(cli, feed_server, tmp_path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text((Path(__file__).resolve().parents[2] / "feeds.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    before = load_feeds(feeds)
    site = feed_server.route("/", Response(body=fixture_bytes("site_page.html"), headers={"Content-Type": "text/html; charset=utf-8"}))
    feed_server.feed("/feed/", fixture_bytes("wordpress_kalteng.xml"))
    result = cli("feeds", "add", site, "--id", "contoh-borneo-pos", "--region", "62.01", "--feeds", str(feeds))
    assert "contoh-borneo-pos" in result.stdout and "(2 item)" in result.stdout
    after = load_feeds(feeds)
    assert len(after) == len(before) + 1
    added = after[-1]
    assert (added.id, added.url, added.region) == ("contoh-borneo-pos", feed_server.url("/feed/"), "62.01")
    assert added.name == "Contoh Pos Sampit" and added.verified is True
    assert [r.path for r in feed_server.requests] == ["/", "/feed/"]  # the first announced feed was enough
    engine = engine_of(cli)
    try:
        assert get_feed(engine, "contoh-borneo-pos").url == feed_server.url("/feed/")
    finally:
        engine.dispose()
    # adding it again is refused and leaves the file as it was
    text = feeds.read_text(encoding="utf-8")
    cli("feeds", "add", site, "--id", "contoh-borneo-pos", "--feeds", str(feeds), check=1)
    assert feeds.read_text(encoding="utf-8") == text


def test_feeds_add_with_a_bad_region_leaves_feeds_yaml_byte_identical(cli, feed_server, tmp_path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text((Path(__file__).resolve().parents[2] / "feeds.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    before = feeds.read_bytes()
    url = feed_server.feed("/atom.xml", fixture_bytes("atom_kalteng.xml"), content_type="application/atom+xml")
    result = cli("feeds", "add", url, "--region", "99", "--feeds", str(feeds), check=1)
    assert feeds.read_bytes() == before
    # since feeds add goes through service.feeds, a bad region is refused before the site is even fetched
    assert result.stderr.strip() == "Wilayah harus 62 atau kode kabupaten/kota seperti 62.02."
    assert feed_server.requests_to("/atom.xml") == []
    listing = cli("feeds", "list", "--feeds", str(feeds))  # the file still works
    assert "contoh-warta-katingan" not in listing.stdout


def test_feeds_add_direct_feed_url_and_no_feed(cli, feed_server, tmp_path):
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"id": "ada", "url": "https://ada.example.id/rss"}])
    url = feed_server.feed("/atom.xml", fixture_bytes("atom_kalteng.xml"), content_type="application/atom+xml")
    result = cli("feeds", "add", url, "--feeds", str(feeds))
    assert "contoh-warta-katingan" in result.stdout
    assert [s.id for s in load_feeds(feeds)] == ["ada", "contoh-warta-katingan"]
    bare = feed_server.route("/polos", body=b"<html><head><title>x</title></head><body>tanpa feed</body></html>",
                             headers={"Content-Type": "text/html"})
    failed = cli("feeds", "add", bare, "--feeds", str(feeds), check=1)
    assert "Tidak menemukan feed" in failed.stderr


def test_a_date_with_rich_markup_is_a_warning_and_the_alert_stage_still_runs(cli, feed_server, tmp_path):
    def document(n: int) -> str:
        return rss([{"title": f"Bentrok warga soal lahan sawit di Sampit ({n})", "link": f"https://kabar.example.id/berita/{n}",
                     "guid": f"kabar-{n}", "pubDate": "[/] kemarin [bold red]",
                     "description": "Warga dua desa bentrok soal lahan kebun sawit di Kotawaringin Timur."}])

    saved = tmp_path / "tanggal-aneh.xml"
    saved.write_text(document(1), encoding="utf-8")
    ingested = cli("ingest", str(saved))
    assert "[/] kemarin [bold red]" in ingested.stdout  # printed as written, not read as markup
    assert "1 feed: 1 berhasil, 0 gagal; 1 artikel baru." in ingested.stdout
    assert "Deteksi dini:" in ingested.stdout

    feeds = write_feeds(tmp_path / "feeds.yaml", [{"id": "kabar", "url": feed_server.feed("/rss", document(2))}])
    fetched = cli("fetch", "--once", "--feeds", str(feeds))
    assert "1 feed: 1 berhasil, 0 gagal; 1 artikel baru." in fetched.stdout
    assert "Deteksi dini:" in fetched.stdout

    engine = engine_of(cli)
    try:
        assert [(a.guid, a.published_at) for a in articles(engine)] == [("kabar-1", None), ("kabar-2", None)]
        [attempt] = attempts(engine, "kabar")
        assert "tanggal tidak terbaca: '[/] kemarin [bold red]'" in attempt.warnings
    finally:
        engine.dispose()
