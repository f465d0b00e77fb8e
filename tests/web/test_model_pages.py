"""The labeling queue and model pages through Flask's test client over the demo database: who may open them,
CSRF on every form, a label stored for every report of the story, feed text escaped with places marked at the
tagger's offsets, a retrain job run to its end, and the promote form's refusal of a worse candidate."""
from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select

from monitor.config import TrainingSettings
from monitor.db.models import Article, ArticleClassification, AuditEntry, LabelCorrection
from monitor.db.session import session_scope
from monitor.service import jobs, labeling, model_registry
from tests.web.conftest import SECRET_KEY, csrf_token_of, get_page, sign_in


@pytest.fixture
def analyst_app(demo_engine, demo_settings, tmp_path):
    from monitor.web import create_app

    settings = dataclasses.replace(demo_settings, training=TrainingSettings(models_root=tmp_path / "models"))
    return create_app(demo_engine, settings, SECRET_KEY)


@pytest.fixture
def as_role(analyst_app, demo_engine):
    def make(username: str):
        client = analyst_app.test_client()
        sign_in(client, demo_engine, username)
        client.token = csrf_token_of(client, "/")
        return client
    return make


def _queue_head(engine) -> labeling.QueueItem:
    with session_scope(engine) as session:
        return labeling.label_queue(session, model_registry.active_card(session), "analis", 1)[0]


@pytest.mark.parametrize("path", ["/pelabelan", "/model"])
def test_only_analysts_and_admins_open_the_queue_and_models(as_role, path):
    for username in ("staf", "operator"):
        assert as_role(username).get(path).status_code == 403
    for username in ("analis", "admin"):
        assert as_role(username).get(path).status_code == 200


def test_nav_shows_the_pages_to_analysts_only(as_role):
    assert 'href="/pelabelan"' in get_page(as_role("analis"), "/")
    assert 'href="/model"' in get_page(as_role("analis"), "/")
    assert 'href="/pelabelan"' not in get_page(as_role("operator"), "/")


def test_every_form_needs_its_csrf_token(as_role, demo_engine):
    client = as_role("analis")
    head = _queue_head(demo_engine)
    for path in (f"/pelabelan/{head.cluster_id}", f"/pelabelan/{head.cluster_id}/lewati", "/model/latih",
                 "/model/kembalikan", "/model/cat-x/promosikan"):
        assert client.post(path, data={}).status_code == 400, path
    with session_scope(demo_engine) as session:
        assert session.scalar(select(LabelCorrection.id)) is None
        assert jobs.recent_jobs(session) == []


def test_a_label_is_stored_for_every_report_of_the_story_and_audited(as_role, demo_engine):
    client = as_role("analis")
    head = _queue_head(demo_engine)
    page = get_page(client, "/pelabelan")
    assert f'action="/pelabelan/{head.cluster_id}"' in page
    response = client.post(f"/pelabelan/{head.cluster_id}", data={
        "csrf_token": client.token, "categories": ["lahan", "perkebunan"], "kabupaten": ["62.02"]})
    assert response.status_code == 302
    with session_scope(demo_engine) as session:
        reports = set(session.scalars(select(Article.id).where(Article.cluster_id == head.cluster_id)))
        labels = session.scalars(select(LabelCorrection)).all()
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "labels.queue"))
    assert {label.article_id for label in labels} == reports
    assert all(label.categories == ["lahan", "perkebunan"] and label.kabupaten == ["62.02"] and label.kalteng
               for label in labels)  # a kabupaten implies Kalteng
    assert entry.actor == "analis" and entry.target == f"story:{head.cluster_id}"
    assert f"cerita #{head.cluster_id}" in get_page(client, "/pelabelan")  # the flash
    assert _queue_head(demo_engine).cluster_id != head.cluster_id  # labelled stories leave the queue


def test_an_unknown_category_is_refused(as_role, demo_engine):
    client = as_role("analis")
    head = _queue_head(demo_engine)
    response = client.post(f"/pelabelan/{head.cluster_id}", data={"csrf_token": client.token,
                                                                  "categories": ["bukan-kode"]})
    assert response.status_code == 400
    assert "bukan pilihan yang sah" in response.get_data(as_text=True)
    with session_scope(demo_engine) as session:
        assert session.scalar(select(LabelCorrection.id)) is None


def test_skipping_leaves_the_story_out_of_that_analysts_queue_only(as_role, demo_engine):
    head = _queue_head(demo_engine)
    client = as_role("analis")
    assert client.post(f"/pelabelan/{head.cluster_id}/lewati", data={"csrf_token": client.token}).status_code == 302
    assert _queue_head(demo_engine).cluster_id != head.cluster_id
    with session_scope(demo_engine) as session:
        others = labeling.label_queue(session, model_registry.active_card(session), "admin", 1)
    assert others[0].cluster_id == head.cluster_id


def test_feed_text_is_escaped_and_places_are_marked_at_the_taggers_offsets(as_role, demo_engine):
    head = _queue_head(demo_engine)
    hostile = '<script>alert(1)</script> "Sampit" & <b>'
    with session_scope(demo_engine) as session:
        article = session.get(Article, head.article_id)
        reading = session.scalar(select(ArticleClassification).where(ArticleClassification.article_id == article.id))
        article.title = hostile + " di Sampit"
        article.summary_text = ""
        # as the tagger reports it: an offset into the title + text it read
        start = len(hostile) + len(" di ")
        reading.places = [{"code": "62.02", "name": "Sampit", "level": "kecamatan", "span": [start, start + 6],
                           "confidence": 0.9}, {"code": "x", "name": "luar", "span": [5, 999]}]
    page = get_page(as_role("analis"), "/pelabelan")
    text = re.search(r'<p class="label-text" id="teks-berita">(.*?)</p>', page, re.S).group(1)
    assert "<script>" not in page.split('<script src="/static/htmx.min.js"')[0] and "<b>" not in text
    assert text == ('&lt;script&gt;alert(1)&lt;/script&gt; &#34;Sampit&#34; &amp; &lt;b&gt; di '
                    '<mark class="place" title="Sampit">Sampit</mark>')


def test_keyboard_shortcuts_are_on_the_form(as_role):
    page = get_page(as_role("analis"), "/pelabelan")
    assert 'data-key="1"' in page and 'data-key="0"' in page and 'data-key="-"' in page and 'data-key="k"' in page
    assert '<script src="/static/labeling.js" defer></script>' in page


def test_a_retrain_job_runs_in_the_background_and_its_candidate_is_compared(as_role, analyst_app, demo_engine):
    client = as_role("analis")
    response = client.post("/model/latih", data={"csrf_token": client.token, "max_items": "60"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/model#tugas-")
    job_id = int(response.headers["Location"].rsplit("-", 1)[1])
    analyst_app.extensions["waspada"]["worker"].join(timeout=120)
    fragment = get_page(client, f"/model/tugas/{job_id}")
    assert "Selesai" in fragment and 'value="100"' in fragment and "hx-trigger" not in fragment
    with session_scope(demo_engine) as session:
        [candidate] = model_registry.list_models(session)
        train_audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "model.train"))
    assert train_audit.details == {"max_items": 60}
    assert f"/model/{candidate.version}" in fragment
    page = get_page(client, f"/model/{candidate.version}")
    # 60 items against the shipped model: worse on the frozen set, so the page says so and promotion is refused
    assert "Lebih buruk daripada model" in page and candidate.evaluation["worse_on_frozen"]
    refused = client.post(f"/model/{candidate.version}/promosikan", data={
        "csrf_token": client.token, "dari": "2026-10-01", "sampai": "2026-11-30"})
    assert refused.status_code == 400
    assert "Tidak dipromosikan: kandidat" in refused.get_data(as_text=True)
    no_reason = client.post(f"/model/{candidate.version}/promosikan", data={
        "csrf_token": client.token, "dari": "2026-10-01", "sampai": "2026-11-30", "paksa": "y"})
    assert "wajib disertai alasan" in no_reason.get_data(as_text=True)
    with session_scope(demo_engine) as session:
        assert model_registry.active_model(session) is None
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "model.promote")) is None
