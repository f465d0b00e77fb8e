"""From feed bytes to alerts, plan links and escalation levels, with the shipped model (SQLite and PostgreSQL)."""
from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from sqlalchemy import func, select

from classifiers.service import Classifier, load_classifier
from monitor.alerts.coverage import coverage
from monitor.alerts.lifecycle import LifecycleError, change_status, correct_labels, export_labels
from monitor.service.flow import recompute_levels, relink, stage_pass
from monitor.db.models import (Alert, AlertEvent, ArticleClassification, EscalationLevel, Feed, LabelCorrection, Plan,
                               PlanAction, PlanLink)
from monitor.db.session import session_scope
from monitor.pipeline import ingest_file
from tests.monitor.helpers import rss
from tests.monitor.helpers import add_example_plans

WIB = timezone(timedelta(hours=7))
BURST_START = date(2026, 11, 12)


def item(slug: str, title: str, text: str, when: datetime, site: str = "kabar-kalteng") -> dict:
    return {"title": title, "link": f"https://{site}.example.id/berita/{slug}", "guid": f"{site}-{slug}",
            "description": text, "pubDate": format_datetime(when)}


def ingest(engine, tmp_path, name: str, items: list[dict], outlet: str = "Kabar Kalteng"):
    path = tmp_path / f"{name}.xml"
    path.write_text(rss(items, title=outlet), encoding="utf-8")
    return ingest_file(engine, path)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=WIB)


def run_stage(engine, start: date, end: date):
    """A stage pass, then the levels of the test's own days (the pass itself levels up to today)."""
    done = stage_pass(engine)
    recompute_levels(engine, start, end)
    return done


BURST = [
    ("Warga Desa Pondok Damar blokade jalan kebun PT Sawit Makmur di Kotim, tuntut plasma 20 persen",
     "SAMPIT - Ratusan warga Desa Pondok Damar, Kecamatan Mentaya Hilir Utara, Kotawaringin Timur, memblokade jalan perkebunan sawit. Mereka menuntut kebun plasma 20 persen."),
    ("Ratusan petani demo di kantor DPRD Kotim tolak perpanjangan HGU perusahaan sawit",
     "SAMPIT - Ratusan petani berunjuk rasa di kantor DPRD Kotawaringin Timur menolak perpanjangan HGU perusahaan perkebunan sawit yang menyerobot lahan warga."),
    ("Warga Cempaga portal jalan kebun sawit, tuntut ganti rugi lahan",
     "SAMPIT - Warga Kecamatan Cempaga, Kotim, memasang portal di jalan kebun sawit milik perusahaan dan menuntut ganti rugi lahan."),
    ("Bentrok warga dan petugas keamanan kebun sawit di Parenggean, tiga orang luka-luka",
     "SAMPIT - Bentrokan terjadi antara warga dan petugas keamanan perusahaan perkebunan sawit di Kecamatan Parenggean, Kotim. Tiga warga luka-luka dalam kericuhan soal plasma."),
    ("Massa bakar pos satpam perusahaan sawit di Telawang Kotim",
     "SAMPIT - Massa yang menuntut plasma membakar pos satpam perusahaan perkebunan sawit di Kecamatan Telawang, Kotawaringin Timur."),
    ("Petani plasma Antang Kalang unjuk rasa di kantor perusahaan sawit",
     "SAMPIT - Puluhan petani plasma di Kecamatan Antang Kalang, Kotim, berunjuk rasa di kantor perusahaan sawit menuntut bagi hasil kebun plasma yang tak kunjung dibayar."),
]


@pytest.fixture
def plans(engine):
    """A Kotim 2026 plan with a plantation action, and a province plan with a labour action."""
    with session_scope(engine) as session:
        add_example_plans(session)


def alerts(engine) -> list[Alert]:
    with session_scope(engine) as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def test_a_story_syndicated_by_three_outlets_is_one_alert_with_three_sources(engine, tmp_path, plans):
    when = at(date(2026, 11, 13))
    title, text = BURST[0]
    for n, outlet in enumerate(("Kabar Kalteng", "Warta Sampit", "Borneo Pos")):
        ingest(engine, tmp_path, f"outlet{n}", [item("blokade", title, text + f" Dilaporkan oleh {outlet}.", when + timedelta(hours=n),
                                                     site=f"outlet{n}")], outlet=outlet)
    run_stage(engine, date(2026, 11, 1), date(2026, 11, 20))
    [alert] = alerts(engine)
    assert alert.n_sources == 3
    assert alert.kabupaten == ["62.02"] and "perkebunan" in alert.categories
    assert alert.evidence and not alert.plan_gap
    assert alert.first_seen_at == when.astimezone(timezone.utc)
    with session_scope(engine) as session:
        [link] = session.scalars(select(PlanLink).where(PlanLink.cluster_id == alert.cluster_id))
        assert link.kind == "alert" and "plasma" in link.matched_on


def test_a_burst_in_kotim_raises_its_level_with_a_reason_and_it_falls_back(engine, tmp_path, plans):
    # three weeks of ordinary Kotim news, then a burst of distinct plantation conflict stories
    quiet = [item(f"tbs{d}", f"Harga TBS sawit di Sampit hari ke-{d} stabil", f"SAMPIT - Harga tandan buah segar pada hari ke-{d} "
                  f"tercatat Rp{2000 + d * 10} per kilogram menurut pedagang pengumpul.", at(BURST_START - timedelta(days=d)))
             for d in range(1, 22)]
    burst = [item(f"burst{n}", title, text, at(BURST_START + timedelta(days=n // 2), 8 + n))
             for n, (title, text) in enumerate(BURST)]
    ingest(engine, tmp_path, "kotim", quiet + burst)
    run_stage(engine, BURST_START - timedelta(days=21), BURST_START + timedelta(days=12))
    assert len(alerts(engine)) == len(BURST)
    with session_scope(engine) as session:
        rows = list(session.scalars(select(EscalationLevel).where(
            EscalationLevel.kabupaten == "62.02", EscalationLevel.category == "").order_by(EscalationLevel.day)))
        raised = [r for r in rows if r.changed and r.level != "normal"]
        assert raised and raised[0].day >= BURST_START
        assert raised[0].day <= BURST_START + timedelta(days=2)
        assert "p =" in raised[0].reason and "Normal ->" in raised[0].reason and raised[0].p_value < 0.025 / 14
        peak = max(rows, key=lambda r: ["normal", "waspada", "siaga", "awas"].index(r.level))
        assert peak.level in ("siaga", "awas") and {"bentrok", "pembakaran"} & set(peak.severity)
        fallen = [r for r in rows if r.changed and r.level == "normal"]
        assert fallen and fallen[-1].day > raised[0].day
        assert rows[-1].level == "normal"
        per_category = session.scalar(select(func.count()).select_from(EscalationLevel).where(
            EscalationLevel.kabupaten == "62.02", EscalationLevel.category == "perkebunan", EscalationLevel.level != "normal"))
        assert per_category > 0
        other = session.scalar(select(func.count()).select_from(EscalationLevel).where(EscalationLevel.kabupaten != "62.02"))
        assert other == 0


def test_activity_news_links_to_the_matching_action_as_realisation_not_an_alert(engine, tmp_path, plans):
    ingest(engine, tmp_path, "mediasi", [item("mediasi", "Pemkab Kotim mediasi sengketa plasma antara warga dan perusahaan sawit",
                                              "SAMPIT - Pemerintah Kabupaten Kotawaringin Timur memediasi sengketa plasma antara warga dan "
                                              "perusahaan perkebunan sawit. Tim Terpadu Penanganan Konflik Sosial mengawal musyawarah.",
                                              at(date(2026, 11, 20)))])
    summary = run_stage(engine, date(2026, 11, 18), date(2026, 11, 21))
    assert summary.alerts.realisations == 1
    assert alerts(engine) == []
    with session_scope(engine) as session:
        [link] = session.scalars(select(PlanLink))
        action = session.get(PlanAction, link.action_id)
        assert link.kind == "realisasi" and action.code == "KOTIM-1"


def test_an_alert_no_action_covers_is_a_plan_gap_and_the_province_is_the_fallback(engine, tmp_path, plans):
    when = at(date(2026, 11, 5))
    ingest(engine, tmp_path, "buruh", [
        item("mogok", "Buruh kebun di Muara Teweh mogok kerja, tuntut upah yang belum dibayar",
             "MUARA TEWEH - Ratusan buruh kebun sawit di Barito Utara mogok kerja menuntut upah tiga bulan yang belum dibayar.", when),
        item("peti", "Penambang emas tanpa izin di Puruk Cahu tolak penertiban, bentrok dengan aparat",
             "PURUK CAHU - Puluhan penambang emas tanpa izin (PETI) di Murung Raya menolak penertiban dan bentrok dengan aparat.", when),
    ])
    run_stage(engine, date(2026, 11, 1), date(2026, 11, 6))
    by_place = {tuple(a.kabupaten): a for a in alerts(engine)}
    labour, mining = by_place[("62.05",)], by_place[("62.12",)]
    assert labour.plan_gap is False and mining.plan_gap is True
    with session_scope(engine) as session:
        [link] = session.scalars(select(PlanLink).where(PlanLink.cluster_id == labour.cluster_id))
        assert session.get(PlanAction, link.action_id).code == "PROV-7" and "rencana provinsi" in link.matched_on


def test_rerunning_is_idempotent_and_a_new_model_version_rescores(engine, tmp_path, plans):
    title, text = BURST[1]
    ingest(engine, tmp_path, "demo", [item("hgu", title, text, at(date(2026, 11, 14)))])
    first = run_stage(engine, date(2026, 11, 10), date(2026, 11, 15))
    again = run_stage(engine, date(2026, 11, 10), date(2026, 11, 15))
    assert (first.classified, first.alerts.created) == (1, 1)
    assert (again.classified, again.alerts.created, again.alerts.updated) == (0, 0, 0)  # nothing new: nothing touched
    shipped = load_classifier()
    newer = Classifier(replace(shipped.loaded, card={**shipped.loaded.card, "version": "uji-v2"}))
    rescored = stage_pass(engine, classifier=newer)
    assert rescored.classified == 1 and rescored.alerts.created == 0
    with session_scope(engine) as session:
        versions = sorted(session.scalars(select(ArticleClassification.model_version)))
        assert versions == sorted([shipped.version, "uji-v2"])
        [alert] = session.scalars(select(Alert))
        assert alert.model_version == "uji-v2"


def test_lifecycle_with_audit_and_labels_for_retraining(engine, tmp_path, plans):
    title, text = BURST[2]
    ingest(engine, tmp_path, "portal", [item("portal", title, text, at(date(2026, 11, 14)))])
    run_stage(engine, date(2026, 11, 10), date(2026, 11, 15))
    [alert] = alerts(engine)
    with session_scope(engine) as session:
        change_status(session, alert.id, "ditinjau", "analis.sari", "cek lapangan")
        with pytest.raises(LifecycleError, match="tidak bisa berubah"):
            change_status(session, alert.id, "baru", "analis.sari")
        with pytest.raises(LifecycleError, match="petugas"):
            change_status(session, alert.id, "selesai", " ")
        correct_labels(session, alert.id, "analis.sari", ["perkebunan", "unjuk_rasa"], ["62.02"], "bukan sengketa lahan",
                       ("perkebunan", "unjuk_rasa", "lahan"))
        change_status(session, alert.id, "bukan_konflik", "analis.budi", "hanya rapat rutin")
    with session_scope(engine) as session:
        events = list(session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert.id).order_by(AlertEvent.id)))
        assert [(e.actor, e.from_status, e.to_status) for e in events] == [
            ("analis.sari", "baru", "ditinjau"), ("analis.sari", "ditinjau", "ditinjau"), ("analis.budi", "ditinjau", "bukan_konflik")]
        assert events[1].changes["categories"][1] == ["perkebunan", "unjuk_rasa"]
        assert session.scalar(select(func.count()).select_from(LabelCorrection)) == 2
        out = io.StringIO()
        assert export_labels(session, out) == 1
        [record] = [json.loads(line) for line in out.getvalue().splitlines()]
        assert record["categories"] == [] and record["title"] == title  # the latest word: not a conflict
    # a false positive no longer counts towards levels
    rerun = run_stage(engine, date(2026, 11, 10), date(2026, 11, 15))
    assert rerun.alerts.created == 0 and alerts(engine)[0].status == "bukan_konflik"


def test_coverage_counts_sources_and_the_last_item_per_kabupaten(engine, tmp_path):
    with session_scope(engine) as session:
        for feed_id, region in (("radar-sampit", "62.02"), ("antara", "62"), ("mati", "62.05")):
            session.add(Feed(id=feed_id, name=feed_id, url=f"https://{feed_id}.example.id/rss", configured_url=f"https://{feed_id}.example.id/rss",
                             outlet=feed_id, region=region, enabled=feed_id != "mati", verified=True, notes="",
                             poll_interval_seconds=3600, current_interval_seconds=3600, error_count=0))
    title, text = BURST[0]
    ingest(engine, tmp_path, "kotim", [item("x", title, text, at(date(2026, 11, 14)))])
    run_stage(engine, date(2026, 11, 10), date(2026, 11, 15))
    with session_scope(engine) as session:
        rows = {c.code: c for c in coverage(session)}
    assert len(rows) == 14
    assert (rows["62.02"].own_sources, rows["62.02"].province_sources) == (1, 1)
    assert rows["62.05"].own_sources == 0
    assert rows["62.02"].last_item_at == at(date(2026, 11, 14)).astimezone(timezone.utc)
    assert rows["62.09"].last_item_at is None


def test_a_plan_imported_later_closes_a_plan_gap(engine, tmp_path):
    ingest(engine, tmp_path, "peti", [item("peti", "Penambang emas tanpa izin di Puruk Cahu tolak penertiban, bentrok dengan aparat",
                                           "PURUK CAHU - Puluhan penambang emas tanpa izin (PETI) di Murung Raya menolak penertiban "
                                           "dan bentrok dengan aparat.", at(date(2026, 11, 5)))])
    run_stage(engine, date(2026, 11, 1), date(2026, 11, 6))
    assert [a.plan_gap for a in alerts(engine)] == [True]
    with session_scope(engine) as session:
        plan = Plan(year=2026, region_code="62.12", title="CONTOH RAD-PKS Murung Raya 2026", status="berlaku")
        plan.actions.append(PlanAction(code="MURA-1", bidang="pencegahan", program="Pemetaan potensi konflik",
                                       kegiatan="Penanganan konflik PETI", categories=["tambang"], keywords=["PETI"]))
        session.add(plan)
    assert relink(engine).alerts.plan_gaps == 0
    assert [a.plan_gap for a in alerts(engine)] == [False]
