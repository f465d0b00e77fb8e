"""The ingest flow as a whole: idempotent re-runs, item and feed failures, crash safety, file ingest."""
from __future__ import annotations

import dataclasses
import shutil
import threading

import nh3
import pytest
from sqlalchemy import select

from monitor.db.models import Article, ArticleBand, Feed, FetchAttempt, RawDocument, StoryCluster
from monitor.db.session import session_scope
from monitor.feeds import sanitize, store
from monitor.pipeline import feed_files, ingest_file, run_fetch_cycle
from tests.monitor.helpers import (
    FEED_FIXTURES, add_feed, articles, attempts, count, counts, cycle, feed_state, fixture_bytes, get_feed, rss, with_fetch,
)


def test_rerunning_a_cycle_is_idempotent(engine, settings, feed_server):
    add_feed(engine, "antara", feed_server.feed("/1", fixture_bytes("antara_kalteng_terkini.xml")))
    add_feed(engine, "pos", feed_server.feed("/2", fixture_bytes("wordpress_kalteng.xml")))
    cycle(engine, settings)
    before = counts(engine)
    before_articles = [(a.id, a.feed_id, a.guid, a.cluster_id, a.title) for a in articles(engine)]
    for _ in range(2):
        outcomes = cycle(engine, settings)
        assert {(o.outcome, o.n_new) for o in outcomes} == {("ok", 0)}
    after = counts(engine)
    assert after["articles"] == before["articles"] == 5
    assert after["raw_documents"] == before["raw_documents"] == 2
    assert after["story_clusters"] == before["story_clusters"]
    assert after["fetch_attempts"] == before["fetch_attempts"] + 4  # every attempt is recorded
    assert [(a.id, a.feed_id, a.guid, a.cluster_id, a.title) for a in articles(engine)] == before_articles


def test_only_due_feeds_are_fetched(engine, settings, feed_server):
    add_feed(engine, "antara", feed_server.feed("/1", fixture_bytes("antara_kalteng_terkini.xml")))
    assert [o.feed_id for o in run_fetch_cycle(engine, settings)] == ["antara"]  # new feeds are due at once
    assert run_fetch_cycle(engine, settings) == []  # the next check is in the future
    assert len(feed_server.requests) == 1


def test_a_failing_item_is_recorded_and_the_others_stored(engine, settings, feed_server, monkeypatch):
    real_assign = store.assign_clusters

    def assign_failing_on_flood(new, *args):
        # the document's items are stored together; this fails that batch, then the flood item alone
        if any(item.values["title"].startswith("Banjir") for _id, item in new):
            raise ValueError("simulated bad item")
        return real_assign(new, *args)

    monkeypatch.setattr(store, "assign_clusters", assign_failing_on_flood)
    add_feed(engine, "antara", feed_server.feed("/rss", fixture_bytes("antara_kalteng_terkini.xml")))
    [outcome] = cycle(engine, settings)
    assert (outcome.outcome, outcome.n_entries, outcome.n_new, outcome.n_failed) == ("ok", 3, 2, 1)
    assert "Banjir" not in " ".join(a.title for a in articles(engine))  # no half-written row
    [attempt] = attempts(engine, "antara")
    assert attempt.n_failed == 1
    assert any("banjir-rendam-ratusan-rumah" in w and "simulated bad item" in w for w in attempt.warnings)
    with session_scope(engine) as session:
        # the failed item's savepoint took its band hashes with it
        orphans = session.scalars(select(ArticleBand.article_id).where(~ArticleBand.article_id.in_(select(Article.id)))).all()
        assert orphans == []
    assert get_feed(engine, "antara").error_count == 0

    monkeypatch.setattr(store, "assign_clusters", real_assign)
    [again] = cycle(engine, settings)
    assert (again.n_new, again.n_failed) == (1, 0)  # nothing is lost: the item comes in on the next run
    assert count(engine, Article) == 3


class SimulatedCrash(RuntimeError):
    pass


def test_crash_between_fetch_and_store_leaves_nothing_half_written(engine, settings, feed_server, monkeypatch):
    add_feed(engine, "antara", feed_server.feed("/rss", fixture_bytes("antara_kalteng_terkini.xml"),
                                                headers={"ETag": '"v1"'}))
    add_feed(engine, "warta", feed_server.feed("/atom", fixture_bytes("atom_kalteng.xml"), content_type="application/atom+xml"))
    before = feed_state(get_feed(engine, "antara"))
    real_assign = store.assign_clusters

    def crash_after_inserting_items(new, *args):
        if any(item.values["feed_id"] == "antara" for _id, item in new):  # mid-document: its clusters are being assigned
            raise SimulatedCrash("process killed mid-document")
        return real_assign(new, *args)

    monkeypatch.setattr(store, "assign_clusters", crash_after_inserting_items)
    outcomes = {o.feed_id: o for o in cycle(engine, settings)}
    assert outcomes["antara"].outcome == "error" and "SimulatedCrash" in outcomes["antara"].message
    assert outcomes["warta"].outcome == "ok" and outcomes["warta"].n_new == 2  # the cycle went on
    assert articles(engine, "antara") == []
    with session_scope(engine) as session:
        # the body was kept before parsing, in its own transaction: `waspada reprocess` can read it again
        [raw_id] = session.scalars(select(RawDocument.id).where(RawDocument.url.like("%/rss"))).all()
        assert session.scalar(select(StoryCluster.id).where(~StoryCluster.id.in_(select(Article.cluster_id).where(Article.cluster_id.is_not(None))))) is None
    # the failure itself is recorded in a fresh transaction, naming the kept body, and the feed backs off
    [attempt] = attempts(engine, "antara")
    assert (attempt.outcome, attempt.error_kind, attempt.n_new) == ("error", "store_failed", 0)
    assert attempt.raw_document_id == raw_id
    assert "SimulatedCrash" in attempt.error_message
    after = feed_state(get_feed(engine, "antara"))
    assert after["etag"] is None and after["last_success_at"] == before["last_success_at"]
    assert after["error_count"] == 1 and "SimulatedCrash" in after["last_error"]
    assert after["next_check_at"] > before["next_check_at"]

    monkeypatch.setattr(store, "assign_clusters", real_assign)
    [retry] = cycle(engine, settings, feed_ids=["antara"])
    assert (retry.outcome, retry.n_new) == ("ok", 3)
    assert get_feed(engine, "antara").etag == '"v1"'


def test_an_item_another_process_stored_meanwhile_is_left_out_and_the_others_stored(engine, settings, feed_server,
                                                                                   monkeypatch):
    stories = [{"title": f"Warga {place} menuntut plasma", "link": f"https://kabar.example.id/{place}",
                "guid": place, "description": f"Ratusan warga {place} mendatangi kantor bupati menuntut kebun plasma "
                                               f"dari perusahaan sawit di wilayah {place} sejak pagi."}
               for place in ("sampit", "kasongan", "buntok")]
    add_feed(engine, "kabar", feed_server.feed("/kabar", rss(stories[:1])))
    cycle(engine, settings)
    add_feed(engine, "warta", feed_server.feed("/warta", rss(stories)))
    # the identity check runs before the insert; another process storing an item in between is what the
    # check cannot see: make the check miss the stored item, as it would in that race
    monkeypatch.setattr(store, "known_identities", lambda *args: (set(), set()))
    [outcome] = cycle(engine, settings, feed_ids=["warta"])
    assert (outcome.outcome, outcome.n_new, outcome.n_failed) == ("ok", 2, 0)
    assert sorted(a.url.rsplit("/", 1)[1] for a in articles(engine)) == ["buntok", "kasongan", "sampit"]
    with session_scope(engine) as session:
        sizes = {cluster_id: size for cluster_id, size in session.execute(select(StoryCluster.id, StoryCluster.size))}
        members = session.execute(select(Article.cluster_id)).scalars().all()
    assert sorted(sizes.values()) == [1, 1, 1] and sorted(sizes) == sorted(members)  # no cluster counts the left-out item
    assert count(engine, ArticleBand) == 3 * 32


def test_crash_during_file_ingest_rolls_back(engine, monkeypatch):
    def crash(*args, **kwargs):
        raise SimulatedCrash("disk full")

    monkeypatch.setattr(store, "assign_clusters", crash)
    with pytest.raises(SimulatedCrash):
        ingest_file(engine, FEED_FIXTURES / "wordpress_kalteng.xml")
    # only the body, kept before parsing, remains
    assert counts(engine) == {"articles": 0, "raw_documents": 1, "story_clusters": 0, "fetch_attempts": 0}
    assert count(engine, Feed) == 0


def test_ingest_file_twice_adds_nothing_the_second_time(engine):
    path = FEED_FIXTURES / "antara_kalteng_terkini.xml"
    first = ingest_file(engine, path)
    second = ingest_file(engine, path)
    assert (first.outcome, first.n_new) == ("ok", 3)
    assert (second.outcome, second.n_entries, second.n_new) == ("ok", 3, 0)
    assert first.feed_id == second.feed_id == "file-antara-kalteng-terkini"
    assert count(engine, Article) == 3 and count(engine, RawDocument) == 1
    feed = get_feed(engine, first.feed_id)
    assert feed.enabled is False  # a file source is never polled
    assert feed.name == "Contoh Kantor Berita Kalteng Terkini"
    assert [a.source for a in attempts(engine, first.feed_id)] == ["file", "file"]
    article = articles(engine)[0]
    assert article.raw_entry["title"] == article.title
    with session_scope(engine) as session:
        raw = session.get(RawDocument, article.raw_document_id)
        assert raw.body == path.read_bytes()


def test_ingest_then_fetch_of_the_same_items_stores_once(engine, settings, feed_server):
    ingest_file(engine, FEED_FIXTURES / "wordpress_kalteng.xml", feed_id="pos-sampit-arsip", outlet="Contoh Pos Sampit")
    add_feed(engine, "pos-sampit", feed_server.feed("/feed/", fixture_bytes("wordpress_kalteng.xml")), outlet="Contoh Pos Sampit")
    [outcome] = cycle(engine, settings)
    assert (outcome.outcome, outcome.n_entries, outcome.n_new) == ("ok", 2, 0)
    assert count(engine, Article) == 2 and count(engine, RawDocument) == 1  # the same bytes are kept once


def test_bytes_that_come_back_after_other_bytes_are_kept_once_and_read_again(engine, settings, feed_server):
    """The claim names the feed's latest bytes: other bytes are inserted first, and bytes kept before meet
    their earlier copy; only the latest fully read bytes are left unread."""
    first = fixture_bytes("wordpress_kalteng.xml")
    second = first.replace(b"</channel>", b"<item><title>Baru</title><link>https://contoh.id/baru</link></item></channel>")
    add_feed(engine, "pos", feed_server.feed("/pos", first))
    served = [first, second, first, first]
    outcomes = []
    for body in served:
        feed_server.feed("/pos", body)
        [outcome] = cycle(engine, settings)
        outcomes.append((outcome.n_entries, outcome.n_new))
    assert outcomes == [(2, 2), (3, 1), (2, 0), (2, 0)]
    recorded = attempts(engine, "pos")
    assert count(engine, RawDocument) == 2
    assert recorded[2].raw_document_id == recorded[3].raw_document_id == recorded[0].raw_document_id
    assert recorded[1].raw_document_id != recorded[0].raw_document_id
    assert [a.n_entries for a in recorded] == [2, 3, 2, 2] and all(a.finished_at for a in recorded)


def test_ingest_a_folder_and_a_bad_file(engine, tmp_path):
    folder = tmp_path / "arsip"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(FEED_FIXTURES / "atom_kalteng.xml", folder / "atom_kalteng.xml")
    shutil.copy(FEED_FIXTURES / "rss091_kalteng.xml", folder / "sub" / "rss091.rss")
    shutil.copy(FEED_FIXTURES / "site_page.html", folder / "bukan-feed.xml")
    (folder / "catatan.txt").write_text("bukan feed")
    files = feed_files(folder)
    assert [p.name for p in files] == ["atom_kalteng.xml", "bukan-feed.xml", "rss091.rss"]
    outcomes = [ingest_file(engine, p) for p in files]
    assert [(o.outcome, o.n_new) for o in outcomes] == [("ok", 2), ("error", 0), ("ok", 2)]
    assert "HTML" in outcomes[1].message
    with session_scope(engine) as session:
        bad = session.scalars(select(FetchAttempt).where(FetchAttempt.feed_id == "file-bukan-feed")).one()
        assert (bad.outcome, bad.error_kind) == ("error", "not_a_feed")
    assert ingest_file(engine, tmp_path / "tidak-ada.xml").outcome == "error"


def with_parse(settings, **changes):
    return dataclasses.replace(settings, parse=dataclasses.replace(settings.parse, **changes))


def test_items_beyond_the_per_document_limit_are_left_with_a_warning(engine, settings, feed_server):
    items = [{"title": f"Berita nomor {n} dari Sampit", "link": f"https://kabar.example.id/berita/{n}", "guid": f"b-{n}",
              "description": f"Isi berita nomor {n} tentang Sampit."} for n in range(1, 31)]
    add_feed(engine, "banyak", feed_server.feed("/rss", rss(items)))
    [outcome] = cycle(engine, with_parse(settings, max_items_per_document=10))
    assert (outcome.outcome, outcome.n_entries, outcome.n_new) == ("ok", 10, 10)
    # the first items in document order: a newest-first feed keeps its newest
    assert [a.guid for a in articles(engine)] == [f"b-{n}" for n in range(1, 11)]
    [attempt] = attempts(engine, "banyak")
    assert any("30 item" in w and "10 item pertama" in w for w in attempt.warnings)


def test_parse_limits_come_from_the_environment(monkeypatch):
    from monitor.config import ParseSettings, Settings

    assert Settings.from_env().parse == ParseSettings()
    assert ParseSettings().max_items_per_document == 500
    monkeypatch.setenv("WASPADA_MAX_ITEMS_PER_DOCUMENT", "25")
    monkeypatch.setenv("WASPADA_MAX_ITEM_HTML_CHARS", "5000")
    monkeypatch.setenv("WASPADA_MAX_ITEM_HTML_DEPTH", "16")
    assert Settings.from_env().parse == ParseSettings(max_items_per_document=25, max_item_html_chars=5000, max_item_html_depth=16)


@pytest.mark.timeout(120)
def test_deeply_nested_markup_is_bounded_off_the_event_loop_and_not_sanitised_again(engine, settings, feed_server, monkeypatch):
    # the security review's document: one description of nested <div>s (here 60,000, about 660 KB)
    nesting = 60_000
    hostile = "Awal berita tentang banjir. " + "<div>" * nesting + "inti" + "</div>" * nesting
    body = rss([
        {"title": "Banjir di Kapuas", "link": "https://kabar.example.id/berita/1", "guid": "k-1", "description": hostile},
        {"title": "Rapat DPRD Kalteng", "link": "https://kabar.example.id/berita/2", "guid": "k-2",
         "description": "<p>DPRD Kalteng membahas <b>konflik lahan</b>.</p>"},
    ])
    add_feed(engine, "berat", feed_server.feed("/berat", body))
    add_feed(engine, "sehat", feed_server.feed("/sehat", fixture_bytes("wordpress_kalteng.xml")))
    sanitiser_calls: list[bool] = []  # one entry per nh3 call: was it on the main (event loop) thread?

    class CountingCleaner:
        def __init__(self, cleaner: nh3.Cleaner):
            self.cleaner = cleaner

        def clean(self, html: str) -> str:
            sanitiser_calls.append(threading.current_thread() is threading.main_thread())
            return self.cleaner.clean(html)

    real_safe_cleaner = sanitize._safe_cleaner
    monkeypatch.setattr(sanitize, "_TEXT_CLEANER", CountingCleaner(sanitize._TEXT_CLEANER))
    monkeypatch.setattr(sanitize, "_safe_cleaner", lambda base_url: CountingCleaner(real_safe_cleaner(base_url)))
    roomy = with_fetch(settings, max_body_bytes=2 * 1024 * 1024)
    outcomes = {o.feed_id: o for o in cycle(engine, roomy)}
    assert (outcomes["berat"].outcome, outcomes["berat"].n_new) == ("ok", 2)
    assert (outcomes["sehat"].outcome, outcomes["sehat"].n_new) == ("ok", 2)
    flood = next(a for a in articles(engine, "berat") if a.guid == "k-1")
    assert flood.summary_text == "Awal berita tentang banjir."  # the markup beyond the cut is gone, the text before kept
    assert flood.content_hash  # the item has text, so it is hashed
    [first] = attempts(engine, "berat")
    assert any("dipotong" in w and "berita/1" in w for w in first.warnings)
    assert any("bersarang" in w and "berita/1" in w for w in first.warnings)
    assert sanitiser_calls and not any(sanitiser_calls)  # all sanitising ran in a worker thread
    assert len(flood.summary_html) <= roomy.parse.max_item_html_chars
    assert len(flood.raw_entry["summary"]) <= roomy.parse.max_item_html_chars

    sanitiser_calls.clear()
    again = {o.feed_id: o for o in cycle(engine, roomy)}
    assert (again["berat"].n_entries, again["berat"].n_new) == (2, 0)
    assert sanitiser_calls == []  # stored items are recognised by GUID/URL before any sanitising
    second = attempts(engine, "berat")[1]
    assert not any("dipotong" in w or "bersarang" in w for w in second.warnings)


HOSTILE_DOCUMENTS = {
    "billion-laughs": '<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                      '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
                      '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
                      '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>',
    "xxe": '<!DOCTYPE rss [<!ENTITY h SYSTEM "file:///etc/passwd">]>',
}


@pytest.mark.parametrize("kind", ["billion-laughs", "xxe", "nul", "invalid-utf8"])
def test_hostile_xml_stays_harmless(engine, tmp_path, kind):
    description = "isi &h; akhir" if kind in HOSTILE_DOCUMENTS else "isi XX akhir"
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + HOSTILE_DOCUMENTS.get(kind, "")
        + '<rss version="2.0"><channel><title>Uji</title><item><title>Judul uji</title>'
        + f"<link>https://kabar.example.id/uji</link><guid>uji-1</guid><description>{description}</description></item></channel></rss>"
    ).encode()
    document = document.replace(b"XX", {"nul": b"\x00", "invalid-utf8": b"\xff\xfe\xc3("}.get(kind, b"XX"))
    path = tmp_path / f"{kind}.xml"
    path.write_bytes(document)
    outcome = ingest_file(engine, path)
    assert outcome.outcome == "ok" and outcome.n_failed == 0
    for article in articles(engine):
        stored = article.title + article.summary_text + article.summary_html + str(article.raw_entry)
        assert "root:" not in stored and "aaaaaaaaaaaaaaaaaaaa" not in stored and "\x00" not in stored


@pytest.mark.parametrize("parse_processes", [0, 1])
def test_the_same_bytes_after_a_pass_with_nothing_new_are_not_parsed_again(engine, settings, feed_server, monkeypatch,
                                                                            parse_processes):
    """Parsed in the storing thread (no parse process) or read ahead in a parse process, never both, and
    bytes that gave nothing new are parsed by neither."""
    import monitor.pipeline as pipeline
    from monitor.feeds.read_ahead import ReadAhead

    settings = dataclasses.replace(settings, parse=dataclasses.replace(settings.parse, parse_processes=parse_processes))
    add_feed(engine, "rusak", feed_server.feed("/bad", fixture_bytes("malformed.xml")))
    parses, reads_ahead = [], []
    real_parse, real_read = pipeline.read_document, ReadAhead.read
    monkeypatch.setattr(pipeline, "read_document", lambda *a, **kw: parses.append(1) or real_parse(*a, **kw))

    async def counted_read(self, *args):
        read = await real_read(self, *args)
        if read is not None:
            reads_ahead.append(1)
        return read

    monkeypatch.setattr(ReadAhead, "read", counted_read)
    results = [cycle(engine, settings) for _ in range(4)]
    # new items, then the first pass with nothing new; after that the bytes are known
    assert (len(parses), len(reads_ahead)) == ((2, 0) if parse_processes == 0 else (0, 2))
    first, second, third, fourth = attempts(engine, "rusak")
    assert first.n_new > 0 and second.n_new == third.n_new == fourth.n_new == 0
    assert second.warnings and third.warnings == fourth.warnings == second.warnings  # same records as a real parse
    assert third.n_entries == fourth.n_entries == second.n_entries == first.n_entries
    assert [r[0].message for r in results[1:]] == [results[1][0].message] * 3
    assert get_feed(engine, "rusak").error_count == 0

    feed_server.feed("/bad", fixture_bytes("malformed.xml").replace(b"</channel>", b"<item><title>Baru</title>"
                                                                  b"<link>https://contoh.id/baru</link></item></channel>"))
    [changed] = cycle(engine, settings)
    assert len(parses) + len(reads_ahead) == 3 and changed.n_new == 1  # other bytes: read again
