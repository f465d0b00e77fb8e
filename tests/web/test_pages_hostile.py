"""Hostile feed and plan content (script elements, event handler attributes, javascript: addresses) is shown as
text on the dashboard, the alert list and detail, the plans page and the digest page: nothing in them can run."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from monitor.db.models import ActionRealisation, Alert, Article, ArticleClassification, Feed, Plan, PlanAction
from monitor.db.session import session_scope
from monitor.service.alerts import set_status
from tests.web.conftest import csrf_token_of
from tests.web.pages import assert_inert

SCRIPT = '<script>alert("judul")</script>'
IMAGE = '<img src=x onerror=alert(1)>'
QUOTE = '"><svg onload=alert(2)>'
JAVASCRIPT = "javascript:alert(document.cookie)"


@pytest.fixture
def hostile(demo_engine):
    """The demo database with hostile text in an alert, its reports and source, a plan and a source's error."""
    with session_scope(demo_engine) as session:
        alert = session.scalar(select(Alert).where(Alert.title.like("Petani plasma di Cempaga%")))
        alert.title = f"Petani plasma {SCRIPT} {IMAGE}"
        alert.evidence = [f"{SCRIPT} Warga bentrok {IMAGE} di kebun sawit.", f"Tuntutan {QUOTE} plasma."]
        for article in session.scalars(select(Article).where(Article.cluster_id == alert.cluster_id)):
            article.title, article.summary_text, article.url = f"Berita {SCRIPT}", f"Ringkas {IMAGE} {QUOTE}", JAVASCRIPT
            feed = session.get(Feed, article.feed_id)
            feed.name, feed.outlet, feed.url = f"Media {SCRIPT}", f"Outlet {QUOTE}", JAVASCRIPT
            feed.enabled, feed.last_success_at = True, datetime.now(timezone.utc) - timedelta(days=9)
            feed.last_error = f'<iframe src="{JAVASCRIPT}"></iframe><a href="{JAVASCRIPT}" onclick="x()">klik</a>'
            reading = session.scalar(select(ArticleClassification).where(ArticleClassification.article_id == article.id))
            reading.places = [dict(place, name=f"Desa {IMAGE}") for place in reading.places]
        plan = session.scalar(select(Plan).where(Plan.region_code == "62.02"))
        plan.title, plan.document_ref = f"Rencana {SCRIPT}", f"Dokumen {QUOTE}"
        action = session.scalar(select(PlanAction).where(PlanAction.plan_id == plan.id, PlanAction.code == "1.2"))
        action.kegiatan, action.program, action.penanggung_jawab = f"Kegiatan {SCRIPT}", f"Program {IMAGE}", QUOTE
        action.realisations = []
        session.flush()
        action.realisations = [ActionRealisation(period="B04", realisasi=f"Realisasi {IMAGE}", kendala=SCRIPT,
                                                 evidence=[JAVASCRIPT, "https://data.contoh.invalid/laporan.pdf"])]
        set_status(session, alert.id, "ditinjau", "operator", f"Catatan {SCRIPT}")
        return alert.id


def test_hostile_content_is_inert_on_every_page(demo_app, demo_login, hostile):
    client = demo_app.test_client()
    demo_login(client, "analis")  # the role that sees every form
    csrf_token_of(client, "/")
    pages = {
        "dasbor": "/?tanggal=2026-11-15",
        "daftar": "/peringatan",
        "rincian": f"/peringatan/{hostile}",
        "rencana": "/rencana",
        "ringkasan": "/ringkasan?tanggal=2026-11-16",
    }
    for name, path in pages.items():
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert_inert(page)
        if name != "dasbor":  # the dashboard shows no titles; its silent source is checked below
            assert "&lt;script&gt;alert(" in page, name
    dashboard = client.get("/").get_data(as_text=True)
    assert_inert(dashboard)
    assert "Media &lt;script&gt;" in dashboard and "&lt;iframe src=" in dashboard
    detail = client.get(f"/peringatan/{hostile}").get_data(as_text=True)
    assert "Catatan &lt;script&gt;" in detail and "Desa &lt;img src=x onerror=alert(1)&gt;" in detail
    assert "<mark>bentrok</mark>" in detail  # marking happens after escaping, around the escaped text
    plans = client.get("/rencana?wilayah=62.02").get_data(as_text=True)
    assert_inert(plans)
    assert "href=\"https://data.contoh.invalid/laporan.pdf\"" in plans and "Kegiatan &lt;script&gt;" in plans
