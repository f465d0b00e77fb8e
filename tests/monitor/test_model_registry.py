"""The analysts' loop as services, on SQLite and PostgreSQL: the registry decides which model the monitor reads
with (checksum checked), retraining holds the newest labels out and compares with the active model, promotion
of a worse candidate needs force and a reason (audited), rollback, background jobs, and the labeling queue."""
from __future__ import annotations

import json
import shutil
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from classifiers.artifacts import ModelIntegrityError
from classifiers.paths import default_model_dir
from classifiers.seed import load_seed
from classifiers.taxonomy import load_taxonomy
from classifiers.training import train_and_save, training_items
from monitor.alerts.lifecycle import latest_labels
from monitor.config import TrainingSettings
from monitor.db.models import Alert, Article, ArticleClassification, AuditEntry, Job, LabelCorrection, utcnow
from monitor.db.session import session_scope
from monitor.demo import run_demo
from monitor.service import jobs, labeling, model_registry, retrain, worker
from monitor.service.alerts import correct, set_status
from monitor.service.flow import stage_pass

DEMO_FROM, DEMO_TO = date(2026, 10, 1), date(2026, 11, 30)
DEFAULT_VERSION = json.loads((default_model_dir() / "card.json").read_text())["version"]  # the environment's model


@pytest.fixture
def demo(engine):
    run_demo(engine)
    return engine


@pytest.fixture
def training(tmp_path) -> TrainingSettings:
    return TrainingSettings(models_root=tmp_path / "models")


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """A real model trained on 60 seed items (seconds), its folder and card."""
    items = retrain.spread(training_items(load_seed()), 60)
    return train_and_save(items, load_taxonomy(), tmp_path_factory.mktemp("small"), version="cat-kecil-uji")


def _card(engine) -> dict:
    with session_scope(engine) as session:
        return model_registry.active_card(session)


def _label_queue_head(engine, n: int, **label) -> list[int]:
    """Label the first `n` stories of the queue as the model read them (or with `label`); their cluster ids."""
    with session_scope(engine) as session:
        queue = labeling.label_queue(session, model_registry.active_card(session), "analis", n)
        for item in queue:
            labeling.label_story(session, item.cluster_id, "analis", label.get("categories", item.categories),
                                 label.get("kabupaten", item.kabupaten), True, load_taxonomy().codes)
    return [item.cluster_id for item in queue]


def test_an_empty_registry_keeps_the_model_of_the_environment(engine, tmp_path, monkeypatch):
    assert model_registry.active_model_dir(engine) is None
    assert model_registry.active_classifier(engine).version == DEFAULT_VERSION
    copy = tmp_path / "salinan"
    shutil.copytree(default_model_dir(), copy)
    card = json.loads((copy / "card.json").read_text())
    (copy / "card.json").write_text(json.dumps({**card, "version": "salinan-uji"}))
    monkeypatch.setenv("WASPADA_MODEL_DIR", str(copy))
    assert model_registry.active_classifier(engine).version == "salinan-uji"
    assert _card(engine)["version"] == "salinan-uji"


def test_a_worse_candidate_is_promoted_only_by_force_with_a_reason_and_rolled_back(demo, training):
    engine = demo
    _label_queue_head(engine, 5)
    with session_scope(engine) as session:
        labelled = [record["id"] for _id, record in latest_labels(session)]  # oldest first
    held = len(labelled) * training.newest_labels_share // 100
    assert held >= 1
    candidate = retrain.train_candidate(engine, training, "analis", max_items=60)
    evaluation = candidate.evaluation
    assert evaluation["against"] == DEFAULT_VERSION and evaluation["newest_held_out"] == held
    assert sorted(f"article-{i}" for i in candidate.trained_label_ids) == sorted(labelled[:len(labelled) - held])
    assert candidate.card["training_data"]["items"] == 60
    assert evaluation["frozen"]["candidate"]["items"] == evaluation["frozen"]["active"]["items"] > 500
    assert evaluation["newest"]["candidate"]["items"] == held  # the shipped model learned no analyst label
    assert evaluation["worse_on_frozen"]  # 60 items against the shipped model
    with session_scope(engine) as session:
        assert model_registry.list_models(session)[0].status == "candidate"
        with pytest.raises(model_registry.PromotionRefused):
            model_registry.promote(session, candidate.version, "analis")
        with pytest.raises(model_registry.RegistryError, match="wajib disertai alasan"):
            model_registry.promote(session, candidate.version, "analis", force=True)
    record, job_id = worker.promote_and_rescore(engine, candidate.version, "analis", DEMO_FROM, DEMO_TO, force=True,
                                                reason="uji paksa")
    assert record.status == "active" and record.promoted_by == "analis"
    with session_scope(engine) as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "model.promote"))
        assert entry.details["override"] is True and entry.details["reason"] == "uji paksa"
        assert entry.details["from"] == DEFAULT_VERSION and entry.details["worse_on_frozen"]
        assert jobs.get_job(session, job_id).params == worker.rescore_params(candidate.version, DEMO_FROM, DEMO_TO)
    assert model_registry.active_classifier(engine).version == candidate.version
    assert worker.run_pending(engine, training) == 1
    with session_scope(engine) as session:
        assert jobs.get_job(session, job_id).status == jobs.DONE
        articles = session.scalar(select(func.count()).select_from(Article))
        read = session.scalar(select(func.count()).select_from(ArticleClassification)
                              .where(ArticleClassification.model_version == candidate.version))
        alert_versions = [version for version, in session.execute(select(Alert.model_version))]
        message = jobs.get_job(session, job_id).message
    assert read == articles and candidate.version in alert_versions
    others = sum(version != candidate.version for version in alert_versions)  # stories it does not flag: said so
    assert (f"{others} peringatan dalam rentang ini tetap dari model lain" in message) == bool(others)

    version, rollback_job = worker.rollback_and_rescore(engine, "analis", DEMO_FROM, DEMO_TO, "kembali ke bawaan")
    assert version == DEFAULT_VERSION
    assert model_registry.active_classifier(engine).version == DEFAULT_VERSION
    assert worker.run_pending(engine, training) == 1
    with session_scope(engine) as session:
        assert model_registry.active_model(session) is None
        assert DEFAULT_VERSION in set(session.scalars(select(Alert.model_version)))
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "model.rollback"))
        assert entry.details == {"from": candidate.version, "to": DEFAULT_VERSION, "reason": "kembali ke bawaan"}
        with pytest.raises(model_registry.RegistryError, match="tidak ada model aktif"):
            model_registry.rollback(session, "analis")


def _register(engine, small_model, against: str, worse: list[str] | None = None) -> model_registry.ModelRecord:
    folder, card = small_model
    with session_scope(engine) as session:
        return model_registry.register(session, folder, card, {"against": against, "worse_on_frozen": worse or []},
                                       [], "uji")


def test_the_monitor_reads_with_the_active_model_and_refuses_a_changed_file(engine, small_model, tmp_path):
    folder = tmp_path / "cat-kecil-uji"
    shutil.copytree(small_model[0], folder)
    record = _register(engine, (folder, small_model[1]), DEFAULT_VERSION)
    with session_scope(engine) as session:
        model_registry.promote(session, record.version, "analis")  # a comparison without a worse metric
    assert model_registry.active_classifier(engine).version == "cat-kecil-uji"
    # a new pass of the stage reads with the registry's model
    stage_pass(engine)
    with open(folder / "model.skops", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelIntegrityError, match="tidak cocok dengan registri"):
        model_registry.active_classifier(engine)
    with pytest.raises(ModelIntegrityError):
        stage_pass(engine)


def test_a_comparison_with_another_model_than_the_active_one_is_out_of_date(engine, small_model):
    record = _register(engine, small_model, "model-lain")
    with session_scope(engine) as session:
        with pytest.raises(model_registry.RegistryError, match="bukan model aktif sekarang"):
            model_registry.promote(session, record.version, "analis")
        model_registry.promote(session, record.version, "analis", force=True, reason="perbandingan lama, uji")
        with pytest.raises(model_registry.RegistryError, match="sudah aktif"):
            model_registry.promote(session, record.version, "analis", force=True, reason="uji")


def test_a_rescore_for_a_model_no_longer_active_is_refused(engine, small_model, training):
    record = _register(engine, small_model, DEFAULT_VERSION)
    with session_scope(engine) as session:
        job_id = jobs.submit(session, "skor_ulang", worker.rescore_params(record.version, DEMO_FROM, DEMO_TO), "uji")
    assert worker.run_pending(engine, training) == 1
    with session_scope(engine) as session:
        job = jobs.get_job(session, job_id)
    assert job.status == jobs.FAILED and "tidak lagi aktif" in job.message


def test_jobs_are_claimed_once_report_progress_and_orphans_fail(engine):
    with session_scope(engine) as session:
        first = jobs.submit(session, "latih", {"max_items": 5}, "analis")
        second = jobs.submit(session, "latih", {}, "analis")
    claimed = jobs.claim_next(engine)
    assert claimed.id == first and claimed.status == jobs.RUNNING
    assert jobs.claim_next(engine).id == second
    assert jobs.claim_next(engine) is None
    jobs.report(engine, first, 140, "setengah")
    with session_scope(engine) as session:
        assert (jobs.get_job(session, first).progress, jobs.get_job(session, first).message) == (100, "setengah")
        session.execute(update(Job).where(Job.id == second).values(updated_at=utcnow() - timedelta(hours=1)))
    jobs.finish(engine, first, {"version": "v"}, "selesai")
    assert jobs.fail_orphans(engine) == 1
    with session_scope(engine) as session:
        done, orphan = jobs.get_job(session, first), jobs.get_job(session, second)
    assert done.finished and done.result == {"version": "v"}
    assert orphan.status == jobs.FAILED and "Terputus" in orphan.message


def test_the_queue_has_one_item_per_story_spread_over_places_and_categories(demo):
    with session_scope(demo) as session:
        card = model_registry.active_card(session)
        queue = labeling.label_queue(session, card, "analis", 1000)
        stories = session.execute(select(Article.cluster_id, func.min(Article.id)).group_by(Article.cluster_id)).all()
    assert sorted(item.cluster_id for item in queue) == sorted(cluster for cluster, _ in stories)
    assert {item.article_id for item in queue} == {first for _, first in stories}  # each story's first report
    groups = list(dict.fromkeys(item.group for item in queue))
    assert [item.group for item in queue[:len(groups)]] == groups  # the first round takes one of every group
    lane = [item.margin for item in queue if item.group == groups[0]]
    assert lane == sorted(lane) and queue[0].margin == min(item.margin for item in queue)


def test_skips_labels_and_alert_corrections_all_reach_the_training_labels(demo, training):
    with session_scope(demo) as session:
        card = model_registry.active_card(session)
        head = labeling.label_queue(session, card, "analis", 2)
        labeling.skip_story(session, head[0].cluster_id, "analis")
    with session_scope(demo) as session:
        assert labeling.label_queue(session, card, "analis", 1)[0].cluster_id == head[1].cluster_id
        assert labeling.label_queue(session, card, "admin", 1)[0].cluster_id == head[0].cluster_id
        with pytest.raises(labeling.LabelingError, match="kabupaten/kota tidak dikenal"):
            labeling.label_story(session, head[0].cluster_id, "analis", [], ["99.99"], True, load_taxonomy().codes)
        with pytest.raises(labeling.LabelingError, match="kategori tidak dikenal"):
            labeling.label_story(session, head[0].cluster_id, "analis", ["x"], [], True, load_taxonomy().codes)
        alerts = session.scalars(select(Alert).order_by(Alert.id).limit(2)).all()
        set_status(session, alerts[0].id, "bukan_konflik", "operator")
        correct(session, alerts[1].id, "analis", ["lahan"], ["62.02"], load_taxonomy().codes)
    queued = _label_queue_head(demo, 1, categories=["tambang"], kabupaten=[])
    labels = retrain.analyst_labels(demo, TrainingSettings(newest_labels_share=0))
    with session_scope(demo) as session:
        by_story = {cluster: set(session.scalars(select(Article.id).where(Article.cluster_id == cluster)))
                    for cluster in (alerts[0].cluster_id, alerts[1].cluster_id, queued[0])}
        alert_ids = set(session.scalars(select(LabelCorrection.alert_id).where(LabelCorrection.alert_id.is_not(None))))
    got = {retrain.article_id(item): item for item in labels.train}
    assert labels.newest == []
    assert all(got[a].categories == () for a in by_story[alerts[0].cluster_id])  # bukan konflik
    assert all(got[a].categories == ("lahan",) and got[a].kabupaten == ("62.02",)
               for a in by_story[alerts[1].cluster_id])
    assert all(got[a].categories == ("tambang",) and got[a].kalteng for a in by_story[queued[0]])
    assert {alerts[0].id, alerts[1].id} <= alert_ids


def test_marked_text_cuts_at_valid_offsets_only():
    title, summary = "Bentrok di Sampit", "Warga Kotim berkumpul."
    text = f"{title}. {summary}"
    places = [{"name": "Kotim", "span": [text.index("Kotim"), text.index("Kotim") + 5]},
              {"name": "Sampit", "span": [11, 17]}, {"name": "tumpang", "span": [12, 20]},
              {"name": "luar", "span": [40, 400]}, {"name": "rusak", "span": ["a", 3]}, "bukan-objek"]
    pieces = labeling.marked_text(title, summary, places)
    assert "".join(piece for piece, _ in pieces) == text
    assert [(piece, name) for piece, name in pieces if name] == [("Sampit", "Sampit"), ("Kotim", "Kotim")]


def test_uncertainty_is_the_smallest_distance_to_a_threshold():
    thresholds = {"lahan": 0.5, "tambang": 0.3, "conflict": 0.6}
    assert labeling.margin({"lahan": 0.9, "tambang": 0.25}, 0.2, thresholds) == pytest.approx(0.05)
    assert labeling.margin({"lahan": 0.9}, 0.58, thresholds) == pytest.approx(0.02)
    assert labeling.margin({}, 0.5, {}) == 1.0
