"""Ingest benchmark: one full fetch cycle over many local feeds into a temp SQLite database.

A server process on 127.0.0.1 serves N feeds of M items each (generated in memory, deterministic);
`monitor.pipeline.run_fetch_cycle` fetches, parses, dedupes and stores them all. Printed:
feeds/s and items/s of the whole cycle, peak memory, and the pipeline's parse-and-store time per
document next to a bare `feedparser.parse(io.BytesIO(body))` of the same bytes.

    .venv/bin/python benchmarks/bench_ingest.py            # 1,000 feeds x 20 items
    .venv/bin/python benchmarks/bench_ingest.py --feeds 100 --items 20
"""
from __future__ import annotations

import argparse
import io
import multiprocessing
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PLACES = ["Palangka Raya", "Sampit", "Kuala Kapuas", "Pangkalan Bun", "Muara Teweh", "Kasongan", "Buntok",
          "Tamiang Layang", "Kuala Pembuang", "Nanga Bulik", "Puruk Cahu", "Kuala Kurun", "Pulang Pisau", "Sukamara"]
TOPICS = ["sengketa lahan sawit", "banjir Sungai Kahayan", "kebakaran hutan dan lahan", "aksi damai warga",
          "harga TBS sawit", "tambang batu bara", "pilkada serentak", "jalan rusak", "plasma 20 persen", "festival budaya Dayak"]
WORDS = ("warga desa pemerintah kabupaten perusahaan perkebunan kepolisian aparat kecamatan dprd bupati gubernur "
         "mediasi tuntutan lahan hektare sungai jalan sekolah pasar nelayan petani harga bantuan posko kebun plasma "
         "sawit tambang batu bara hutan api asap banjir rumah jembatan kapal pelabuhan listrik air bersih beras "
         "sembako guru murid rumah sakit dokter pasien adat dayak tokoh agama pemuda mahasiswa demo aksi damai "
         "tuntut tolak setuju bahas rapat sidang hakim jaksa tersangka saksi korban luka tewas hilang cari temukan "
         "bangun rusak perbaiki anggaran dana miliar juta rupiah target capai naik turun stabil langka mahal murah "
         "pekan bulan tahun pagi siang sore malam senin selasa rabu kamis jumat sabtu minggu kata ujar jelas sebut").split()


def make_feed(feed_no: int, n_items: int) -> bytes:
    """One RSS 2.0 document in the ANTARA style (CDATA, content:encoded), unique items, deterministic."""
    items = []
    for i in range(n_items):
        k = feed_no * n_items + i
        place, topic = PLACES[k % len(PLACES)], TOPICS[(k // 7) % len(TOPICS)]
        rng = random.Random(k)  # distinct stories: few shared word 3-grams, as in real news
        words = " ".join(rng.choice(WORDS) for _ in range(60))
        text = f"Berita {k}: {topic} di {place}. {words}. Laporan nomor {k} dari {place}."
        items.append(
            f"<item><title>{topic.capitalize()} di {place} (laporan {k})</title>"
            f"<link>https://outlet{feed_no}.example.id/berita/{k}/{topic.replace(' ', '-')}?utm_source=rss</link>"
            f"<guid>https://outlet{feed_no}.example.id/berita/{k}</guid>"
            f"<pubDate>Mon, 10 Feb 2025 {i % 24:02d}:{k % 60:02d}:00 +0700</pubDate>"
            f"<description><![CDATA[<p>{text[:200]}</p>]]></description>"
            f"<content:encoded><![CDATA[<img src=\"https://img.example.id/{k}.jpg\"><p>{text}</p>]]></content:encoded></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>Outlet {feed_no}</title><link>https://outlet{feed_no}.example.id</link><language>id</language>"
        + "".join(items) + "</channel></rss>"
    ).encode("utf-8")


def serve(n_feeds: int, n_items: int, port_queue) -> None:
    """Server process: the feeds live in memory here, away from the measured process."""
    bodies = {f"/feed/{n}.xml": make_feed(n, n_items) for n in range(n_feeds)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            body = bodies.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    args = parser.parse_args()

    import feedparser
    from sqlalchemy import func, select

    import monitor.pipeline as pipeline
    from monitor.config import FetchSettings, PollSettings, Settings
    from monitor.db.models import Article
    from monitor.db.session import open_database, session_scope
    from monitor.feeds.registry import FeedSource, sync_feeds

    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=serve, args=(args.feeds, args.items, ports), daemon=True)
    server.start()
    port = ports.get(timeout=120)

    # the measured work: _record is keep the raw body + parse + dedupe + store + commit of one fetched document
    timings: list[float] = []
    parse_timings: list[float] = []
    bodies: list[bytes] = []
    real_record, real_parse = pipeline._record, pipeline.parse_feed

    def timed_record(engine, feed_id, result, settings):
        start = time.perf_counter()
        try:
            return real_record(engine, feed_id, result, settings)
        finally:
            timings.append(time.perf_counter() - start)
            if result.body:
                bodies.append(result.body)

    def timed_parse(*a, **kw):
        start = time.perf_counter()
        try:
            return real_parse(*a, **kw)
        finally:
            parse_timings.append(time.perf_counter() - start)

    pipeline._record, pipeline.parse_feed = timed_record, timed_parse
    try:
        with tempfile.TemporaryDirectory(prefix="waspada-bench-") as tmp:
            db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            engine = open_database(db_url)
            settings = Settings(
                database_url=db_url, feeds_path=Path(tmp) / "feeds.yaml",
                fetch=FetchSettings(allow_private_networks=True, global_concurrency=args.concurrency,
                                    per_host_concurrency=args.concurrency, per_host_min_gap=0.0),
                poll=PollSettings(),
            )
            sources = [FeedSource(id=f"bench-{n:04d}", name=f"Outlet {n}", url=f"http://127.0.0.1:{port}/feed/{n}.xml",
                                  outlet=f"Outlet {n}", region="62", interval_minutes=30) for n in range(args.feeds)]
            with session_scope(engine) as session:
                sync_feeds(session, sources)
            rss_before = maxrss_mb()
            if args.tracemalloc:
                tracemalloc.start()
            start = time.perf_counter()
            outcomes = pipeline.run_fetch_cycle(engine, settings, only_due=False)
            wall = time.perf_counter() - start
            traced_peak = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
            if args.tracemalloc:
                tracemalloc.stop()
            rss_after = maxrss_mb()
            with session_scope(engine) as session:
                stored = session.scalar(select(func.count()).select_from(Article))
            db_size = (Path(tmp) / "bench.db").stat().st_size / 2**20
            engine.dispose()
    finally:
        pipeline._record, pipeline.parse_feed = real_record, real_parse
        server.terminate()

    ok = sum(1 for o in outcomes if o.outcome == "ok")
    items = sum(o.n_new for o in outcomes)
    failed = [o for o in outcomes if o.outcome != "ok"]
    # baseline: bare feedparser on exactly the bytes the pipeline received
    base_start = time.perf_counter()
    for body in bodies:
        feedparser.parse(io.BytesIO(body))
    baseline = time.perf_counter() - base_start
    n_docs = len(bodies)
    pipeline_total, parse_total = sum(timings), sum(parse_timings)

    print(f"Waspada ingest benchmark: {args.feeds} feeds x {args.items} items, SQLite, "
          f"concurrency {args.concurrency}, Python {sys.version.split()[0]}")
    print(f"  cycle wall time        {wall:8.2f} s   ({ok} ok, {len(failed)} failed)")
    print(f"  feeds/s                {ok / wall:8.1f}")
    print(f"  items/s                {items / wall:8.1f}   ({items} new items stored; {stored} rows)")
    print(f"  peak RSS               {rss_after:8.1f} MiB (before the cycle: {rss_before:.1f} MiB)")
    if traced_peak is not None:
        print(f"  tracemalloc peak       {traced_peak:8.1f} MiB")
    print(f"  database size          {db_size:8.1f} MiB")
    print(f"  per document ({n_docs} documents, {sum(len(b) for b in bodies) / max(n_docs, 1) / 1024:.1f} KiB each):")
    print(f"    {'':32}{'total s':>10}{'ms/doc':>10}{'x baseline':>12}")
    rows = [
        ("baseline feedparser.parse", baseline),
        ("pipeline parse_feed", parse_total),
        ("pipeline parse + dedupe + store", pipeline_total),
    ]
    for label, total in rows:
        print(f"    {label:32}{total:10.2f}{1000 * total / max(n_docs, 1):10.2f}{total / baseline if baseline else 0:12.2f}")
    print(f"  ratio pipeline parse-and-store / bare feedparser: {pipeline_total / baseline:.2f}")
    if failed:
        print(f"  first failure: {failed[0]}")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
