"""Alert benchmark: 100,000 stored, classified articles -> alerts and plan links, then levels over a year.

Rows are generated straight into a temporary SQLite database (a year of articles over the 14
kabupaten, about 15 % with a conflict signal, story clusters of one to three copies, plus the
example-like plans), then timed side by side:
  - baseline: reading the same joined rows with a plain SELECT (the floor any stage pays);
  - `update_alerts` over every story;
  - `update_pending_alerts`, the running monitor's pass: 1 % of the stories marked as newly
    classified, then with nothing marked;
  - `compute_levels` for the whole year (every kabupaten and kabupaten x category series).

    .venv/bin/python benchmarks/bench_alerts.py               # 100,000 articles
    .venv/bin/python benchmarks/bench_alerts.py --articles 20000
"""
from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, insert, select, update

from monitor.alerts.generate import update_alerts, update_pending_alerts
from monitor.alerts.levels import compute_levels
from monitor.db.models import Article, ArticleClassification, Feed, Plan, PlanAction, StoryCluster
from monitor.db.session import open_database, session_scope

KABUPATEN = ["62.01", "62.02", "62.03", "62.04", "62.05", "62.06", "62.07", "62.08", "62.09", "62.10", "62.11",
             "62.12", "62.13", "62.71"]
CATEGORIES = ["lahan", "perkebunan", "tambang", "lingkungan", "sara", "politik", "unjuk_rasa", "ketenagakerjaan",
              "kekerasan_kelompok"]
VERSION = "bench"
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def populate(engine, n_articles: int, rng: random.Random) -> None:
    """Feeds, clusters, articles and classifications, inserted in bulk."""
    with session_scope(engine) as session:
        session.add(Feed(id="bench", name="bench", url="https://bench.example.id/rss", configured_url="https://bench.example.id/rss",
                         outlet="bench", region="62", enabled=True, verified=True, notes="", poll_interval_seconds=3600,
                         current_interval_seconds=3600, error_count=0))
        for code in KABUPATEN + ["62"]:
            plan = Plan(year=2026, region_code=code, title=f"bench {code}", status="berlaku")
            for n, category in enumerate(rng.sample(CATEGORIES, 3)):
                plan.actions.append(PlanAction(code=f"A{n}", bidang="pencegahan", program="p", kegiatan=f"k {category}",
                                               categories=[category], places=[code] if code != "62" else [], keywords=[category]))
            session.add(plan)
    clusters, articles, classifications = [], [], []
    article_id = cluster_id = 0
    while article_id < n_articles:
        cluster_id += 1
        seen = START + timedelta(minutes=rng.randrange(365 * 24 * 60))
        clusters.append({"id": cluster_id, "first_seen_at": seen, "last_seen_at": seen, "size": 1})
        conflict = rng.random() < 0.15
        kabupaten = [rng.choice(KABUPATEN)] if rng.random() < 0.6 else []
        categories = rng.sample(CATEGORIES, rng.randint(1, 2)) if conflict else []
        for copy in range(rng.choice((1, 1, 2, 3))):
            article_id += 1
            articles.append({"id": article_id, "feed_id": "bench", "guid": f"g{article_id}", "url": f"https://b.example.id/{article_id}",
                             "canonical_url": f"https://b.example.id/{article_id}", "title": f"Berita {article_id} {' '.join(categories)}",
                             "summary_html": "", "summary_text": "SAMPIT - isi berita.", "published_at": seen + timedelta(hours=copy),
                             "fetched_at": seen + timedelta(hours=copy), "content_hash": f"h{article_id}", "raw_entry": {},
                             "cluster_id": cluster_id})
            classifications.append({"article_id": article_id, "model_version": VERSION, "categories": categories,
                                    "scores": {c: 0.9 for c in categories}, "conflict": 0.9 if conflict else 0.05,
                                    "is_conflict": conflict, "kabupaten": kabupaten, "kecamatan": [], "desa": [],
                                    "kalteng": bool(kabupaten) or rng.random() < 0.3, "places": [], "evidence": [],
                                    "severity": ["bentrok"] if conflict and rng.random() < 0.1 else [],
                                    "classified_at": seen})
    with session_scope(engine) as session:
        for table, rows in ((StoryCluster, clusters), (Article, articles), (ArticleClassification, classifications)):
            for start in range(0, len(rows), 5000):
                session.execute(insert(table), rows[start:start + 5000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="waspada-bench-alerts-")
    engine = open_database(f"sqlite:///{folder}/bench.db")
    started = time.perf_counter()
    populate(engine, args.articles, random.Random(11))
    print(f"Waspada alert benchmark: {args.articles:,} articles generated in {time.perf_counter() - started:.1f} s ({folder})")

    started = time.perf_counter()
    with session_scope(engine) as session:
        rows = session.execute(select(Article, ArticleClassification).join(
            ArticleClassification, ArticleClassification.article_id == Article.id)).all()
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    run = update_alerts(engine, VERSION)
    alerting = time.perf_counter() - started
    with session_scope(engine) as session:
        stories = session.scalar(select(func.count()).select_from(StoryCluster))
        session.execute(update(StoryCluster).where(StoryCluster.id % 100 == 0).values(needs_alert_refresh=True))
    started = time.perf_counter()
    pending = update_pending_alerts(engine, VERSION)
    refreshing = time.perf_counter() - started
    started = time.perf_counter()
    update_pending_alerts(engine, VERSION)
    idle = time.perf_counter() - started
    started = time.perf_counter()
    with session_scope(engine) as session:
        stored = len(compute_levels(session, date(2026, 1, 1), date(2026, 12, 31)))
    levelling = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  stories {run.stories:,}; alerts {run.created:,} ({run.plan_gaps:,} plan gaps); realisation links {run.realisations:,}")
    print(f"  {'baseline: SELECT of the joined rows':<44} {baseline:7.2f} s   1.00x   ({len(rows):,} rows)")
    print(f"  {'update_alerts (stories, alerts, plan links)':<44} {alerting:7.2f} s  {alerting / baseline:5.2f}x")
    print(f"  {'update_pending_alerts, 1 % marked':<44} {refreshing:7.2f} s  {refreshing / baseline:5.2f}x   "
          f"({pending.stories:,} of {stories:,} stories)")
    print(f"  {'update_pending_alerts, nothing marked':<44} {idle:7.2f} s  {idle / baseline:5.2f}x")
    print(f"  {'compute_levels, one year, every series':<44} {levelling:7.2f} s  {levelling / baseline:5.2f}x   ({stored:,} level rows)")
    print(f"  peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
