"""Alert benchmark: 100,000 stored, classified articles -> events, alerts and plan links, then levels over a year.

Rows are generated straight into a temporary SQLite database (a year of articles over the 14
kabupaten, about 15 % with a conflict signal, story clusters of one to three copies, a third of the
conflict stories rewrites of an earlier one by another outlet within two days, news-like texts
naming companies and desa, plus example-like plans). The database is copied, and the alert stage
runs on one copy without event linking (one event per copy cluster: the stage before events) and
on the other with it, side by side:
  - baseline: reading the same joined rows with a plain SELECT (the floor any stage pays);
  - `update_alerts` over every story;
  - `update_pending_alerts`, the running monitor's pass: 1 % of the stories marked as newly
    classified, then with nothing marked;
  - `compute_levels` for the whole year (every kabupaten and kabupaten x category series), on the
    linked copy.

    .venv/bin/python benchmarks/bench_alerts.py               # 100,000 articles
    .venv/bin/python benchmarks/bench_alerts.py --articles 20000
"""
from __future__ import annotations

import argparse
import random
import resource
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, insert, select, update

from monitor.alerts.content import idf
from monitor.alerts.generate import AlertRun, update_alerts, update_pending_alerts
from monitor.alerts.levels import compute_levels
from monitor.config import EventSettings
from monitor.db.models import Article, ArticleClassification, Feed, Plan, PlanAction, StoryCluster
from monitor.db.session import open_database, session_scope

KABUPATEN = ["62.01", "62.02", "62.03", "62.04", "62.05", "62.06", "62.07", "62.08", "62.09", "62.10", "62.11",
             "62.12", "62.13", "62.71"]
CATEGORIES = ["lahan", "perkebunan", "tambang", "lingkungan", "sara", "politik", "unjuk_rasa", "ketenagakerjaan",
              "kekerasan_kelompok"]
VERSION = "bench"
MEASURABLE = 0.05  # s: a ratio of shorter timings is noise
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


COMPANIES = ["Sawit Makmur Abadi", "Borneo Agro Lestari", "Kalteng Hijau Lestari", "Mentaya Sawit Jaya", "Katingan Prima",
             "Barito Tambang Raya", "Kahayan Mineral", "Seruyan Agro Mandiri", "Lamandau Sejahtera", "Kapuas Indah"]
DESA = ["Pondok Damar", "Bapinang Hilir", "Tumbang Samba", "Pangkalan Lada", "Sungai Rangit", "Bukit Batu", "Tewang Rangas",
        "Pundu", "Luwuk Ranggan", "Sebabi", "Tanjung Jariangau", "Bagendang"]
ACTS = [("blokade jalan kebun", "memblokade jalan menuju kebun"), ("unjuk rasa di kantor", "berunjuk rasa di kantor"),
        ("bentrok dengan satpam", "bentrok dengan petugas keamanan"), ("patok lahan", "memasang patok di lahan"),
        ("tolak penggusuran oleh", "menolak penggusuran lahan oleh"), ("mogok kerja di", "mogok kerja di kebun")]
DEMANDS = ["kebun plasma 20 persen", "ganti rugi lahan", "upah yang belum dibayar", "pengembalian lahan adat",
           "penghentian pencemaran sungai", "kejelasan batas HGU"]
FILLER = ("warga menyebut persoalan ini sudah berlangsung lama dan belum ada penyelesaian dari pemerintah daerah maupun "
          "perusahaan sehingga mereka meminta aparat dan dinas terkait segera turun tangan memfasilitasi pertemuan").split()


def story_text(rng: random.Random, company: str, desa: str, act: tuple[str, str], demand: str) -> tuple[str, str]:
    """A news-like title and lead about one dispute, worded differently on every call."""
    title = f"Warga {desa} {act[0]} PT {company}, tuntut {demand}"
    lead = (f"SAMPIT - {rng.choice(['Ratusan', 'Puluhan', 'Sejumlah'])} warga Desa {desa} {act[1]} PT {company}. "
            f"Mereka {rng.choice(['menuntut', 'mendesak', 'meminta'])} {demand}. "
            + " ".join(rng.sample(FILLER, 14)) + ".")
    return title, lead


def populate(engine, n_articles: int, rng: random.Random) -> None:
    """Feeds, clusters, articles and classifications, inserted in bulk."""
    with session_scope(engine) as session:
        for outlet in ("bench", "bench2", "bench3"):
            session.add(Feed(id=outlet, name=outlet, url=f"https://{outlet}.example.id/rss",
                             configured_url=f"https://{outlet}.example.id/rss", outlet=outlet, region="62", enabled=True,
                             verified=True, notes="", poll_interval_seconds=3600, current_interval_seconds=3600,
                             error_count=0))
        for code in KABUPATEN + ["62"]:
            plan = Plan(year=2026, region_code=code, title=f"bench {code}", status="berlaku")
            for n, category in enumerate(rng.sample(CATEGORIES, 3)):
                plan.actions.append(PlanAction(code=f"A{n}", bidang="pencegahan", program="p", kegiatan=f"k {category}",
                                               categories=[category], places=[code] if code != "62" else [], keywords=[category]))
            session.add(plan)
    clusters, articles, classifications = [], [], []
    article_id = cluster_id = 0
    disputes = []  # earlier conflict stories another outlet may rewrite
    while article_id < n_articles:
        cluster_id += 1
        conflict = rng.random() < 0.15
        if conflict and disputes and rng.random() < 0.33:  # another outlet's rewrite of a recent dispute
            seen, kabupaten, categories, company, desa, act, demand = rng.choice(disputes[-20:])
            seen = seen + timedelta(minutes=rng.randrange(2 * 24 * 60))
        else:
            seen = START + timedelta(minutes=rng.randrange(365 * 24 * 60))
            kabupaten = [rng.choice(KABUPATEN)] if rng.random() < 0.6 else []
            categories = rng.sample(CATEGORIES, rng.randint(1, 2)) if conflict else []
            company, desa, act, demand = rng.choice(COMPANIES), rng.choice(DESA), rng.choice(ACTS), rng.choice(DEMANDS)
            if conflict:
                disputes.append((seen, kabupaten, categories, company, desa, act, demand))
        title, lead = story_text(rng, company, desa, act, demand) if conflict else (
            f"Berita {cluster_id} harga TBS dan kegiatan pemerintah daerah", "SAMPIT - " + " ".join(rng.sample(FILLER, 20)))
        clusters.append({"id": cluster_id, "first_seen_at": seen, "last_seen_at": seen, "size": 1})
        for copy in range(rng.choice((1, 1, 2, 3))):
            article_id += 1
            articles.append({"id": article_id, "feed_id": ("bench", "bench2", "bench3")[copy], "guid": f"g{article_id}",
                             "url": f"https://b.example.id/{article_id}", "canonical_url": f"https://b.example.id/{article_id}",
                             "title": title, "summary_html": "", "summary_text": lead, "published_at": seen + timedelta(hours=copy),
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


@dataclass(frozen=True)
class StageTimes:
    """The alert stage's timings on one copy of the database."""

    run: AlertRun
    full: float
    pending: float
    pending_stories: int
    idle: float


def time_stage(url: str, linking: bool) -> StageTimes:
    """Every story, then 1 % marked, then nothing marked, with or without event linking."""
    engine = open_database(url)
    settings = EventSettings(linking=linking)
    started = time.perf_counter()
    run = update_alerts(engine, VERSION, settings=settings)
    full = time.perf_counter() - started
    with session_scope(engine) as session:
        session.execute(update(StoryCluster).where(StoryCluster.id % 100 == 0).values(needs_alert_refresh=True))
    started = time.perf_counter()
    pending = update_pending_alerts(engine, VERSION, settings)
    refreshing = time.perf_counter() - started
    started = time.perf_counter()
    update_pending_alerts(engine, VERSION, settings)
    idle = time.perf_counter() - started
    engine.dispose()
    return StageTimes(run, full, refreshing, pending.stories, idle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="waspada-bench-alerts-")
    engine = open_database(f"sqlite:///{folder}/bench.db")
    started = time.perf_counter()
    populate(engine, args.articles, random.Random(11))
    engine.dispose()
    for name in ("plain", "linked"):
        shutil.copy(f"{folder}/bench.db", f"{folder}/{name}.db")
    print(f"Waspada alert benchmark: {args.articles:,} articles generated in {time.perf_counter() - started:.1f} s ({folder})")

    started = time.perf_counter()
    idf("warga")  # the seed corpus's word frequencies, read once per process (not part of either run)
    warm = time.perf_counter() - started
    engine = open_database(f"sqlite:///{folder}/bench.db")
    started = time.perf_counter()
    with session_scope(engine) as session:
        rows = session.execute(select(Article, ArticleClassification).join(
            ArticleClassification, ArticleClassification.article_id == Article.id)).all()
        stories = session.scalar(select(func.count()).select_from(StoryCluster))
    baseline = time.perf_counter() - started
    plain = time_stage(f"sqlite:///{folder}/plain.db", linking=False)
    linked = time_stage(f"sqlite:///{folder}/linked.db", linking=True)
    engine = open_database(f"sqlite:///{folder}/linked.db")
    started = time.perf_counter()
    with session_scope(engine) as session:
        stored = len(compute_levels(session, date(2026, 1, 1), date(2026, 12, 31)))
    levelling = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for label, times in (("without event linking", plain), ("with event linking", linked)):
        print(f"  {label}: stories {times.run.stories:,}; alerts {times.run.created:,} ({times.run.plan_gaps:,} plan gaps); "
              f"joined to an event {times.run.joined:,}; realisation links {times.run.realisations:,}")
    print(f"  {'baseline: SELECT of the joined rows':<52} {baseline:7.2f} s   1.00x   ({len(rows):,} rows)")
    print(f"  {'seed word frequencies for TF-IDF (once a process)':<52} {warm:7.2f} s  {warm / baseline:5.2f}x")
    for label, attribute in (("update_alerts (every story)", "full"), ("update_pending_alerts, 1 % marked", "pending"),
                             ("update_pending_alerts, nothing marked", "idle")):
        off, on = getattr(plain, attribute), getattr(linked, attribute)
        print(f"  {label + ', without linking':<52} {off:7.2f} s  {off / baseline:5.2f}x")
        cost = f"linking costs {on / off:.2f}x" if off >= MEASURABLE else "(too short to compare)"
        print(f"  {label + ', with linking':<52} {on:7.2f} s  {on / baseline:5.2f}x   {cost}")
    print(f"  ({linked.pending_stories:,} of {stories:,} stories marked for the 1 % pass)")
    print(f"  {'compute_levels, one year, every series (linked)':<52} {levelling:7.2f} s  {levelling / baseline:5.2f}x   "
          f"({stored:,} level rows)")
    print(f"  peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
