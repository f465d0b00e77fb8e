"""The analysts' loop in a real browser (Debian's Chromium through Playwright) against waitress over the demo
database: an analyst labels five queued stories with the keyboard and the mouse (skipping one), retrains a
candidate in the background, sees it beside the active model per category and kabupaten, promotes it (the
chosen days are rescored in the background), then retrains a worse candidate, whose promotion is refused
until it is forced with a reason (recorded in the audit log). Pages are photographed into
/tmp/waspada-screens/analysts/."""
from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from monitor.config import TrainingSettings
from monitor.db.models import Article, ArticleClassification, AuditEntry, LabelCorrection
from monitor.db.session import session_scope
from monitor.service import model_registry, retrain, worker
from tests.web.conftest import SECRET_KEY, USER_PASSWORD, _serve, photograph, watch_page_problems

GROUP = "analysts"
DEMO_FROM, DEMO_TO = date(2026, 10, 1), date(2026, 11, 30)
BASELINE_ITEMS, GOOD_ITEMS, POOR_ITEMS = 150, 600, 60  # small subsets keep each retrain to seconds


@pytest.fixture
def analyst_server(demo_engine, demo_settings, tmp_path):
    """The demo served by waitress, with a small baseline model active (forced in: it is worse than the shipped
    one) and the demo's news read by it, as a deployment has after its first promotion."""
    from monitor.web import create_app

    training = TrainingSettings(models_root=tmp_path / "models")
    baseline = retrain.train_candidate(demo_engine, training, "uji", BASELINE_ITEMS)
    worker.promote_and_rescore(demo_engine, baseline.version, "uji", DEMO_FROM, DEMO_TO, force=True,
                               reason="model dasar kecil untuk uji")
    assert worker.run_pending(demo_engine, training) == 1
    app = create_app(demo_engine, dataclasses.replace(demo_settings, training=training), SECRET_KEY)
    for base in _serve(app):
        yield base, baseline.version
    app.extensions["waspada"]["worker"].join(timeout=120)






def _retrain(page, base: str, max_items: int) -> str:
    """Start a retrain from the Model page, follow its progress until done; returns the candidate's version."""
    page.goto(f"{base}/model")
    page.get_by_label("Batas item latih").fill(str(max_items))
    page.get_by_role("button", name="Latih ulang").click()
    page.wait_for_url(re.compile(r".*/model#tugas-\d+$"))
    job = page.locator(f"#tugas-{page.url.rsplit('-', 1)[1]}")
    link = job.get_by_role("link", name=re.compile("Bandingkan kandidat"))
    link.wait_for(timeout=180_000)  # htmx polls the job's fragment every second
    assert "100%" in job.inner_text()
    version = link.inner_text().split()[-4]
    link.click()
    page.wait_for_url(f"{base}/model/{version}")
    return version


def test_an_analyst_labels_retrains_compares_and_promotes(analyst_server, demo_engine, browser_page, screenshot_dir):
    base, baseline = analyst_server
    page = browser_page
    problems = watch_page_problems(page)
    page.goto(f"{base}/pelabelan")
    page.get_by_label("Nama pengguna").fill("analis")
    page.get_by_label("Kata sandi").fill(USER_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{base}/pelabelan")
    assert page.locator("#teks-berita mark.place").count() >= 1  # the tagger's places, marked
    photograph(page, screenshot_dir, "01-antrean", GROUP)

    labelled = []
    for n in range(6):
        cluster = int(re.search(r"/pelabelan/(\d+)", page.locator("#form-label").get_attribute("action")).group(1))
        if n == 2:  # s: skip this one
            with page.expect_navigation():
                page.keyboard.press("s")
            assert f"Cerita #{cluster} dilewati." in page.get_by_role("status").first.inner_text()
            continue
        checked = page.locator("#form-label input[name=categories]:checked, #kalteng:checked")
        while checked.count():
            checked.first.uncheck()  # the form starts from the model's reading
        if n % 2:  # the mouse
            page.get_by_label("Konflik perkebunan").check()
            page.get_by_label("Kotawaringin Timur", exact=True).check()
            with page.expect_navigation():
                page.get_by_role("button", name="Simpan label").click()
        else:  # the keyboard: 1 = lahan, 8 = unjuk rasa, k = Kalteng, Enter saves
            page.locator("body").click(position={"x": 5, "y": 5})
            for key in ("1", "8", "k"):
                page.keyboard.press(key)
            assert page.get_by_label("Sengketa lahan").is_checked() and page.get_by_label("Unjuk rasa").is_checked()
            with page.expect_navigation():
                page.keyboard.press("Enter")
        assert f"cerita #{cluster}" in page.get_by_role("status").first.inner_text()
        labelled.append(cluster)
    with session_scope(demo_engine) as session:
        stories = session.execute(select(Article.cluster_id, LabelCorrection.categories, LabelCorrection.kalteng)
                                  .join(LabelCorrection, LabelCorrection.article_id == Article.id)).all()
    assert {cluster for cluster, _c, _k in stories} == set(labelled) and len(labelled) == 5
    assert all(kalteng for _s, _c, kalteng in stories)
    assert {tuple(c) for _s, c, _k in stories} == {("lahan", "unjuk_rasa"), ("perkebunan",)}
    photograph(page, screenshot_dir, "02-antrean-sesudah", GROUP)

    good = _retrain(page, base, GOOD_ITEMS)
    assert "Tidak lebih buruk daripada model" in page.locator("#vonis").inner_text()
    assert baseline in page.locator("#vonis").inner_text()
    assert page.locator("#tabel-kategori tbody tr").count() == 11
    assert "Kotawaringin Timur" in page.locator("#tabel-kabupaten").inner_text()  # the newest label's kabupaten
    assert "(1 item)" in page.locator("#tabel-ringkas").inner_text()  # the newest of the five labels, held out
    photograph(page, screenshot_dir, "03-perbandingan", GROUP)
    page.get_by_label("Skor ulang sejak").fill(DEMO_FROM.isoformat())
    page.get_by_label("sampai").fill(DEMO_TO.isoformat())
    page.get_by_role("button", name="Promosikan").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/model#tugas-\d+$"))
    assert f"Model {good} sekarang aktif" in page.get_by_role("status").first.inner_text()
    job = page.locator(f"#tugas-{page.url.rsplit('-', 1)[1]}")
    job.get_by_text("Skor ulang selesai").wait_for(timeout=120_000)
    photograph(page, screenshot_dir, "04-promosi", GROUP)
    with session_scope(demo_engine) as session:
        assert model_registry.active_model(session).version == good
        demo_articles = session.scalar(select(func.count()).select_from(Article))
        rescored = session.scalar(select(func.count()).select_from(ArticleClassification)
                                  .where(ArticleClassification.model_version == good))
    assert rescored == demo_articles  # every demo article, all inside the chosen days, read by the new model

    poor = _retrain(page, base, POOR_ITEMS)
    assert "Lebih buruk daripada model" in page.locator("#vonis").inner_text()
    page.get_by_label("Skor ulang sejak").fill(DEMO_FROM.isoformat())
    page.get_by_label("sampai").fill(DEMO_TO.isoformat())
    page.get_by_role("button", name="Promosikan").click()
    assert f"Tidak dipromosikan: kandidat {poor} lebih buruk" in page.get_by_role("alert").first.inner_text()
    photograph(page, screenshot_dir, "05-ditolak", GROUP)
    with session_scope(demo_engine) as session:
        assert model_registry.active_model(session).version == good

    page.get_by_label("Paksa promosi").check()
    page.get_by_label("Alasan").fill("uji pemaksaan: kandidat kecil")
    page.get_by_role("button", name="Promosikan").click()
    page.wait_for_url(re.compile(r".*/model#tugas-\d+$"))
    with session_scope(demo_engine) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "model.promote")
                                .order_by(AuditEntry.id.desc())).first()
    assert entry.actor == "analis" and entry.target == f"model:{poor}"
    assert entry.details["override"] is True and entry.details["reason"] == "uji pemaksaan: kandidat kecil"
    assert entry.details["worse_on_frozen"] and entry.details["from"] == good
    page.locator(".job").first.get_by_text(re.compile("Skor ulang selesai|Gagal")).wait_for(timeout=120_000)
    assert problems == []
