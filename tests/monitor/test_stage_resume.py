"""The deteksi dini stage survives kill -9 at any point, and a poison article does not stall it.

The stage runs in a child process that is killed with SIGKILL a few commits into its work, again
and again; one clean run afterwards must leave exactly the alerts, plan links and levels of a
reference run that was never interrupted. The child is forked from the test process (which has
already imported scikit-learn and loaded the model) rather than started as a fresh interpreter,
which would spend about 4 s importing before doing any work; it is still a separate process with
its own database connections, killed by the kernel mid-transaction.
"""
from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, insert, select

from classifiers.service import Classifier, load_classifier
from monitor.alerts import classify_stage, generate
from monitor.service.flow import stage_pass
from monitor.config import StageSettings
from monitor.db.models import (Alert, Article, ArticleClassification, ClassificationFailure, EscalationLevel,
                               EventMember, Feed, PlanAction, PlanLink, StoryCluster)
from monitor.db.session import make_engine, open_database, session_scope
from tests.monitor.helpers import add_example_plans

SEED = 20261128
LEVEL_FROM, LEVEL_TO = date(2026, 11, 1), date(2026, 12, 5)
SMALL_BATCHES = {"classify": 40, "stories": 40}  # many commits, so a kill lands inside the stage
MAX_RUNS = 30
PLACES = [  # (kabupaten, kecamatan, dateline)
    ("Kotawaringin Timur", "Cempaga", "SAMPIT"), ("Kotawaringin Timur", "Parenggean", "SAMPIT"),
    ("Barito Utara", "Teweh Tengah", "MUARA TEWEH"), ("Murung Raya", "Murung", "PURUK CAHU"),
    ("Katingan", "Katingan Hilir", "KASONGAN"), ("Kapuas", "Selat", "KUALA KAPUAS"),
    ("Seruyan", "Seruyan Hilir", "KUALA PEMBUANG"), ("Kotawaringin Barat", "Arut Selatan", "PANGKALAN BUN"),
]
STORIES = [  # (title, text); about two thirds are conflict news
    ("Warga {kec} blokade jalan kebun sawit di {kab}, tuntut plasma {n} persen",
     "{city} - Ratusan warga Kecamatan {kec}, {kab}, memblokade jalan perkebunan sawit. Mereka menuntut kebun plasma {n} persen."),
    ("Bentrok warga dan petugas keamanan kebun sawit di {kec}, {n} orang luka-luka",
     "{city} - Bentrokan terjadi antara warga dan petugas keamanan perusahaan perkebunan sawit di Kecamatan {kec}, {kab}. "
     "{n} warga luka-luka dalam kericuhan soal plasma."),
    ("Ratusan petani demo di kantor DPRD {kab} tolak perpanjangan HGU, {n} spanduk dibentangkan",
     "{city} - Ratusan petani berunjuk rasa di kantor DPRD {kab} menolak perpanjangan HGU perusahaan perkebunan sawit "
     "yang menyerobot lahan warga."),
    ("Penambang emas tanpa izin di {kab} tolak penertiban, {n} orang bentrok dengan aparat",
     "{city} - Puluhan penambang emas tanpa izin (PETI) di {kab} menolak penertiban dan bentrok dengan aparat."),
    ("Buruh kebun di {kab} mogok kerja, tuntut upah {n} bulan yang belum dibayar",
     "{city} - Ratusan buruh kebun sawit di {kab} mogok kerja menuntut upah yang belum dibayar."),
    ("Massa bakar pos satpam perusahaan sawit di {kec} {kab}, kerugian Rp{n} juta",
     "{city} - Massa yang menuntut plasma membakar pos satpam perusahaan perkebunan sawit di Kecamatan {kec}, {kab}."),
    ("Harga TBS sawit di {kab} hari ke-{n} stabil",
     "{city} - Harga tandan buah segar pada hari ke-{n} tercatat stabil menurut pedagang pengumpul di {kab}."),
    ("Pemkab {kab} gelar lomba perahu hias ke-{n} di Sungai",
     "{city} - Pemerintah Kabupaten {kab} menggelar lomba perahu hias yang diikuti {n} peserta dari berbagai desa."),
    ("Pemkab {kab} mediasi sengketa plasma antara warga dan perusahaan sawit, {n} pihak hadir",
     "{city} - Pemerintah Kabupaten {kab} memediasi sengketa plasma antara warga dan perusahaan perkebunan sawit. "
     "Tim Terpadu Penanganan Konflik Sosial mengawal musyawarah."),
]


def seed(engine, n_stories: int = 420) -> None:
    """Plans, three feeds and `n_stories` story clusters of one to three copies, none classified yet."""
    rng = random.Random(SEED)
    start = datetime(2026, 11, 1, 2, tzinfo=timezone.utc)
    with session_scope(engine) as session:
        for outlet in ("kabar", "warta", "borneo"):
            session.add(Feed(id=outlet, name=outlet, url=f"https://{outlet}.example.id/rss", configured_url=f"https://{outlet}.example.id/rss",
                             outlet=outlet, region="62", enabled=True, verified=True, notes="", poll_interval_seconds=3600,
                             current_interval_seconds=3600, error_count=0))
        add_example_plans(session)
    clusters, articles = [], []
    for cluster_id in range(1, n_stories + 1):
        kab, kec, city = rng.choice(PLACES)
        title, text = rng.choice(STORIES)
        n = rng.randrange(2, 90)
        seen = start + timedelta(minutes=rng.randrange(30 * 24 * 60))
        copies = rng.choice((1, 1, 2, 3))
        clusters.append({"id": cluster_id, "first_seen_at": seen, "last_seen_at": seen, "size": copies})
        for copy, outlet in enumerate(("kabar", "warta", "borneo")[:copies]):
            article_id = len(articles) + 1
            url = f"https://{outlet}.example.id/berita/{article_id}"
            articles.append({
                "id": article_id, "feed_id": outlet, "guid": url, "url": url, "canonical_url": url,
                "title": title.format(kab=kab, kec=kec, n=n),
                "summary_html": "", "summary_text": text.format(kab=kab, kec=kec, n=n, city=city) + f" Dilaporkan {outlet}.",
                "published_at": seen + timedelta(hours=copy), "fetched_at": seen + timedelta(hours=copy),
                "content_hash": f"h{article_id}", "raw_entry": {}, "cluster_id": cluster_id})
    with session_scope(engine) as session:
        session.execute(insert(StoryCluster), clusters)
        session.execute(insert(Article), articles)


def snapshot(engine) -> dict:
    """Everything the stage produces, comparable across databases."""
    with session_scope(engine) as session:
        alerts = sorted(
            (a.cluster_id, a.status, a.categories, a.kabupaten, a.kecamatan, a.desa, a.score, a.severity, a.evidence,
             a.title, a.n_sources, a.plan_gap, a.model_version, a.first_seen_at, a.last_seen_at)
            for a in session.scalars(select(Alert)))
        links = sorted(session.execute(select(PlanLink.cluster_id, PlanAction.code, PlanLink.kind, PlanLink.matched_on)
                                       .join(PlanAction, PlanAction.id == PlanLink.action_id)).all())
        levels = sorted((r.day, r.kabupaten, r.category, r.level, r.previous_level, r.changed, r.count, round(r.p_value, 9))
                        for r in session.scalars(select(EscalationLevel)))
        readings = session.execute(select(func.count(), func.count(func.distinct(ArticleClassification.article_id)))).one()
        grouped: dict[int, list] = {}
        for member in session.scalars(select(EventMember).order_by(EventMember.cluster_id)):
            grouped.setdefault(member.event_id, []).append((member.cluster_id, member.reason))
        events = sorted(grouped.values())  # event ids may differ (PostgreSQL spends sequence values on rollback)
    return {"alerts": alerts, "links": links, "levels": levels, "readings": tuple(readings), "events": events}


def unclassified(engine) -> int:
    with session_scope(engine) as session:
        read = select(ArticleClassification.article_id)
        return session.scalar(select(func.count()).select_from(Article).where(Article.id.not_in(read)))


def _stage_child(db_url: str, progress) -> None:
    """The child process: the whole stage on its own engine, reporting every commit."""
    classify_stage.BATCH = SMALL_BATCHES["classify"]
    generate.STORY_BATCH = SMALL_BATCHES["stories"]
    engine = make_engine(db_url)
    event.listen(engine, "commit", lambda _connection: progress.send("commit"))
    stage_pass(engine)
    progress.send("done")


def _run_and_kill(db_url: str, commits: int, delay: float) -> bool:
    """Run the stage in a child and SIGKILL it `delay` s after its `commits`-th commit; False if it finished first."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_stage_child, args=(db_url, sending), daemon=True)
    child.start()
    sending.close()
    seen = 0
    try:
        while seen < commits:
            assert receiving.poll(60), "the stage child reported nothing for 60 s"
            message = receiving.recv()
            if message == "done":
                return False
            seen += 1
        receiving.poll(delay)  # waits at most `delay` s (a "done" arriving meanwhile is read below)
        os.kill(child.pid, signal.SIGKILL)
        child.join(30)
        finished = False
        while receiving.poll(0):
            try:  # read every message: leaving one unread would make poll(0) true forever
                finished = receiving.recv() == "done" or finished
            except EOFError:
                break
        # killed, or it had finished and exited before the signal came (then it said so)
        assert child.exitcode == -signal.SIGKILL or (child.exitcode == 0 and finished), child.exitcode
        return not finished
    finally:
        receiving.close()
        if child.is_alive():
            child.kill()
            child.join(30)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A seeded database and the snapshot of one uninterrupted stage run on a copy of it."""
    folder = tmp_path_factory.mktemp("stage-reference")
    template, reference_db = folder / "seeded.db", folder / "reference.db"
    engine = open_database(f"sqlite:///{template}")
    seed(engine)
    engine.dispose()
    shutil.copy(template, reference_db)
    engine = open_database(f"sqlite:///{reference_db}")
    stage_pass(engine)
    result = snapshot(engine)
    engine.dispose()
    return template, result


def test_killing_the_stage_at_random_points_loses_no_alert(db_url, reference):
    template, expected = reference
    # rewrites of one event in one kecamatan within days are one alert: fewer alerts than conflict stories
    assert len(expected["alerts"]) > 80 and expected["links"] and expected["levels"]
    assert any(len(members) > 1 for members in expected["events"])
    if db_url.startswith("sqlite"):
        shutil.copy(template, db_url.split("///", 1)[1])
        engine = open_database(db_url)
    else:
        engine = open_database(db_url)
        seed(engine)
    load_classifier()  # loaded once here, inherited by every child
    rng = random.Random(SEED)
    phases = []
    for _run in range(MAX_RUNS):
        engine.dispose()  # no connection of this process is carried into the child
        if not _run_and_kill(db_url, commits=rng.randint(1, 6), delay=rng.uniform(0.0, 0.03)):
            break
        phases.append("classify" if unclassified(engine) else "alerts")
    stage_pass(engine)  # one clean run
    got = snapshot(engine)
    engine.dispose()
    assert got["readings"] == expected["readings"]  # every article read once, none twice
    missing = {a[0] for a in expected["alerts"]} - {a[0] for a in got["alerts"]}
    assert not missing, f"{len(missing)} of {len(expected['alerts'])} alerts lost after {len(phases)} kills"
    assert got == expected
    assert len(phases) >= 5 and {"classify", "alerts"} <= set(phases), phases


class FailingOn(Classifier):
    """The shipped model under its own version, raising on any call that holds one of `failing` (a classifier bug)."""

    def __init__(self, failing: set[int]):
        shipped = load_classifier()
        super().__init__(replace(shipped.loaded, card={**shipped.loaded.card, "version": "uji-rapuh"}), shipped.tagger)
        self.failing = failing

    def classify(self, items, explain=0):
        if any(item.id in self.failing for item in items):
            raise ValueError("teks tak terbaca")
        return super().classify(items, explain)


def failures(engine) -> dict[int, ClassificationFailure]:
    with session_scope(engine) as session:
        return {f.article_id: f for f in session.scalars(select(ClassificationFailure))}


def test_an_article_the_classifier_fails_on_is_recorded_and_the_others_are_classified(engine):
    seed(engine, n_stories=40)
    with session_scope(engine) as session:
        total = session.scalar(select(func.count()).select_from(Article))
    poison, transient = 3, 7  # in the same batch as every other article
    classifier = FailingOn({poison, transient})
    limits = StageSettings(classify_max_attempts=2)
    run = lambda c: stage_pass(engine, classifier=c, stage_settings=limits)  # noqa: E731

    first = run(classifier)
    assert (first.classified, first.failed) == (total - 2, 2)
    assert first.alerts.created > 10  # the stage went on to alert the other stories
    recorded = failures(engine)
    assert set(recorded) == {poison, transient}
    assert recorded[poison].error == "gagal diklasifikasi: ValueError: teks tak terbaca"
    assert recorded[poison].attempts == 1 and recorded[poison].model_version == "uji-rapuh"
    assert recorded[poison].first_failed_at == recorded[poison].last_failed_at is not None

    classifier.failing.discard(transient)  # read on the next pass: its failure row goes
    second = run(classifier)
    assert (second.classified, second.failed) == (1, 1)
    assert set(failures(engine)) == {poison} and failures(engine)[poison].attempts == 2
    assert failures(engine)[poison].last_failed_at > failures(engine)[poison].first_failed_at

    third = run(classifier)  # the limit is reached: left aside, not retried on every pass
    assert (third.classified, third.failed) == (0, 0) and failures(engine)[poison].attempts == 2

    newer = stage_pass(engine, stage_settings=limits)  # a new model version tries again
    assert (newer.classified, newer.failed) == (total, 0)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(ArticleClassification)
                              .where(ArticleClassification.article_id == poison)) == 1
