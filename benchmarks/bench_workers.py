"""Workers benchmark: one fetch cycle over many local feeds shared by 1, 2 and 4 worker processes on PostgreSQL.

A server process on 127.0.0.1 serves N feeds of M items (bench_ingest's generator). For each worker
count a fresh PostgreSQL database gets the feeds; the workers (real processes, each running
`monitor.pipeline.run_fetch_cycle` over the due feeds, claiming them in batches) are released
together, and the cycle ends when the last one exits. Printed per worker count: wall time, feeds/s,
items/s, the speed-up against one worker side by side, the 1-minute load average before and after
(the machine may be shared), how the feeds were shared and each worker's CPU seconds. Only the fetch
cycle is timed: the deteksi dini stage a `waspada worker` runs after it, and its start-up, are not.

    .venv/bin/python benchmarks/bench_workers.py                       # 10,000 feeds x 20 items
    .venv/bin/python benchmarks/bench_workers.py --feeds 1000 --items 5 --workers 1 2
PostgreSQL from WASPADA_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
the benchmark creates and drops its own databases there.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import serve  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORKER = """
import json, sys, time
from pathlib import Path
from monitor.config import Settings
from monitor.db.session import make_engine
from monitor.pipeline import run_fetch_cycle
settings = Settings.from_env()
engine = make_engine(settings.database_url)
start = Path(sys.argv[1])
while not start.exists():
    time.sleep(0.005)
cpu = time.process_time()
outcomes = run_fetch_cycle(engine, settings, only_due=True)
print(json.dumps({"feeds": len(outcomes), "new": sum(o.n_new for o in outcomes),
                  "failed": sum(o.outcome != "ok" for o in outcomes), "cpu": time.process_time() - cpu}))
"""


def _admin(url: str):
    import psycopg
    from sqlalchemy.engine import make_url

    return psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                           autocommit=True)


def prepare(admin_url: str, name: str, port: int, n_feeds: int) -> str:
    """A fresh migrated database holding the feeds; its URL."""
    from sqlalchemy.engine import make_url

    from monitor.db.session import open_database, session_scope
    from monitor.feeds.registry import FeedSource, sync_feeds

    with _admin(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = open_database(url)
    sources = [FeedSource(id=f"bench-{n:05d}", name=f"Outlet {n}", url=f"http://127.0.0.1:{port}/feed/{n}.xml",
                          outlet=f"Outlet {n}", region="62", interval_minutes=30) for n in range(n_feeds)]
    with session_scope(engine) as session:
        sync_feeds(session, sources)
    engine.dispose()
    return url


def run_workers(url: str, n_workers: int, concurrency: int) -> tuple[float, list[dict]]:
    """Release n worker processes together; wall seconds until the last exits, and their reports."""
    env = dict(os.environ, WASPADA_DATABASE_URL=url, WASPADA_ALLOW_PRIVATE_NETWORKS="1",
               WASPADA_CONCURRENCY=str(concurrency), WASPADA_PER_HOST_CONCURRENCY=str(concurrency),
               WASPADA_PER_HOST_MIN_GAP="0")
    with tempfile.TemporaryDirectory() as tmp:
        start_file = Path(tmp) / "start"
        workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(start_file)], cwd=ROOT, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for _ in range(n_workers)]
        time.sleep(3)  # imports done; each waits for the start file
        began = time.perf_counter()
        start_file.touch()
        reports = []
        for worker in workers:
            out, err = worker.communicate()
            if worker.returncode != 0:
                raise SystemExit(f"worker failed:\n{err[-2000:]}")
            reports.append(json.loads(out.strip().splitlines()[-1]))
        return time.perf_counter() - began, reports


def wait_for_port(server, ports) -> int:
    """The feed server's port, once it has built its feeds; exits at once if the server process died."""
    while True:
        try:
            return ports.get(timeout=1)
        except queue.Empty:
            if not server.is_alive():
                raise SystemExit(f"feed server exited with status {server.exitcode}") from None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=20, help="requests in flight per worker")
    args = parser.parse_args()
    admin_url = os.environ.get("WASPADA_BENCH_POSTGRES_URL", DEFAULT_ADMIN)

    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    no_etags = context.Value("i", 0)  # every cycle here is a first fetch: plain 200 answers
    server = context.Process(target=serve, args=(args.feeds, args.items, ports, no_etags), daemon=True)
    server.start()
    port = wait_for_port(server, ports)
    rows = []
    try:
        for n in args.workers:
            name = f"waspada_bench_workers_{os.getpid()}_{n}"  # unique: another run may share the server
            url = prepare(admin_url, name, port, args.feeds)
            load_before = os.getloadavg()[0]
            wall, reports = run_workers(url, n, args.concurrency)
            rows.append((n, wall, reports, (load_before, os.getloadavg()[0])))
            with _admin(admin_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        server.terminate()

    print(f"Waspada workers benchmark: {args.feeds} feeds x {args.items} items, PostgreSQL, {os.cpu_count()} cores, "
          f"concurrency {args.concurrency} per worker, Python {sys.version.split()[0]}")
    print(f"  {'workers':>7}{'wall s':>10}{'feeds/s':>10}{'items/s':>10}{'speed-up':>10}{'load':>12}"
          "  feeds per worker (failed), CPU s per worker")
    base = rows[0][1] if rows else 0  # the first worker count's wall time (1 by default)
    for n, wall, reports, load in rows:
        feeds = sum(r["feeds"] for r in reports)
        items = sum(r["new"] for r in reports)
        failed = sum(r["failed"] for r in reports)
        shares = " ".join(str(r["feeds"]) for r in reports)
        cpu = " ".join(f"{r['cpu']:.0f}" for r in reports)
        print(f"  {n:>7}{wall:10.1f}{feeds / wall:10.1f}{items / wall:10.1f}{base / wall:10.2f}"
              f"{load[0]:6.1f}{load[1]:6.1f}  {shares} ({failed}), {cpu}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
