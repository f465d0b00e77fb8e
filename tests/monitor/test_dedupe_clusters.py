"""An item is stored once (GUID, canonical URL, content hash); copies across outlets share one story cluster."""
from __future__ import annotations

import numpy as np
from sqlalchemy import func, select

from monitor.db.models import Article, ArticleBand, RawDocument, StoryCluster
from monitor.db.session import session_scope
from monitor.feeds import dedupe
from tests.monitor.helpers import add_feed, articles, attempts, count, cycle, fixture_bytes, rss

STORY_TITLE_A = "Bentrok warga dan petugas keamanan kebun sawit di Kotawaringin Timur, tiga orang luka"


def clusters(engine) -> dict[int, set[str]]:
    """cluster id -> the feeds of its articles."""
    result: dict[int, set[str]] = {}
    for article in articles(engine):
        result.setdefault(article.cluster_id, set()).add(article.feed_id)
    return result


def test_same_document_fetched_again_is_stored_once(engine, settings, feed_server):
    add_feed(engine, "antara", feed_server.feed("/rss", fixture_bytes("antara_kalteng_terkini.xml")))
    news = [cycle(engine, settings)[0].n_new for _ in range(3)]
    assert news == [3, 0, 0]
    assert count(engine, Article) == 3 and count(engine, RawDocument) == 1 and count(engine, StoryCluster) == 3
    assert [a.n_new for a in attempts(engine, "antara")] == [3, 0, 0]
    assert count(engine, ArticleBand) == 3 * dedupe.BANDS


def test_same_guid_with_edited_title_and_link_is_stored_once(engine, settings, feed_server):
    v1 = rss([{"title": "Banjir di Kapuas", "link": "https://c.example.id/berita/9/banjir", "guid": "berita-9",
               "description": "Banjir merendam rumah."}])
    v2 = rss([{"title": "Banjir di Kapuas meluas (pembaruan)", "link": "https://c.example.id/berita/9/banjir-meluas",
               "guid": "berita-9", "description": "Banjir merendam ratusan rumah."}])
    from tests.conftest import Response
    feed_server.route("/rss", [Response(body=v1.encode()), Response(body=v2.encode())])
    add_feed(engine, "c", feed_server.url("/rss"))
    assert [cycle(engine, settings)[0].n_new for _ in range(2)] == [1, 0]
    [article] = articles(engine)
    assert article.title == "Banjir di Kapuas"  # the first version is kept; nothing is overwritten
    assert count(engine, RawDocument) == 2  # but both documents are kept as provenance


def test_same_canonical_url_across_feeds_is_stored_once(engine, settings, feed_server):
    item = {"title": "Rapat DPRD Kalteng bahas konflik lahan", "description": "DPRD Kalteng membahas konflik lahan."}
    add_feed(engine, "a", feed_server.feed("/a", rss([dict(item, link="https://kalteng.example.id/berita/1/rapat", guid="a-1")])), outlet="A")
    add_feed(engine, "b", feed_server.feed("/b", rss([dict(item, title="Rapat DPRD bahas lahan",
        link="http://www.kalteng.example.id/berita/1/rapat/?utm_source=facebook&amp;fbclid=xyz", guid="b-77")])), outlet="B")
    cycle(engine, settings)
    stored = articles(engine)
    assert len(stored) == 1
    assert stored[0].canonical_url == "https://kalteng.example.id/berita/1/rapat"


def test_same_content_from_one_outlet_under_two_urls_is_stored_once(engine, settings, feed_server):
    item = {"title": "Warga Sebabi tuntut plasma", "description": "Warga Desa Sebabi menuntut kebun plasma 20 persen."}
    add_feed(engine, "terkini", feed_server.feed("/terkini", rss([dict(item, link="https://kb.example.id/berita/5/warga", guid="5")])),
             outlet="Kantor Berita Kalteng")
    add_feed(engine, "daerah", feed_server.feed("/daerah", rss([dict(item, link="https://kb.example.id/kabar-daerah/5/warga-sebabi", guid="k5")])),
             outlet="Kantor Berita Kalteng")
    add_feed(engine, "lain", feed_server.feed("/lain", rss([dict(item, link="https://lain.example.id/5", guid="x5")])),
             outlet="Outlet Lain")
    cycle(engine, settings)
    stored = articles(engine)
    # one copy per outlet: the same text from another outlet is its own source, clustered with the first
    assert sorted(a.feed_id for a in stored if a.feed_id != "lain") in (["daerah"], ["terkini"])
    assert len(stored) == 2
    assert len({a.cluster_id for a in stored}) == 1


def test_copies_across_three_outlets_share_one_cluster(engine, settings, feed_server):
    for key, outlet in (("a", "Contoh Kantor Berita Kalteng"), ("b", "Contoh Pos Sampit"), ("c", "Contoh Borneo Pos")):
        add_feed(engine, f"outlet-{key}", feed_server.feed(f"/{key}.xml", fixture_bytes(f"story_outlet_{key}.xml")), outlet=outlet)
    outcomes = cycle(engine, settings)
    assert sorted(o.n_new for o in outcomes) == [2, 2, 2]
    groups = clusters(engine)
    assert len(groups) == 4  # the shared story + one own story per outlet
    assert {"outlet-a", "outlet-b", "outlet-c"} in groups.values()
    with session_scope(engine) as session:
        story = session.scalars(select(Article).where(Article.title == STORY_TITLE_A)).one()
        cluster = session.get(StoryCluster, story.cluster_id)
        assert cluster.size == 3
        sources = sorted((a.feed_id, a.url) for a in cluster.articles)
        assert [s[0] for s in sources] == ["outlet-a", "outlet-b", "outlet-c"]
        # every source keeps its own URL (tracking parameters stripped)
        assert sources[2][1] == "https://www.borneopos.example.id/read/2025/02/17/33120/tiga-luka-dalam-bentrok-warga-kebun-sawit"
        assert cluster.first_seen_at <= cluster.last_seen_at
        assert session.scalar(select(func.max(StoryCluster.size))) == 3


def test_cluster_builds_up_over_separate_cycles(engine, settings, feed_server):
    for key in "abc":
        add_feed(engine, f"outlet-{key}", feed_server.feed(f"/{key}.xml", fixture_bytes(f"story_outlet_{key}.xml")), outlet=key)
    for key in "cab":  # one outlet per cycle, in another order
        cycle(engine, settings, feed_ids=[f"outlet-{key}"])
    assert {"outlet-a", "outlet-b", "outlet-c"} in clusters(engine).values()
    cycle(engine, settings)  # and a re-run changes nothing
    assert count(engine, Article) == 6 and count(engine, StoryCluster) == 4


def test_clusters_started_by_one_document_each_get_their_own_article(engine, settings, feed_server):
    """The clusters of a document are inserted in one statement: each id must go to its own story."""
    stories = [("Banjir rendam Sampit", "Air sungai Mentaya meluap"), ("Harga karet naik di Kapuas", "Petani senang"),
               ("Festival Isen Mulang dibuka", "Tarian Dayak memeriahkan"), ("Jalan rusak di Katingan", "Warga mengeluh")]
    items = [{"title": f"{title} pekan ini", "link": f"https://kabar.example.id/{n}", "guid": f"k-{n}",
              "description": " ".join([text] * 3 + [f"laporan nomor {n} hari ke {n + 1}"]),
              "pubDate": f"Mon, 0{n + 1} Dec 2026 0{n}:00:00 +0700"} for n, (title, text) in enumerate(stories)]
    items.append(dict(items[1], link="https://kabar.example.id/salinan", guid="k-copy",  # the second story, days later
                      description=items[1]["description"] + " diperbarui", pubDate="Sat, 05 Dec 2026 09:00:00 +0700"))
    add_feed(engine, "kabar", feed_server.feed("/rss", rss(items)))
    cycle(engine, settings)
    with session_scope(engine) as session:
        rows = session.execute(select(Article.guid, Article.published_at, StoryCluster.first_seen_at,
                                      StoryCluster.last_seen_at, StoryCluster.size)
                               .join(StoryCluster, StoryCluster.id == Article.cluster_id).order_by(Article.guid)).all()
    by_guid = {guid: (published, first, last, size) for guid, published, first, last, size in rows}
    for n in (0, 2, 3):
        published, first, last, size = by_guid[f"k-{n}"]
        assert first.replace(tzinfo=None) == last.replace(tzinfo=None) == published.replace(tzinfo=None) and size == 1
    copied, copy = by_guid["k-1"], by_guid["k-copy"]
    assert copied[1:] == copy[1:] and copied[3] == 2  # one cluster: from the story to its copy
    assert (copied[1].replace(tzinfo=None), copied[2].replace(tzinfo=None)) == (
        copied[0].replace(tzinfo=None), copy[0].replace(tzinfo=None))


def test_unrelated_stories_are_not_clustered(engine, settings, feed_server):
    add_feed(engine, "antara", feed_server.feed("/1", fixture_bytes("antara_kalteng_terkini.xml")))
    add_feed(engine, "pos", feed_server.feed("/2", fixture_bytes("wordpress_kalteng.xml")))
    add_feed(engine, "warta", feed_server.feed("/3", fixture_bytes("atom_kalteng.xml")))
    cycle(engine, settings)
    assert count(engine, Article) == 7 and count(engine, StoryCluster) == 7


def test_minhash_similarity_and_bands():
    from monitor.feeds.parse import entry_content, parse_feed

    def story(key):
        content = entry_content(parse_feed(fixture_bytes(f"story_outlet_{key}.xml"), {}, "https://x.example.id/rss").entries[0])
        return dedupe.signature(f"{content.title}\n{content.summary_text}")

    a, b = story("a"), story("b")
    other = dedupe.signature("Harga beras di pasar Kahayan Palangka Raya stabil sepekan terakhir menurut pedagang")
    assert dedupe.similarity(a, dedupe.from_bytes(dedupe.to_bytes(b))) > dedupe.SIMILARITY_THRESHOLD
    assert dedupe.similarity(a, dedupe.from_bytes(dedupe.to_bytes(other))) < 0.1
    keys = dedupe.band_keys(np.stack([a, b, other]))
    assert keys.shape == (3, dedupe.BANDS) and keys.dtype == np.int64
    assert set(keys[0]) & set(keys[1]) and not set(keys[0]) & set(keys[2])


def _fmix64(value: int) -> int:
    mask = 2**64 - 1
    value = ((value ^ (value >> 33)) * 0xFF51AFD7ED558CCD) & mask
    value = ((value ^ (value >> 33)) * 0xC4CEB93FE53EF3FB) & mask
    return value ^ (value >> 33)


def _band_key(band: int, values: list[int]) -> int:
    """The stored format, written out in plain integers: 32-bit values paired into 64-bit words, folded into
    the band's number times SplitMix64's increment with MurmurHash3's 64-bit finaliser, read as signed."""
    key = (band * 0x9E3779B97F4A7C15) & (2**64 - 1)
    for high, low in zip(values[0::2], values[1::2], strict=True):
        key = _fmix64(key ^ (high << 32 | low))
    return key - 2**64 if key >= 2**63 else key


def test_band_keys_are_the_stored_format():
    """Stored articles' keys were made this way (migration 0016): a change must come with a migration."""
    values = np.array([dedupe.signature("Warga Desa Tumbang Nusa menolak klaim lahan PT Sawit Makmur").tolist(),
                       (np.arange(dedupe.NUM_PERM, dtype=np.uint64) * 2654435761 % 2**32).tolist()], dtype=np.uint64)
    keys = dedupe.band_keys(values)
    assert keys.tolist() == [[_band_key(band, row[band * dedupe.ROWS : (band + 1) * dedupe.ROWS].tolist())
                              for band in range(dedupe.BANDS)] for row in values]
    keys = keys[1]
    assert len(set(keys.tolist())) == dedupe.BANDS  # the band's number is part of its key
    same_values_in_every_band = dedupe.band_keys(np.tile(values[1, :dedupe.ROWS], dedupe.BANDS)[None, :])[0]
    assert len(set(same_values_in_every_band.tolist())) == dedupe.BANDS
    assert dedupe.signature("  ") is None
    assert dedupe.shingles("dua kata") == {b"dua", b"kata"}


def test_signatures_of_a_document_equal_datasketch_minhash():
    """Stored signatures were made with datasketch's MinHash: the one-pass numpy version must give the same values."""
    from datasketch import MinHash

    texts = ["Warga Desa Tumbang Samba menolak perluasan kebun sawit di lahan adat", "", "dua kata", "satu",
             "Banjir merendam Sampit, warga mengungsi ke posko. " * 4, "Ratusan warga Kasongan berunjuk rasa"]
    for text, values in zip(texts, dedupe.signatures(texts), strict=True):
        grams = dedupe.shingles(text)
        if not grams:
            assert values is None
            continue
        expected = MinHash(num_perm=dedupe.NUM_PERM, seed=1, scheme=dedupe.SCHEME)
        expected.update_batch(list(grams))
        assert values is not None and values.tolist() == expected.hashvalues.tolist()
        assert dedupe.signature(text).tolist() == values.tolist()


def test_items_without_text_are_told_apart_by_guid_and_url_only(engine, settings, feed_server):
    # link-only and title-only items (a video page, a photo gallery): no text, so no content hash to share
    items = [{"link": f"https://kabar.example.id/video/{n}", "guid": f"video-{n}"} for n in range(1, 4)]
    items += [{"title": "Foto", "link": f"https://kabar.example.id/foto/{n}", "guid": f"foto-{n}"} for n in range(1, 3)]
    add_feed(engine, "galeri", feed_server.feed("/rss", rss(items)))
    [outcome] = cycle(engine, settings)
    assert (outcome.n_entries, outcome.n_new, outcome.n_failed) == (5, 5, 0)
    stored = articles(engine)
    assert sorted(a.guid for a in stored) == ["foto-1", "foto-2", "video-1", "video-2", "video-3"]
    assert {a.content_hash for a in stored} == {""}  # nothing to match on
    [again] = cycle(engine, settings)
    assert again.n_new == 0  # and GUID/URL still recognise them
    assert count(engine, Article) == 5
