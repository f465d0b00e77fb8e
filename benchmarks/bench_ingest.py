"""Ingest benchmark: fetch cycles over many local feeds into SQLite and PostgreSQL, every stage next to bare feedparser.

A server process on 127.0.0.1 serves N feeds of M items each (generated in memory, deterministic);
`monitor.pipeline.run_fetch_cycle` fetches, parses, dedupes and stores them all. For each engine
four cycles run: `new` (every item new), `nothing new` (the same bytes again, no validators),
`same bytes again` (a third time: the pipeline knows the bytes; from here the server sends ETags)
and `304` (the server answers Not Modified). Per cycle it prints the wall time, and per stage the CPU time of the storing thread
next to a bare `feedparser.parse(io.BytesIO(body))` of exactly the bytes received (CPU time, since
the machine may be shared; PostgreSQL's own work runs in the server and shows in wall time only),
and the write amplification: bytes written to disk per byte the database grew by.

    .venv/bin/python benchmarks/bench_ingest.py            # 1,000 feeds x 20 items, both engines
    .venv/bin/python benchmarks/bench_ingest.py --feeds 100 --items 20 --engines sqlite
    .venv/bin/python benchmarks/bench_ingest.py --feeds 300 --engines postgresql --statements  # where the time goes

PostgreSQL: WASPADA_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
the benchmark creates its own database there and drops it afterwards. Its write amplification is the
server's WAL bytes (pg_stat_wal, server-wide: other clients' writes count too) per byte of growth.
"""
from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import threading
import time
import uuid
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


def serve(n_feeds: int, n_items: int, port_queue, send_etags) -> None:
    """Server process: the feeds live in memory here, away from the measured process.

    While `send_etags.value` is set, every response carries an ETag and a matching If-None-Match gets 304.
    """
    bodies = {f"/feed/{n}.xml": make_feed(n, n_items) for n in range(n_feeds)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            body = bodies.get(self.path)
            etag = f'"{len(body or b"")}-{self.path}"'
            if body and send_etags.value and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            if body and send_etags.value:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


STAGES = [  # (label, function name in monitor.pipeline)
    ("keep raw body", "keep_bodies"),
    ("parse in the storing thread", "read_document"),
    ("dedupe + cluster + store", "store_document"),
    ("whole document (+attempt, commit)", "record_results"),
]


class StageClock:
    """CPU and wall time of the pipeline's stages, by wrapping them in monitor.pipeline; the bodies received."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.real = {name: getattr(pipeline, name) for _label, name in STAGES}
        self.reset()

    def reset(self) -> None:
        self.cpu = {name: 0.0 for _label, name in STAGES}
        self.wall = {name: 0.0 for _label, name in STAGES}
        self.bodies: list[bytes] = []

    def wrap(self, name):
        real = self.real[name]

        def timed(*args, **kwargs):
            cpu, wall = time.thread_time(), time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                self.cpu[name] += time.thread_time() - cpu
                self.wall[name] += time.perf_counter() - wall
                if name == "record_results":  # (engine, [Fetched], settings)
                    self.bodies.extend(one.result.body for one in args[1] if one.result.body)

        return timed

    def __enter__(self):
        for _label, name in STAGES:
            setattr(self.pipeline, name, self.wrap(name))
        return self

    def __exit__(self, *exc):
        for name, real in self.real.items():
            setattr(self.pipeline, name, real)


class StatementClock:
    """With --statements: wall time from sending each SQL statement to its result, by statement text (the
    database's work plus the driver's; on PostgreSQL the server's share of a stage's wall time)."""

    def __init__(self, engine, enabled: bool):
        self.engine, self.enabled = engine, enabled
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def _before(self, connection, _cursor, _statement, _parameters, _context, _executemany) -> None:
        connection.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        key = " ".join(statement.split())[:110]
        self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - connection.info["bench_started"].pop()
        self.calls[key] = self.calls.get(key, 0) + 1

    def __enter__(self):
        from sqlalchemy import event

        self.seconds.clear()
        self.calls.clear()
        if self.enabled:
            event.listen(self.engine, "before_cursor_execute", self._before)
            event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        if self.enabled:
            event.remove(self.engine, "before_cursor_execute", self._before)
            event.remove(self.engine, "after_cursor_execute", self._after)

    def total(self) -> tuple[float, int]:
        """(seconds, calls) of every statement."""
        return sum(self.seconds.values()), sum(self.calls.values())

    def slowest(self, n: int = 8) -> list[tuple[str, float, int]]:
        """The n statements that took the most time in all: (text, seconds, calls)."""
        ranked = sorted(self.seconds, key=self.seconds.__getitem__, reverse=True)[:n]
        return [(key, self.seconds[key], self.calls[key]) for key in ranked]


class ParseProcessClock:
    """CPU time of the parse processes (`WASPADA_PARSE_PROCESSES`): the descendants of this process other than
    the feed server, sampled from /proc every 50 ms while a cycle runs (a process's last 50 ms before it exits
    may be missed; the forkserver's own start, once, counts in the first cycle)."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.seconds: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def _processes() -> dict[int, tuple[int, float]]:
        """pid -> (parent pid, CPU seconds) of every process."""
        ticks = os.sysconf("SC_CLK_TCK")
        found = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                found[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
        return found

    def _sample(self) -> None:
        processes = self._processes()
        mine = {os.getpid()}
        for _ in range(4):  # children, grandchildren, ...
            mine |= {pid for pid, (parent, _cpu) in processes.items() if parent in mine and pid != self.server_pid}
        for pid in mine - {os.getpid()}:
            self.seconds[pid] = max(self.seconds.get(pid, 0.0), processes[pid][1])

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self._sample()

    def __enter__(self):
        self._sample()
        self.start = dict(self.seconds)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def used(self) -> float:
        return sum(seconds - self.start.get(pid, 0.0) for pid, seconds in self.seconds.items())


def bare_feedparser(bodies: list[bytes]) -> tuple[float, float]:
    """(CPU s, wall s) of bare feedparser on these bytes."""
    import feedparser

    cpu, wall = time.thread_time(), time.perf_counter()
    for body in bodies:
        feedparser.parse(io.BytesIO(body))
    return time.thread_time() - cpu, time.perf_counter() - wall


def required_work(bodies: list[bytes]) -> float:
    """CPU s of what every new item needs whatever stores it, on these bytes, with no database: parsing
    (`read_document`), sanitising (`entry_content`) and MinHash with band keys; the pipeline's floor."""
    from datetime import UTC, datetime

    from monitor.config import ParseSettings
    from monitor.feeds.parse import entry_content, read_document
    from monitor.feeds.store import minhashes

    limits, now = ParseSettings(), datetime.now(UTC)
    cpu = time.thread_time()
    for body in bodies:
        parsed = read_document(body, {}, "http://127.0.0.1/feed.xml", now, limits)
        if isinstance(parsed, str):
            continue
        minhashes([entry_content(entry, limits) for entry in parsed.entries])
    return time.thread_time() - cpu


def written_bytes() -> int:
    """Bytes this process passed to write() so far (SQLite's database and WAL writes)."""
    with open("/proc/self/io") as io_file:
        return int(next(line for line in io_file if line.startswith("wchar:")).split()[1])


class SqliteTarget:
    name = "SQLite"

    def __init__(self, folder: Path):
        self.path = folder / "bench.db"
        self.url = f"sqlite:///{self.path}"

    def size(self, engine) -> int:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return self.path.stat().st_size

    def written(self, engine) -> int:
        return written_bytes()

    def drop(self) -> None:
        pass


class PostgresTarget:
    name = "PostgreSQL"

    def __init__(self, admin_url: str):
        import psycopg
        from sqlalchemy.engine import make_url

        self.admin = make_url(admin_url)
        self.database = f"waspada_bench_{uuid.uuid4().hex[:12]}"
        self.dsn = self.admin.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.database}"')
        self.url = self.admin.set(database=self.database).render_as_string(hide_password=False)

    def size(self, engine) -> int:
        with engine.connect() as connection:
            connection.exec_driver_sql("CHECKPOINT")
            return int(connection.exec_driver_sql("SELECT pg_database_size(current_database())").scalar())

    def written(self, engine) -> int:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql("SELECT wal_bytes FROM pg_stat_wal").scalar())

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def run_engine(target, args, port: int, send_etags, server_pid: int, parse_processes: int) -> list[dict]:
    """The four cycles on one engine; a dict of measurements per shown cycle."""
    import monitor.pipeline as pipeline
    from sqlalchemy import func, select

    from monitor.config import FetchSettings, ParseSettings, PollSettings, Settings
    from monitor.db.models import Article
    from monitor.db.session import open_database, session_scope
    from monitor.feeds.registry import FeedSource, sync_feeds

    engine = open_database(target.url)
    settings = Settings(
        database_url=target.url, feeds_path=Path(tempfile.gettempdir()) / "feeds.yaml",
        fetch=FetchSettings(allow_private_networks=True, global_concurrency=args.concurrency,
                            per_host_concurrency=args.concurrency, per_host_min_gap=0.0),
        poll=PollSettings(), parse=ParseSettings(parse_processes=parse_processes),
    )
    sources = [FeedSource(id=f"bench-{n:04d}", name=f"Outlet {n}", url=f"http://127.0.0.1:{port}/feed/{n}.xml",
                          outlet=f"Outlet {n}", region="62", interval_minutes=30) for n in range(args.feeds)]
    with session_scope(engine) as session:
        sync_feeds(session, sources)
    results = []
    clock = StageClock(pipeline)
    try:
        for label, etags in [("new", False), ("nothing new", False), ("same bytes again", True), ("304", True)]:
            send_etags.value = int(etags)
            size_before, written_before = target.size(engine), target.written(engine)
            clock.reset()
            with clock, ParseProcessClock(server_pid) as parse_processes_clock, \
                    StatementClock(engine, args.statements) as statements:
                start = time.perf_counter()
                outcomes = pipeline.run_fetch_cycle(engine, settings, only_due=False)
                wall = time.perf_counter() - start
            written = target.written(engine) - written_before
            grown = target.size(engine) - size_before
            with session_scope(engine) as session:
                stored = session.scalar(select(func.count()).select_from(Article))
            base_cpu, base_wall = bare_feedparser(clock.bodies)
            floor_cpu = required_work(clock.bodies) if label == "new" else None
            results.append(dict(
                label=label, wall=wall, outcomes=outcomes, stored=stored, cpu=dict(clock.cpu), stage_wall=dict(clock.wall),
                parse_processes_cpu=parse_processes_clock.used(),
                base_cpu=base_cpu, base_wall=base_wall, floor_cpu=floor_cpu,
                n_docs=len(outcomes), n_bodies=len(clock.bodies),
                written=written, grown=grown, size=target.size(engine), statements=statements.slowest(),
                statements_total=statements.total(),
            ))
    finally:
        engine.dispose()
        target.drop()
    return results


def report(target_name: str, args, results: list[dict], parse_processes: int) -> bool:
    """Print one engine's cycles; False when any feed failed."""
    ok_all = True
    print(f"\n{target_name}: {args.feeds} feeds x {args.items} items, concurrency {args.concurrency}, "
          f"{parse_processes} parse process(es)")
    for r in results:
        outcomes = r["outcomes"]
        failed = [o for o in outcomes if o.outcome not in ("ok", "not_modified")]
        ok_all &= not failed
        new = sum(o.n_new for o in outcomes)
        n = max(r["n_docs"], 1)
        print(f"  cycle '{r['label']}': {r['wall']:.2f} s wall, {r['n_docs'] / r['wall']:.1f} feeds/s, {new} new items "
              f"({r['stored']} stored), {len(failed)} failed, {r['n_bodies']} bodies")
        amp = f"{r['written'] / r['grown']:.1f}x" if r["grown"] >= 2**20 else "- (grew by less than 1 MiB)"
        print(f"    written {r['written'] / 2**20:.1f} MiB, database grew {r['grown'] / 2**20:.1f} MiB "
              f"(now {r['size'] / 2**20:.1f} MiB): write amplification {amp}")
        print(f"    {'stage (per feed)':36}{'CPU ms':>9}{'wall ms':>9}{'x feedparser CPU':>18}")
        base = r["base_cpu"]
        print(f"    {'bare feedparser.parse':36}{1000 * base / n:9.2f}{1000 * r['base_wall'] / n:9.2f}{1.0 if base else 0:18.2f}")
        for stage_label, name in STAGES:
            cpu, wall = r["cpu"][name], r["stage_wall"][name]
            ratio = f"{cpu / base:18.2f}" if r["n_bodies"] else f"{'-':>18}"
            print(f"    {stage_label:36}{1000 * cpu / n:9.2f}{1000 * wall / n:9.2f}{ratio}")
        ahead = r["parse_processes_cpu"]
        ahead_ratio = f"{ahead / base:18.2f}" if r["n_bodies"] else f"{'-':>18}"
        print(f"    {'read ahead (parse processes)':36}{1000 * ahead / n:9.2f}{'-':>9}{ahead_ratio}")
        pipeline_cpu = r["cpu"]["read_document"] + r["cpu"]["store_document"] + ahead
        if r["n_bodies"]:
            print(f"    ratio parse + dedupe + cluster + store / bare feedparser: {pipeline_cpu / base:.2f} (CPU, "
                  f"all processes); whole document: {r['cpu']['record_results'] / base:.2f} in the storing thread, "
                  f"{(r['cpu']['record_results'] + ahead) / base:.2f} with the parse processes; cycle wall time "
                  f"per feed: {1000 * r['wall'] / n:.2f} ms, {r['wall'] / base:.2f}x bare feedparser's CPU")
        if r["floor_cpu"] is not None and r["n_bodies"]:
            floor = r["floor_cpu"]
            print(f"    floor: parse + sanitise + MinHash of every item alone, no database: {1000 * floor / n:.2f} ms "
                  f"per feed, {floor / base:.2f}x bare feedparser; the rest of the pipeline (lookups, clusters, rows, "
                  f"statements) {1000 * (pipeline_cpu - floor) / n:.2f} ms, {(pipeline_cpu - floor) / base:.2f}x")
        if r["statements"]:
            seconds, calls = r["statements_total"]
            print(f"    all statements: {1000 * seconds / n:.2f} ms wall and {calls / n:.1f} calls per feed")
            print(f"    {'slowest statements (per feed)':36}{'wall ms':>9}{'calls':>9}")
            for statement, seconds, calls in r["statements"]:
                print(f"    {1000 * seconds / n:9.2f}{calls / n:9.2f}  {statement}")
        if failed:
            print(f"    first failure: {failed[0]}")
    return ok_all


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--parse-processes", default="0,1",
                        help="comma-separated: each engine runs once per value (0: parse in the storing thread)")
    parser.add_argument("--statements", action="store_true",
                        help="also time every SQL statement and print the slowest per cycle")
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    ports, send_etags = context.Queue(), context.Value("i", 0)
    server = context.Process(target=serve, args=(args.feeds, args.items, ports, send_etags), daemon=True)
    server.start()
    port = ports.get(timeout=120)
    print(f"Waspada ingest benchmark, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    ok = True
    try:
        runs = [(engine_name.strip(), int(processes)) for engine_name in args.engines.split(",") if engine_name.strip()
                for processes in args.parse_processes.split(",")]
        for engine_name, parse_processes in runs:
            rss_before = maxrss_mb()
            with tempfile.TemporaryDirectory(prefix="waspada-bench-", dir=os.environ.get("WASPADA_BENCH_DIR", "/var/tmp")) as tmp:
                if engine_name == "sqlite":
                    target = SqliteTarget(Path(tmp))
                else:
                    target = PostgresTarget(os.environ.get("WASPADA_BENCH_POSTGRES_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
                results = run_engine(target, args, port, send_etags, server.pid, parse_processes)
            ok &= report(target.name, args, results, parse_processes)
            print(f"  peak RSS {maxrss_mb():.1f} MiB (before this engine: {rss_before:.1f} MiB)")
    finally:
        server.terminate()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
