"""feeds.yaml: validation with line and field, the shipped file, syncing into the database."""
from __future__ import annotations

import stat
import textwrap

import pytest

from classifiers.layout import shipped_path
from monitor.db.models import Feed
from monitor.db.session import session_scope
from monitor.feeds.registry import FeedsFileError, FeedSource, append_feed, load_feeds, sync_feeds
from tests.hostile import alias_bomb

GOOD = """\
feeds:
- id: contoh-kalteng
  name: Contoh Kalteng
  url: https://kalteng.example.id/rss
  outlet: Contoh Kalteng
  region: '62'
  interval_minutes: 30
  enabled: true
  verified: true
  notes: Sumber uji.
- id: contoh-kotim
  name: Contoh Kotim
  url: https://kotim.example.id/feed/
  outlet: Contoh Kotim
  region: 62.10
  interval_minutes: 60
"""


def write(tmp_path, text: str):
    path = tmp_path / "feeds.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path) -> list[str]:
    with pytest.raises(FeedsFileError) as info:
        load_feeds(path)
    return info.value.problems


def test_shipped_feeds_yaml_validates():
    sources = load_feeds(shipped_path("feeds.yaml"))
    assert sources
    assert len({s.id for s in sources}) == len(sources)
    assert all(s.url.startswith(("http://", "https://")) for s in sources)
    assert all(isinstance(s.region, str) and s.region.startswith("62") for s in sources)


def test_good_file_and_region_kept_as_written(tmp_path):
    sources = load_feeds(write(tmp_path, GOOD))
    assert [s.id for s in sources] == ["contoh-kalteng", "contoh-kotim"]
    assert sources[1].region == "62.10"  # not the float 62.1
    assert sources[1].enabled is True and sources[1].verified is False and sources[1].notes == ""
    assert sources[0].interval_minutes == 30


def test_bad_url_reports_line_and_field(tmp_path):
    path = write(tmp_path, GOOD.replace("https://kotim.example.id/feed/", "ftp://kotim.example.id/feed"))
    assert problems_of(path) == ["baris 13: isian 'url' harus alamat http(s), bukan 'ftp://kotim.example.id/feed'"]


def test_url_without_host(tmp_path):
    problems = problems_of(write(tmp_path, GOOD.replace("https://kalteng.example.id/rss", "kalteng.example.id/rss")))
    assert problems == ["baris 4: isian 'url' harus alamat http(s), bukan 'kalteng.example.id/rss'"]


def test_duplicate_id_reports_both_lines(tmp_path):
    path = write(tmp_path, GOOD.replace("id: contoh-kotim", "id: contoh-kalteng"))
    assert problems_of(path) == ["baris 11: isian 'id' 'contoh-kalteng' sudah dipakai di baris 2"]


def test_unknown_field_reports_its_line(tmp_path):
    path = write(tmp_path, GOOD.replace("  interval_minutes: 60\n", "  interval_minutes: 60\n  intervall: 5\n"))
    assert problems_of(path) == ["baris 17: isian 'intervall' tidak dikenal (isian yang dikenal: id, name, url, "
                                 "outlet, region, interval_minutes, enabled, verified, notes)"]


def test_every_problem_is_reported_at_once(tmp_path):
    text = GOOD + textwrap.dedent("""\
    - id: Bad Id
      name: X
      url: notaurl
      outlet: X
      region: '63'
      interval_minutes: 5
      enabled: maybe
    - name: tanpa id
      url: https://x.example.id/rss
      outlet: X
      region: '62'
    """)
    problems = problems_of(write(tmp_path, text))
    assert ("baris 17: isian 'id' hanya boleh berisi huruf kecil, angka, '-' dan '_' (2 sampai 100 karakter, "
            "diawali huruf kecil atau angka)") in problems
    assert "baris 19: isian 'url' harus alamat http(s), bukan 'notaurl'" in problems
    assert "baris 21: isian 'region' harus 62 atau kode kabupaten/kota seperti 62.02, bukan '63'" in problems
    assert "baris 22: isian 'interval_minutes' harus bilangan bulat >= 10" in problems
    assert "baris 23: isian 'enabled' harus true atau false" in problems
    assert "baris 24: isian 'id' wajib diisi" in problems


def test_yaml_syntax_error_has_a_line(tmp_path):
    problems = problems_of(write(tmp_path, "feeds:\n- id: a\n  name: [unclosed\n"))
    assert len(problems) == 1 and problems[0].startswith("baris 4: bukan YAML yang sah")


def test_missing_feeds_list(tmp_path):
    assert problems_of(write(tmp_path, "sources: []\n")) == ["baris 1: daftar 'feeds' tidak ada"]


ONE = """\
feeds:
- id: contoh-kalteng
  name: Contoh Kalteng
  url: https://kalteng.example.id/rss
  outlet: Contoh Kalteng
  region: '62'
"""


@pytest.mark.parametrize("change, expected", [
    # a Python tag is refused by the safe loader (and never run), named by line and field
    (("name: Contoh Kalteng", "name: !!python/object/apply:os.system [echo diretas]"),
     ["baris 3: isian 'name': tag YAML '!!python/object/apply:os.system' tidak diizinkan (hanya teks, angka, "
      "true/false, tanggal, daftar dan pemetaan)"]),
    (("region: '62'", "region: !!python/name:os.system '62'"),
     ["baris 6: isian 'region': tag YAML '!!python/name:os.system' tidak diizinkan (hanya teks, angka, "
      "true/false, tanggal, daftar dan pemetaan)"]),
    (("name: Contoh Kalteng", "name: [a, b]"), ["baris 3: isian 'name' harus berupa teks, bukan daftar atau pemetaan"]),
    (("id: contoh-kalteng", "id: [a, b]"), ["baris 2: isian 'id' harus berupa teks, bukan daftar atau pemetaan"]),
    (("url: https://kalteng.example.id/rss", "url: {a: b}"),
     ["baris 4: isian 'url' harus berupa teks, bukan daftar atau pemetaan"]),
    (("name: Contoh Kalteng", "name: Contoh Kalteng\n  name: Lain"),
     ["baris 4: isian 'name' ditulis dua kali (pertama di baris 3)"]),
    (("region: '62'", "region: '62'\n  notes:\n" + alias_bomb("  ")),
     ["baris 13: alias *b4 membuat isi berkas terlalu besar: lebih dari 200.000 nilai setelah alias diuraikan"]),
])
def test_unusable_values_are_named_by_line_and_field(tmp_path, change, expected):
    assert problems_of(write(tmp_path, ONE.replace(*change))) == expected


def test_text_fields_are_kept_as_written(tmp_path):
    [source] = load_feeds(write(tmp_path, ONE.replace("name: Contoh Kalteng", "name: 2024").replace(
        "outlet: Contoh Kalteng", "outlet: yes")))
    assert (source.name, source.outlet) == ("2024", "yes")


def test_append_feed_keeps_file_valid(tmp_path):
    path = write(tmp_path, GOOD)
    append_feed(path, FeedSource(id="contoh-baru", name="Contoh Baru", url="https://baru.example.id/feed/",
                                 outlet="Contoh Baru", region="62.02", notes="Ditambahkan: uji"))
    sources = load_feeds(path)
    assert [s.id for s in sources] == ["contoh-kalteng", "contoh-kotim", "contoh-baru"]
    assert sources[-1].region == "62.02"
    assert path.read_text(encoding="utf-8").startswith(GOOD)


def test_append_feed_to_indented_list(tmp_path):
    path = write(tmp_path, "feeds:\n" + "".join("  " + line + "\n" for line in GOOD.splitlines()[1:]))
    append_feed(path, FeedSource(id="contoh-baru", name="Contoh Baru", url="https://baru.example.id/feed/",
                                 outlet="Contoh Baru", region="62"))
    assert [s.id for s in load_feeds(path)] == ["contoh-kalteng", "contoh-kotim", "contoh-baru"]


def test_append_feed_to_shipped_layout(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text(shipped_path("feeds.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    before = len(load_feeds(path))
    append_feed(path, FeedSource(id="contoh-baru", name="Contoh Baru", url="https://baru.example.id/feed/",
                                 outlet="Contoh Baru", region="62"))
    assert len(load_feeds(path)) == before + 1


NEW = FeedSource(id="contoh-baru", name="Contoh Baru", url="https://baru.example.id/feed/", outlet="Contoh Baru",
                 region="62.02")


@pytest.mark.parametrize("change, problem", [
    ({"region": "99"}, "sumber baru: isian 'region' harus 62 atau kode kabupaten/kota seperti 62.02, bukan '99'"),
    ({"id": "Contoh Baru"}, "sumber baru: isian 'id' hanya boleh berisi huruf kecil, angka, '-' dan '_' "
                            "(2 sampai 100 karakter, diawali huruf kecil atau angka)"),
    ({"id": "contoh-kotim"}, "sumber baru: isian 'id' 'contoh-kotim' sudah dipakai di baris 11"),
    ({"url": "feed://baru"}, "sumber baru: isian 'url' harus alamat http(s), bukan 'feed://baru'"),
])
def test_append_feed_refuses_an_invalid_source_and_leaves_the_file_as_it_was(tmp_path, change, problem):
    path = write(tmp_path, GOOD)
    before = path.read_bytes()
    with pytest.raises(FeedsFileError) as info:
        append_feed(path, FeedSource(**{**NEW.__dict__, **change}))
    assert info.value.problems == [problem]
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["feeds.yaml"]  # no temporary file left behind


def test_append_feed_refuses_to_touch_a_broken_file(tmp_path):
    path = write(tmp_path, GOOD.replace("interval_minutes: 30", "interval_minutes: 3"))
    before = path.read_bytes()
    with pytest.raises(FeedsFileError) as info:
        append_feed(path, NEW)
    assert info.value.problems == ["baris 7: isian 'interval_minutes' harus bilangan bulat >= 10"]
    assert path.read_bytes() == before


def test_append_feed_replaces_the_file_whole_and_keeps_its_mode(tmp_path):
    path = write(tmp_path, GOOD)
    path.chmod(0o640)
    append_feed(path, NEW)
    assert [s.id for s in load_feeds(path)] == ["contoh-kalteng", "contoh-kotim", "contoh-baru"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["feeds.yaml"]


def test_sync_keeps_polling_state_and_learnt_url(engine, tmp_path):
    sources = load_feeds(write(tmp_path, GOOD))
    with session_scope(engine) as session:
        sync_feeds(session, sources)
    with session_scope(engine) as session:
        feed = session.get(Feed, "contoh-kotim")
        assert feed.region == "62.10" and feed.enabled and feed.next_check_at is not None
        assert feed.current_interval_seconds == 3600
        feed.url = "https://kotim.example.id/feed-baru/"  # learnt from a permanent redirect
        feed.etag = '"abc"'
        feed.error_count = 3
        old = session.get(Feed, "contoh-kalteng")
        old.disabled_reason, old.enabled = "HTTP 410", False
    with session_scope(engine) as session:
        sync_feeds(session, sources[1:])  # contoh-kalteng removed from the file
    with session_scope(engine) as session:
        kotim = session.get(Feed, "contoh-kotim")
        assert kotim.url == "https://kotim.example.id/feed-baru/"
        assert kotim.configured_url == "https://kotim.example.id/feed/"
        assert kotim.etag == '"abc"' and kotim.error_count == 3
        assert session.get(Feed, "contoh-kalteng").enabled is False
    # a feed disabled by the fetcher stays disabled even though the file says enabled
    with session_scope(engine) as session:
        sync_feeds(session, sources)
    with session_scope(engine) as session:
        assert session.get(Feed, "contoh-kalteng").enabled is False
    # a changed URL in the file wins over the learnt one
    changed = [sources[0], FeedSource(**{**sources[1].__dict__, "url": "https://kotim.example.id/rss2"})]
    with session_scope(engine) as session:
        sync_feeds(session, changed)
    with session_scope(engine) as session:
        assert session.get(Feed, "contoh-kotim").url == "https://kotim.example.id/rss2"
