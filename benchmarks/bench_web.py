"""Web benchmark: the service calls behind the dashboard and the alert list over 1,000,000 articles.

Builds (or reuses) a database holding a year of generated, classified articles over the 14
kabupaten: story clusters of one to three copies, about 15 % with a conflict signal, a few dozen
bursts (one kabupaten, one category, one to three days, with severity cues) so that levels rise,
alerts with their place and category index rows, plan links and plan gaps, status changes with
their history, and the year's escalation levels (`compute_levels`). Rows are written in bulk
(SQLAlchemy Core executemany on SQLite, COPY on PostgreSQL); MinHash bands are left out (no query
measured here reads them). On PostgreSQL the benchmark creates its own database and ANALYZEs it.

Then it times, each in a fresh session as a web request would, after a warm-up, side by side with
a baseline (a plain `SELECT id FROM alerts ORDER BY first_seen_at DESC LIMIT 50`): `dashboard` of
the busiest day, `list_alerts` unfiltered, by kabupaten, by category, by level, by text, page 200,
and `alert_detail`; the JSON API's cursor walks (`alert_slice` first and from the middle of the year,
unfiltered, by kabupaten and by level; `story_slice`); then the pages themselves: GET `/` (that day),
`/peringatan` and `/api/v1/alerts` (with a bearer token) through Flask's test client, signed in as a
staff user (`--no-pages` leaves them out). p50 and p95 against the
300 ms p95 target, and the peak RSS.

    .venv/bin/python benchmarks/bench_web.py --engine sqlite --articles 1000000
    .venv/bin/python benchmarks/bench_web.py --engine postgresql --articles 1000000 --keep
"""
from __future__ import annotations

import argparse
import json
import random
import re
import resource
import secrets
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import psycopg
from sqlalchemy import JSON, Engine, event, func, insert, select, text
from sqlalchemy.engine import make_url

from classifiers.gazetteer import Gazetteer
from classifiers.text import compose_document
from monitor.alerts.generate import search_text
from monitor.alerts.levels import compute_levels
from monitor.alerts.matching import PlanIndex, match_actions
from monitor.config import Settings
from monitor.db.models import (
    Alert,
    AlertCategory,
    AlertEvent,
    AlertPlace,
    Article,
    ArticleClassification,
    Feed,
    Plan,
    PlanAction,
    PlanLink,
    StageMark,
    StoryCluster,
)
from monitor.db.session import open_database, session_scope
from monitor.db.statistics import analyze
from monitor.service.alerts import AlertFilters, alert_detail, alert_slice, list_alerts
from monitor.service.board import dashboard
from monitor.service import tokens, users
from monitor.service.paging import PageRequest, encode_cursor
from monitor.service.stories import story_slice
from monitor.timezones import WIB
from monitor.web import create_app

TARGET_P95_MS = 300.0
VERSION = "bench"
BUILT_MARK = "bench-web"  # stage mark written last: the database is complete
YEAR = 2026
START = datetime(YEAR, 1, 1, tzinfo=timezone.utc) - timedelta(hours=7)  # midnight WIB
YEAR_SECONDS = 365 * 24 * 3600
CHUNK_ARTICLES = 50_000
CONFLICT_SHARE = 0.15
BURSTS = 40
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/waspada_bench"
STAFF_USER, STAFF_PASSWORD = "bench-staf", "kata-sandi-bench-123"

CATEGORIES = ["lahan", "perkebunan", "tambang", "lingkungan", "sara", "politik", "unjuk_rasa", "ketenagakerjaan",
              "kekerasan_kelompok"]
CONFLICT_TITLES = {
    "lahan": ["Sengketa lahan warga {desa} dengan perusahaan memanas", "Warga {desa} tuntut lahan adat dikembalikan"],
    "perkebunan": ["Warga {desa} blokade jalan kebun sawit", "Tuntutan plasma sawit di {kec} belum dipenuhi"],
    "tambang": ["Penambangan emas ilegal di {kec} ditertibkan", "Warga {desa} tolak tambang zirkon"],
    "lingkungan": ["Sungai tercemar limbah, warga {desa} protes", "Kabut asap kebakaran lahan selimuti {kec}"],
    "sara": ["Ketegangan antarkelompok di {kec} diredam tokoh adat", "Isu SARA di media sosial resahkan warga {kab}"],
    "politik": ["Massa pendukung calon kepala desa {desa} ricuh", "Sengketa hasil pilkades {desa} berujung protes"],
    "unjuk_rasa": ["Ratusan warga unjuk rasa di kantor DPRD {kab}", "Mahasiswa demo tolak kenaikan tarif di {kab}"],
    "ketenagakerjaan": ["Buruh sawit di {kec} mogok kerja tuntut upah", "Karyawan perusahaan di {kec} di-PHK sepihak"],
    "kekerasan_kelompok": ["Dua kelompok pemuda bentrok di {desa}", "Perkelahian massal di {kec}, polisi turun tangan"],
}
OTHER_TITLES = ["Pemkab {kab} gelar festival budaya", "Harga karet di {kec} naik", "Jalan rusak di {desa} mulai diperbaiki",
                "Banjir rendam permukiman di {kec}", "Vaksinasi anak di {kab} capai target", "Panen raya padi di {desa}",
                "Sekolah baru diresmikan di {kec}", "Pasar murah digelar di {kab} jelang hari raya"]
CUES = ["bentrok", "blokade", "korban luka", "korban jiwa", "pembakaran"]
OUTLETS = ["antara-kalteng", "kalteng-pos", "borneo-news", "radar-sampit", "tabengan", "prokalteng", "kaltengonline",
           "betang-post", "dayak-news", "palangka-post"]


@dataclass(frozen=True)
class Place:
    kabupaten: str
    name: str
    capital: str
    kecamatan: list[tuple[str, str]]  # (code, name)
    desa: list[tuple[str, str, str]]  # (code, name, kecamatan code)


def load_places() -> list[Place]:
    """The 14 kabupaten/kota with their kecamatan and desa, from the packaged gazetteer."""
    gazetteer = Gazetteer.load()
    places = []
    for row in gazetteer.kabupaten_rows:
        kecamatan = [(k["code"], k["name"]) for k in gazetteer.kecamatan_rows if k["parent_code"] == row["code"]]
        codes = {code for code, _ in kecamatan}
        desa = [(d["code"], d["name"], d["parent_code"]) for d in gazetteer.desa_rows if d["parent_code"] in codes]
        places.append(Place(row["code"], row["short_name"], row["capital"], kecamatan, desa))
    return places


# ---------------------------------------------------------------------------------------------- writing

class BulkWriter:
    """Writes complete row dicts into a table: Core executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def write(self, batches: list[tuple[type, list[dict]]]) -> None:
        """Every (model, rows) pair, in order, in one transaction."""
        if self.engine.dialect.name == "postgresql":
            connection = self.engine.raw_connection()
            try:
                with connection.cursor() as cursor:
                    for model, rows in batches:
                        self._copy(cursor, model.__table__, rows)
                connection.commit()
            finally:
                connection.close()
        else:
            with self.engine.begin() as connection:
                for model, rows in batches:
                    if rows:
                        connection.execute(insert(model.__table__), rows)

    @staticmethod
    def _copy(cursor, table, rows: list[dict]) -> None:
        if not rows:
            return
        columns = [column.name for column in table.columns]
        as_json = [isinstance(column.type, JSON) for column in table.columns]
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([json.dumps(row[name]) if is_json else row[name]
                                for name, is_json in zip(columns, as_json)])


@dataclass
class Burst:
    kabupaten: str
    category: str
    first_day: date
    days: int
    share: float  # of all stories on those days
    cue: str


def tagged_places(title: str, summary: str, names: list[tuple[str, str, str]]) -> list[dict]:
    """The place tagger's matches as the classify stage stores them: where each named place is in the document."""
    document = compose_document(title, summary)
    found = []
    for code, name, level in names:
        start = document.find(name)
        if start >= 0:
            found.append({"code": code, "name": name, "level": level, "span": [start, start + len(name)],
                          "confidence": 1.0})
    return sorted(found, key=lambda place: place["span"])


class Generator:
    """A year of stories, written chunk by chunk in time order (ids grow with time, as in a running monitor)."""

    def __init__(self, engine: Engine, n_articles: int, rng: random.Random):
        self.engine, self.n_articles, self.rng = engine, n_articles, rng
        self.places = load_places()
        self.writer = BulkWriter(engine)
        self.bursts = [Burst(rng.choice(self.places).kabupaten, rng.choice(CATEGORIES),
                             date(YEAR, 1, 1) + timedelta(days=rng.randrange(30, 364)), rng.randint(1, 3),
                             rng.uniform(0.005, 0.03), rng.choice(CUES)) for _ in range(BURSTS)]
        self.ids = {"article": 0, "cluster": 0, "alert": 0, "link": 0, "event": 0}
        self.alerts = self.plan_gaps = 0

    def feeds(self) -> list[str]:
        """Provincial outlets plus one government feed per kabupaten; a few silent or disabled."""
        now = datetime.now(timezone.utc)
        rows, ids = [], []
        for n, outlet in enumerate(OUTLETS + [f"diskominfo-{p.kabupaten}" for p in self.places]):
            region = "62" if n < len(OUTLETS) else outlet.removeprefix("diskominfo-")
            silent = n % 9 == 4
            rows.append(Feed(id=outlet, name=outlet, url=f"https://{outlet}.example.id/rss",
                             configured_url=f"https://{outlet}.example.id/rss", outlet=outlet, region=region,
                             enabled=n % 13 != 7, verified=True, notes="", poll_interval_seconds=3600,
                             current_interval_seconds=3600, error_count=0,
                             last_success_at=now - (timedelta(days=5) if silent else timedelta(hours=1)),
                             disabled_reason="server tidak ditemukan" if n % 13 == 7 else None))
            ids.append(outlet)
        with session_scope(self.engine) as session:
            session.add_all(rows)
        return ids

    def plans(self) -> list:
        """One plan per kabupaten and the province, three actions each; returns the year's actions."""
        with session_scope(self.engine) as session:
            for place in [p.kabupaten for p in self.places] + ["62"]:
                plan = Plan(year=YEAR, region_code=place, title=f"RAD-PKS {place}", status="berlaku")
                for n, category in enumerate(self.rng.sample(CATEGORIES, 3)):
                    plan.actions.append(PlanAction(code=f"A{n + 1}", bidang="pencegahan", program="penanganan konflik",
                                                   kegiatan=f"pencegahan konflik {category}", categories=[category],
                                                   places=[place] if place != "62" else [], keywords=[category]))
                session.add(plan)
        with session_scope(self.engine) as session:
            index = PlanIndex(session)
            index.actions(YEAR)  # loaded now, used after the session closes
        return index

    def _burst(self, day: date) -> Burst | None:
        for burst in self.bursts:
            if burst.first_day <= day < burst.first_day + timedelta(days=burst.days) and self.rng.random() < burst.share:
                return burst
        return None

    def _story(self, seen: datetime) -> dict:
        """What the classifier would say of one story."""
        rng = self.rng
        burst = self._burst(seen.astimezone(WIB).date())
        place = next(p for p in self.places if p.kabupaten == burst.kabupaten) if burst else rng.choice(self.places)
        conflict = burst is not None or rng.random() < CONFLICT_SHARE
        named = burst is not None or rng.random() < 0.6
        categories = ([burst.category] if burst else
                      rng.sample(CATEGORIES, rng.randint(1, 2)) if conflict else [])
        desa_code, desa, kecamatan_code = rng.choice(place.desa)
        kecamatan = next(name for code, name in place.kecamatan if code == kecamatan_code)
        templates = CONFLICT_TITLES[categories[0]] if conflict else OTHER_TITLES
        # each outlet words the story its own way: the copies' titles differ
        titles = [t.format(desa=desa, kec=kecamatan, kab=place.name) for t in rng.sample(templates, 2)]
        title = titles[0]
        severity = ([burst.cue] if burst and rng.random() < 0.5 else
                    [rng.choice(CUES)] if conflict and rng.random() < 0.1 else [])
        names = [(place.kabupaten, place.name, "kabupaten"), (kecamatan_code, kecamatan, "kecamatan"),
                 (desa_code, desa, "desa")] if named else []
        return {"title": title, "titles": titles, "names": names, "summary": f"{place.capital.upper()} - {title}. Warga dan aparat setempat masih "
                                           f"menunggu penyelesaian dari pemerintah kabupaten.",
                "categories": categories, "conflict": round(rng.uniform(0.6, 0.99), 4) if conflict else 0.05,
                "is_conflict": conflict, "kabupaten": [place.kabupaten] if named else [],
                "kecamatan": [kecamatan_code] if named and rng.random() < 0.5 else [],
                "kalteng": named or rng.random() < 0.3, "severity": severity}

    def run(self) -> None:
        """Feeds, plans, then every chunk of stories with their articles, classifications and alerts."""
        feeds = self.feeds()
        plans = self.plans()
        while self.ids["article"] < self.n_articles:
            self._chunk(feeds, plans, min(CHUNK_ARTICLES, self.n_articles - self.ids["article"]))

    def _chunk(self, feeds: list[str], plans: PlanIndex, n: int) -> None:
        rng, ids = self.rng, self.ids
        clusters, articles, classifications = [], [], []
        alerts, places, categories, links, events = [], [], [], [], []
        last = ids["article"] + n
        while ids["article"] < last:
            ids["cluster"] += 1
            cluster_id = ids["cluster"]
            seen = START + timedelta(seconds=YEAR_SECONDS * ids["article"] / self.n_articles + rng.uniform(0, 3600))
            story = self._story(seen)
            copies = min(rng.choice((1, 1, 2, 3)), last - ids["article"])
            sources = rng.sample(feeds, copies)
            titles = []
            for copy, feed_id in enumerate(sources):
                ids["article"] += 1
                article_id = ids["article"]
                published = seen + timedelta(hours=copy)
                url = f"https://{feed_id}.example.id/berita/{article_id}"
                titles.append(story["titles"][copy % 2])
                articles.append({"id": article_id, "feed_id": feed_id, "guid": url, "url": url, "canonical_url": url,
                                 "title": titles[-1], "summary_html": "", "summary_text": story["summary"],
                                 "author": None, "language": "id", "published_at": published, "fetched_at": published,
                                 "content_hash": f"{article_id:064x}", "minhash": None, "raw_entry": {},
                                 "raw_document_id": None, "fetch_attempt_id": None, "cluster_id": cluster_id})
                classifications.append({
                    "id": article_id, "article_id": article_id, "model_version": VERSION,
                    "categories": story["categories"], "scores": {c: story["conflict"] for c in story["categories"]},
                    "conflict": story["conflict"], "is_conflict": story["is_conflict"], "kabupaten": story["kabupaten"],
                    "kecamatan": story["kecamatan"], "desa": [], "kalteng": story["kalteng"],
                    "places": tagged_places(titles[-1], story["summary"], story["names"]),
                    "evidence": [story["title"] + "."] if story["is_conflict"] else [], "severity": story["severity"],
                    "classified_at": published})
            last_seen = seen + timedelta(hours=copies - 1)
            clusters.append({"id": cluster_id, "first_seen_at": seen, "last_seen_at": last_seen, "size": copies,
                             "needs_alert_refresh": False})
            if story["is_conflict"] and story["kalteng"]:
                self._alert(story, cluster_id, seen, last_seen, titles, plans,
                            alerts, places, categories, links, events)
        self.writer.write([(StoryCluster, clusters), (Article, articles), (ArticleClassification, classifications),
                           (Alert, alerts), (AlertPlace, places), (AlertCategory, categories), (PlanLink, links),
                           (AlertEvent, events)])

    def _alert(self, story, cluster_id, seen, last_seen, titles, plans, alerts, places, categories, links, events):
        """The alert `update_alerts` would write for this story, its index rows, plan links and some history."""
        ids, rng = self.ids, self.rng
        ids["alert"] += 1
        alert_id = ids["alert"]
        matches = match_actions(plans, YEAR, set(story["categories"]), set(story["kabupaten"] + story["kecamatan"]),
                                f"{story['title']}. {story['summary']}")
        for match in matches:
            ids["link"] += 1
            links.append({"id": ids["link"], "cluster_id": cluster_id, "action_id": match.action_id, "kind": "alert",
                          "matched_on": match.reason, "created_at": seen})
        age = (datetime(YEAR + 1, 1, 1, tzinfo=timezone.utc) - seen).days
        first_day = seen.astimezone(WIB).date()
        status = rng.choices(["baru", "ditinjau", "ditindaklanjuti", "selesai", "bukan_konflik"],
                             [10, 5, 20, 55, 10] if age > 30 else [70, 20, 10, 0, 0])[0]
        alerts.append({"id": alert_id, "cluster_id": cluster_id, "status": status,
                       "categories": sorted(story["categories"]), "kabupaten": sorted(story["kabupaten"]),
                       "kecamatan": sorted(story["kecamatan"]), "desa": [], "score": story["conflict"],
                       "severity": sorted(story["severity"]), "evidence": [story["title"] + "."],
                       "title": story["title"], "n_sources": len(titles), "plan_gap": not matches,
                       "model_version": VERSION, "first_seen_at": seen, "first_seen_day": first_day,
                       "last_seen_at": last_seen, "search_text": search_text([story["title"], *titles]),
                       "created_at": seen, "updated_at": seen})
        places.extend({"alert_id": alert_id, "code": code, "first_seen_day": first_day}
                      for code in sorted(set(story["kabupaten"])))
        categories.extend({"alert_id": alert_id, "category": c} for c in sorted(set(story["categories"])))
        if status != "baru":
            ids["event"] += 1
            events.append({"id": ids["event"], "alert_id": alert_id, "at": seen + timedelta(hours=6),
                           "actor": "operator.bench", "from_status": "baru", "to_status": status, "note": "",
                           "changes": {}})
        self.alerts += 1
        self.plan_gaps += not matches


def reset_sequences(engine: Engine) -> None:
    """After explicit ids, PostgreSQL's sequences must continue past them."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        for model in (StoryCluster, Article, ArticleClassification, Alert, PlanLink, AlertEvent):
            table = model.__tablename__
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT coalesce(max(id), 1) FROM {table}))"))


def is_built(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return session.get(StageMark, BUILT_MARK) is not None


def build(engine: Engine, n_articles: int) -> None:
    """The whole year, then levels, statistics and the mark that says the database is complete."""
    started = time.perf_counter()
    generator = Generator(engine, n_articles, random.Random(2026))
    generator.run()
    reset_sequences(engine)
    written = time.perf_counter() - started
    print(f"  rows written in {written:.0f} s: {generator.ids['article']:,} articles, {generator.ids['cluster']:,} "
          f"stories, {generator.alerts:,} alerts ({generator.plan_gaps:,} plan gaps)", flush=True)
    started = time.perf_counter()
    with session_scope(engine) as session:
        levels = len(compute_levels(session, date(YEAR, 1, 1), date(YEAR, 12, 31)))
    print(f"  compute_levels for the year: {levels:,} level rows in {time.perf_counter() - started:.0f} s", flush=True)
    analyze(engine)
    with session_scope(engine) as session:
        session.add(StageMark(name=BUILT_MARK, at=datetime.now(timezone.utc)))


# ---------------------------------------------------------------------------------------------- measuring

def peak_rss_mib() -> float:
    """The process's peak resident set since the last reset (VmHWM), else since it started."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


@dataclass(frozen=True)
class Case:
    name: str
    call: Callable  # session -> something with a size to show


def timings(engine: Engine, call: Callable, runs: int, warmup: int) -> tuple[list[float], object]:
    """Milliseconds of `runs` calls, each in its own session (as one web request), after `warmup` calls."""
    result = None
    samples = []
    for n in range(warmup + runs):
        started = time.perf_counter()
        with session_scope(engine) as session:
            result = call(session)
        if n >= warmup:
            samples.append((time.perf_counter() - started) * 1000)
    return samples, result


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[94]


def describe(result) -> str:
    if hasattr(result, "total"):
        return f"{len(result.items)} rows of {result.total:,}"
    if hasattr(result, "next_cursor"):
        return f"{len(result.items)} rows, {'a next cursor' if result.next_cursor else 'the last slice'}"
    if hasattr(result, "board"):
        return f"{result.new_alerts} new alerts, {sum(map(sum, result.trends.values()))} in trends"
    if hasattr(result, "articles"):
        return f"{len(result.articles)} articles, {len(result.history)} events"
    if isinstance(result, bytes):
        return f"HTTP 200, {len(result):,} bytes"
    return f"{len(result)} rows"


def busiest_day(engine: Engine) -> date:
    with session_scope(engine) as session:
        return session.execute(select(Alert.first_seen_day).group_by(Alert.first_seen_day)
                               .order_by(func.count().desc(), Alert.first_seen_day).limit(1)).scalar_one()


def cases(engine: Engine, text_term: str, busy_day: date) -> list[Case]:
    """The calls the dashboard and alert pages make, on the busiest day and its alerts."""
    with session_scope(engine) as session:
        detail_id = session.scalar(select(Alert.id).where(Alert.first_seen_day == busy_day)
                                   .order_by(Alert.n_sources.desc(), Alert.id).limit(1))
        halfway = session.scalar(select(func.count()).select_from(Alert)) // 2
        middle = session.execute(select(Alert.first_seen_at, Alert.id)
                                 .order_by(Alert.first_seen_at.desc(), Alert.id.desc()).offset(halfway).limit(1)).one()
        story_middle = session.execute(select(StoryCluster.first_seen_at, StoryCluster.id).where(
            StoryCluster.first_seen_at <= middle[0]).order_by(StoryCluster.first_seen_at.desc()).limit(1)).one()
    cursor, story_cursor = encode_cursor(*middle), encode_cursor(*story_middle)
    baseline = text("SELECT id FROM alerts ORDER BY first_seen_at DESC LIMIT 50")
    return [
        Case("baseline: SELECT id ... LIMIT 50", lambda s: s.execute(baseline).all()),
        Case(f"dashboard({busy_day})", lambda s: dashboard(s, busy_day)),
        Case("list_alerts, page 1", lambda s: list_alerts(s, AlertFilters())),
        Case("list_alerts, kabupaten 62.02", lambda s: list_alerts(s, AlertFilters(kabupaten="62.02"))),
        Case("list_alerts, category perkebunan", lambda s: list_alerts(s, AlertFilters(category="perkebunan"))),
        Case("list_alerts, level siaga", lambda s: list_alerts(s, AlertFilters(level="siaga"))),
        Case(f"list_alerts, text '{text_term}'", lambda s: list_alerts(s, AlertFilters(text=text_term))),
        Case("list_alerts, page 200", lambda s: list_alerts(s, AlertFilters(), PageRequest(200))),
        Case(f"alert_detail({detail_id})", lambda s: alert_detail(s, detail_id)),
        Case("API alert_slice, first 50", lambda s: alert_slice(s, AlertFilters())),
        Case("API alert_slice, cursor mid-year", lambda s: alert_slice(s, AlertFilters(), cursor)),
        Case("API alert_slice, kabupaten 62.02, mid",
             lambda s: alert_slice(s, AlertFilters(kabupaten="62.02"), cursor)),
        Case("API alert_slice, level siaga, mid", lambda s: alert_slice(s, AlertFilters(level="siaga"), cursor)),
        Case("API story_slice, cursor mid-year", lambda s: story_slice(s, story_cursor)),
    ]


def signed_in_client(engine: Engine, data_dir: Path):
    """Flask's test client of the web app, signed in as a staff user through the sign-in page."""
    with session_scope(engine) as session:
        if users.find_user(session, STAFF_USER) is None:
            users.create_user(session, "bench", STAFF_USER, STAFF_PASSWORD, "staff")
    feeds = data_dir / "feeds.yaml"
    feeds.write_text("feeds: []\n", encoding="utf-8")
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False), feeds_path=feeds)
    client = create_app(engine, settings, secrets.token_urlsafe(32)).test_client()
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', client.get("/masuk").get_data(as_text=True))
    signed_in = client.post("/masuk", data={"username": STAFF_USER, "password": STAFF_PASSWORD,
                                            "csrf_token": token.group(1) if token else ""})
    if signed_in.status_code != 302:
        sys.exit(f"signing in as {STAFF_USER} failed: HTTP {signed_in.status_code}")
    return client


def page_cases(client, busy_day: date) -> list[Case]:
    """GET of the dashboard and the alert list, as a signed-in staff user's browser would."""

    def get(path: str, headers: dict | None = None):
        def call(_session):
            response = client.get(path, headers=headers)
            if response.status_code != 200:
                sys.exit(f"GET {path}: HTTP {response.status_code}")
            return response.get_data()
        return Case(f"GET {path}", call)

    with session_scope(client.application.extensions["waspada"]["engine"]) as session:
        token = tokens.create_token(session, "bench", STAFF_USER, "bench").token
    return [get(f"/?tanggal={busy_day}"), get("/peringatan"),
            get("/api/v1/alerts?limit=50", {"Authorization": f"Bearer {token}"})]


def explain(engine: Engine, case: Case) -> None:
    """Run the case once, recording its statements, and print each one's plan (EXPLAIN ANALYZE on PostgreSQL)."""
    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with session_scope(engine) as session:
            case.call(session)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    print(f"\n== {case.name}")
    for statement, parameters in statements:
        if not statement.lstrip().upper().startswith("SELECT"):
            continue
        print("-- " + re.sub(r"\s+", " ", statement)[:300])
        with engine.connect() as connection:
            for row in connection.exec_driver_sql(prefix + statement, parameters).all():
                print("   ", " ".join(str(value) for value in row))


def measure(engine: Engine, runs: int, warmup: int, text_term: str, explain_plans: bool, client) -> bool:
    """Print the table; True when every call meets the target."""
    busy_day = busiest_day(engine)
    chosen = cases(engine, text_term, busy_day)
    if explain_plans:
        for case in chosen[1:]:
            explain(engine, case)
        print()
    if client is not None:
        chosen += page_cases(client, busy_day)
    reset_peak_rss()
    rows, base = [], None
    for case in chosen:
        samples, result = timings(engine, case.call, runs, warmup)
        median, high = statistics.median(samples), p95(samples)
        base = base or median
        rows.append((case.name, median, high, median / base, describe(result), high < TARGET_P95_MS))
    print(f"  {'call':<40} {'p50 ms':>8} {'p95 ms':>8} {'x base':>7}  {'p95<300':<7}  result")
    for name, median, high, ratio, what, ok in rows:
        print(f"  {name:<40} {median:8.1f} {high:8.1f} {ratio:6.1f}x  {'PASS' if ok else 'FAIL':<7}  {what}")
    print(f"  peak RSS while measuring {peak_rss_mib():.0f} MiB")
    return all(ok for *_, ok in rows)


# ---------------------------------------------------------------------------------------------- databases

def postgres_admin(url: str):
    """A psycopg connection to the server's `postgres` database (to create and drop the benchmark's)."""
    parts = make_url(url).set(drivername="postgresql", database="postgres")
    return psycopg.connect(parts.render_as_string(hide_password=False), autocommit=True)


def create_postgres(url: str, rebuild: bool) -> None:
    name = make_url(url).database
    with postgres_admin(url) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and rebuild:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')


def drop_postgres(url: str) -> None:
    with postgres_admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/waspada-bench"),
                        help="where the SQLite database is kept for reuse (default /tmp/waspada-bench)")
    parser.add_argument("--postgres-url", default=DEFAULT_PG_URL,
                        help="a database the benchmark creates, fills and drops (default %(default)s)")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--text", default="parenggean", help="the text searched for (default: a kecamatan name)")
    parser.add_argument("--rebuild", action="store_true", help="build the database again even if it is complete")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database for the next run")
    parser.add_argument("--explain", action="store_true", help="also print each statement's plan")
    parser.add_argument("--no-pages", action="store_true", help="time the service calls only, not the web pages")
    args = parser.parse_args()

    args.data_dir.mkdir(parents=True, exist_ok=True)
    if args.engine == "postgresql":
        url = args.postgres_url
        create_postgres(url, args.rebuild)
    else:
        path = args.data_dir / f"web-{args.articles}.db"
        if args.rebuild:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    try:
        engine = open_database(url)  # migrates an existing database too, so new indexes are measured
        print(f"Waspada web benchmark: {args.engine}, {args.articles:,} articles ({engine.url.render_as_string()})",
              flush=True)
        if not is_built(engine):
            with session_scope(engine) as session:
                if session.scalar(select(func.count()).select_from(Article)):
                    sys.exit("the database holds a partial build: run again with --rebuild")
            build(engine, args.articles)
            print(f"  peak RSS while building {peak_rss_mib():.0f} MiB", flush=True)
        else:
            analyze(engine)
        with session_scope(engine) as session:
            counts = {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                      for model in (Article, StoryCluster, Alert, AlertPlace, AlertCategory, PlanLink)}
        print("  " + ", ".join(f"{table} {count:,}" for table, count in counts.items()))
        client = None if args.no_pages else signed_in_client(engine, args.data_dir)
        ok = measure(engine, args.runs, args.warmup, args.text, args.explain, client)
        engine.dispose()
    finally:
        if args.engine == "postgresql" and not args.keep:
            drop_postgres(url)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
