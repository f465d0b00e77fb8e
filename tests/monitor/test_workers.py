"""Several processes on one database: migrations, feed claims, the stage, the leader, the SQLite guard.

Every worker here is a real process (tests/monitor/worker_process.py) started together through a
start file, against a real feed server; PostgreSQL is the multi-worker engine, SQLite must stay
correct (one process at a time where it matters) and say so.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from monitor.db.models import Alert, Article, Feed, FetchAttempt
from monitor.db.session import make_engine, open_database, session_scope
from monitor.feeds.registry import FeedSource, sync_feeds
from tests.conftest import Response
from tests.monitor.helpers import count, rss

ROOT = Path(__file__).resolve().parents[2]
WORDS = [f"kata{n}" for n in range(3000)]
CONFLICT = "warga desa memblokade jalan kebun sawit perusahaan menuntut plasma di Kotawaringin Timur"


def _env(**extra) -> dict:
    env = dict(os.environ, WASPADA_ALLOW_PRIVATE_NETWORKS="1", WASPADA_PER_HOST_CONCURRENCY="4",
               WASPADA_PER_HOST_MIN_GAP="0", WASPADA_CLAIM_BATCH="10", WASPADA_READ_TIMEOUT="5")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _start(job: str, url: str, start_file: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.monitor.worker_process", job, url, str(start_file)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run_together(job: str, url: str, tmp_path: Path, n: int = 3, env: dict | None = None) -> list[dict]:
    """Start n processes, release them at once, and return their JSON results (all must exit 0)."""
    start_file = tmp_path / f"start-{job}-{time.monotonic_ns()}"
    processes = [_start(job, url, start_file, env or _env()) for _ in range(n)]
    time.sleep(1.5)  # let them import; they wait for the start file
    start_file.touch()
    results = []
    for process in processes:
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _item(rng: random.Random, key: str, conflict: bool) -> dict:
    words = " ".join(rng.choice(WORDS) for _ in range(40))
    body = f"{CONFLICT} {words}" if conflict else words
    return {"title": f"Kabar {key} {rng.choice(WORDS)}", "link": f"https://berita.example.id/{key}", "guid": key,
            "description": body, "pubDate": "Mon, 07 Dec 2026 08:00:00 +0700"}


def _serve_feeds(engine, feed_server, n_feeds: int, per_feed: int, delay: float = 0.0) -> set[str]:
    """n_feeds feeds of per_feed own items each, plus the first item of the next feed (the same URL
    in two feeds); returns every distinct item URL."""
    rng = random.Random(7)
    own = [[_item(rng, f"f{f}-i{i}", conflict=(i == 0)) for i in range(per_feed)] for f in range(n_feeds)]
    sources = []
    for f in range(n_feeds):
        items = own[f] + [own[(f + 1) % n_feeds][0]]
        url = feed_server.route(f"/feed/{f}", Response(body=rss(items).encode(), delay=delay,
                                                       headers={"Content-Type": "application/rss+xml"}))
        sources.append(FeedSource(id=f"feed-{f:03d}", name=f"Feed {f}", url=url, outlet=f"Outlet {f}",
                                  region="62.02", interval_minutes=30))
    with session_scope(engine) as session:
        sync_feeds(session, sources, disable_missing=False)
    return {item["link"] for items in own for item in items}


def test_processes_started_together_on_a_fresh_database_all_migrate(db_url, tmp_path):
    results = _run_together("migrate", db_url, tmp_path)
    assert all(r["migrated"] for r in results)
    engine = make_engine(db_url)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_three_workers_share_one_cycle_of_300_feeds_without_fetching_or_storing_anything_twice(db_url, feed_server,
                                                                                                tmp_path):
    engine = open_database(db_url)
    urls = _serve_feeds(engine, feed_server, n_feeds=300, per_feed=2, delay=0.02)
    results = _run_together("cycle", db_url, tmp_path)

    fetched = Counter(feed for r in results for feed in r["fetched"])
    assert len(fetched) == 300 and set(fetched.values()) == {1}  # every feed by exactly one worker
    assert all(r["fetched"] for r in results)  # and the work was shared
    assert all(len(feed_server.requests_to(f"/feed/{f}")) == 1 for f in range(300))
    assert not [m for r in results for m in r["failed"]]
    assert sum(r["new"] for r in results) == len(urls) == 600  # items in two feeds stored once
    with session_scope(engine) as session:
        stored = session.scalars(select(Article.url)).all()
        assert sorted(stored) == sorted(urls)
        assert session.scalar(select(func.count()).select_from(FetchAttempt)) == 300
        alerts = session.execute(select(Alert.cluster_id)).all()
        assert len(alerts) == len({a.cluster_id for a in alerts}) > 0
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_worker_killed_mid_cycle_loses_nothing_and_the_next_cycle_completes_its_feeds(db_url, feed_server, tmp_path):
    engine = open_database(db_url)
    urls = _serve_feeds(engine, feed_server, n_feeds=60, per_feed=3, delay=0.3)
    env = _env(WASPADA_CLAIM_LEASE_SECONDS=3)
    start_file = tmp_path / "start"
    victim, survivor = (_start("cycle", db_url, start_file, env) for _ in range(2))
    time.sleep(1.5)
    start_file.touch()
    deadline = time.monotonic() + 60
    while count(engine, FetchAttempt) < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)  # mid-cycle: it holds claimed feeds it never fetched
    victim.wait(timeout=30)
    out, err = survivor.communicate(timeout=240)
    assert survivor.returncode == 0, err[-3000:]

    time.sleep(3.5)  # the dead worker's claims run out
    later = _run_together("cycle", db_url, tmp_path, n=1, env=env)[0]
    with session_scope(engine) as session:
        assert sorted(session.scalars(select(Article.url)).all()) == sorted(urls)  # everything, once
        never_fetched = session.scalars(select(Feed.id).where(Feed.last_checked_at.is_(None))).all()
        assert never_fetched == []
    survivor_fetched = set(json.loads(out.strip().splitlines()[-1])["fetched"])
    assert not survivor_fetched & set(later["fetched"])  # nothing done twice by the living
    engine.dispose()


def test_two_stage_passes_at_once_create_each_alert_once(db_url, feed_server, tmp_path):
    engine = open_database(db_url)
    _serve_feeds(engine, feed_server, n_feeds=30, per_feed=3)
    from monitor.pipeline import run_fetch_cycle
    from tests.conftest import FAST_FETCH
    from monitor.config import Settings

    settings = Settings(database_url=db_url, feeds_path=tmp_path / "feeds.yaml", fetch=FAST_FETCH)
    run_fetch_cycle(engine, settings)  # stored, not yet classified or alerted
    assert count(engine, Alert) == 0
    results = _run_together("stage", db_url, tmp_path, n=2)
    assert sum(r["classified"] for r in results) == count(engine, Article)  # each article read once
    with session_scope(engine) as session:
        clusters = session.scalars(select(Alert.cluster_id)).all()
    assert len(clusters) == len(set(clusters)) == sum(r["created"] for r in results) > 0
    engine.dispose()


def test_a_second_monitor_on_one_sqlite_file_is_refused_with_a_clear_message(tmp_path):
    from typer.testing import CliRunner

    from monitor.cli import app
    from monitor.db import locks
    from monitor.scheduler import claim_sqlite_monitor

    url = f"sqlite:///{tmp_path / 'waspada.db'}"
    engine = open_database(url)
    held = claim_sqlite_monitor(engine)
    with pytest.raises(locks.LockBusy):
        claim_sqlite_monitor(make_engine(url))
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    result = CliRunner().invoke(app, ["worker", "--feeds", str(feeds)], env={"WASPADA_DATABASE_URL": url})
    assert result.exit_code == 2
    assert f"sudah dipantau oleh proses Waspada lain (PID {os.getpid()})" in result.output
    assert "PostgreSQL" in result.output
    held.release()
    claim_sqlite_monitor(make_engine(url)).release()  # free again once the first monitor is gone


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_one_leader_runs_the_daily_jobs_and_another_takes_over_when_it_dies(db_url, tmp_path):
    from monitor.scheduler import Leadership, leader_only

    engine = open_database(db_url)
    start_file = tmp_path / "start"
    leader = _start("leader", db_url, start_file, _env())
    start_file.touch()
    assert json.loads(leader.stdout.readline())["leader"] is True
    ran = []
    job = leader_only(Leadership(engine), lambda e: ran.append(e))
    job(engine)
    assert ran == []  # the other process leads: this one skips the daily job
    leader.send_signal(signal.SIGKILL)
    leader.wait(timeout=30)
    deadline = time.monotonic() + 30
    while not ran and time.monotonic() < deadline:  # the server drops a dead session's lock
        job(engine)
        time.sleep(0.1)
    assert ran == [engine]
    engine.dispose()


def test_a_failed_store_keeps_the_raw_body_and_reprocess_recovers_its_items(db_url, feed_server, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import monitor.pipeline
    from monitor.cli import app
    from monitor.config import Settings
    from monitor.db.models import RawDocument
    from monitor.pipeline import run_fetch_cycle
    from tests.conftest import FAST_FETCH

    engine = open_database(db_url)
    urls = _serve_feeds(engine, feed_server, n_feeds=2, per_feed=3)
    feed_server.route("/bukan-feed", Response(body=b"<html><body>Halaman biasa</body></html>",
                                              headers={"Content-Type": "text/html"}))
    with session_scope(engine) as session:
        sync_feeds(session, [FeedSource(id="bukan-feed", name="Bukan feed", url=feed_server.url("/bukan-feed"),
                                        outlet="X", region="62", interval_minutes=30)], disable_missing=False)

    def broken_store(*args, **kwargs):
        raise RuntimeError("disk penuh")

    monkeypatch.setattr(monitor.pipeline, "store_document", broken_store)  # the database step fails, once
    settings = Settings(database_url=db_url, feeds_path=tmp_path / "feeds.yaml", fetch=FAST_FETCH)
    outcomes = run_fetch_cycle(engine, settings, only_due=False)
    monkeypatch.undo()
    assert sorted(o.outcome for o in outcomes) == ["error"] * 3
    assert count(engine, Article) == 0
    with session_scope(engine) as session:
        attempts = session.scalars(select(FetchAttempt).order_by(FetchAttempt.feed_id)).all()
        assert [a.error_kind for a in attempts] == ["not_a_feed", "store_failed", "store_failed"]
        assert all(a.raw_document_id is not None for a in attempts)  # every body was kept before parsing
        assert session.get(RawDocument, attempts[0].raw_document_id).body.startswith(b"<html>")

    result = CliRunner().invoke(app, ["reprocess", "--since", "2020-01-01"], env={"WASPADA_DATABASE_URL": db_url})
    assert result.exit_code == 1, result.output  # the page that is no feed is still no feed
    with session_scope(engine) as session:
        assert sorted(session.scalars(select(Article.url)).all()) == sorted(urls)
        assert session.scalar(select(func.count()).select_from(Alert)) > 0  # and the stage ran
    again = CliRunner().invoke(app, ["reprocess", "--since", "2020-01-01"], env={"WASPADA_DATABASE_URL": db_url})
    assert count(engine, Article) == len(urls), again.output  # repeating it stores nothing twice
    engine.dispose()
