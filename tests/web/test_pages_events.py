"""The alert page of an event through Flask's test client: every outlet with its link, why each report joined,
and the earlier and later events it is linked to (reports published through saved feeds, the shipped model)."""
from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select

from monitor.db.models import Alert, AuditEntry
from monitor.db.session import session_scope
from monitor.service.flow import stage_pass
from tests.monitor.event_stories import BLOCKADE, DAY, FLARE_UP, at, publish, publish_blockade
from tests.web.conftest import csrf_token_of, get_page


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_an_event_page_shows_every_source_why_it_joined_and_the_flare_up_it_continues_in(web_engine, client, login,
                                                                                          tmp_path):
    publish_blockade(web_engine, tmp_path)
    stage_pass(web_engine)
    publish(web_engine, tmp_path, "kabar", "Kabar Kalteng", "kembali", *FLARE_UP, at(DAY + timedelta(days=150)))
    stage_pass(web_engine)
    with session_scope(web_engine) as session:
        first, second = session.scalars(select(Alert.id).order_by(Alert.id)).all()
    login(client, "staf")
    page = get_page(client, f"/peringatan/{first}")
    text = _text(page)
    for site, outlet, title, _text_ in BLOCKADE:
        assert outlet in text and title in text
        assert f'href="https://{site}.example.id/berita/blokade-{DAY}"' in page
    assert "3 media, 3 berita" in text
    assert "Alasan masuk peristiwa ini: laporan pertama peristiwa ini" in text
    assert text.count("pelaku PT Sawit Makmur Abadi") == 2 and "tempat 62.02" in text
    assert f'href="/peringatan/{second}"' in page and "Berlanjut di" in text
    later = get_page(client, f"/peringatan/{second}")
    assert f'href="/peringatan/{first}"' in later and f"Lanjutan dari peringatan #{first}" in _text(later)


def test_an_analyst_splits_and_merges_from_the_alert_page_and_staff_may_not(web_engine, app, login, tmp_path):
    publish_blockade(web_engine, tmp_path)
    stage_pass(web_engine)
    with session_scope(web_engine) as session:
        [alert_id] = session.scalars(select(Alert.id)).all()
    staff, analyst = app.test_client(), app.test_client()
    login(staff, "staf")
    login(analyst, "analis")
    staff.token, analyst.token = csrf_token_of(staff, "/"), csrf_token_of(analyst, "/")
    page = get_page(analyst, f"/peringatan/{alert_id}")
    assert {"gabung", "pisah"} <= set(re.findall(rf'action="/peringatan/{alert_id}/(\w+)"', page))
    assert "/pisah" not in get_page(staff, f"/peringatan/{alert_id}")
    borneo = re.search(r'<option value="(\d+)">#\d+ Borneo Pos', page).group(1)
    assert staff.post(f"/peringatan/{alert_id}/pisah", data={"csrf_token": staff.token, "article": borneo}).status_code == 403
    assert analyst.post(f"/peringatan/{alert_id}/pisah", data={"article": borneo}).status_code == 400  # no CSRF token
    done = analyst.post(f"/peringatan/{alert_id}/pisah", data={"csrf_token": analyst.token, "article": borneo,
                                                             "note": "laporan lain"})
    assert done.status_code == 302
    with session_scope(web_engine) as session:
        first, second = session.scalars(select(Alert).order_by(Alert.id)).all()
        assert (first.n_sources, second.n_sources) == (2, 1)
    refused = analyst.post(f"/peringatan/{alert_id}/gabung", data={"csrf_token": analyst.token, "other": str(alert_id)})
    assert refused.status_code == 400 and "dirinya sendiri" in _text(refused.get_data(as_text=True))
    merged = analyst.post(f"/peringatan/{alert_id}/gabung", data={"csrf_token": analyst.token, "other": str(second.id)})
    assert merged.status_code == 302
    with session_scope(web_engine) as session:
        assert session.scalars(select(Alert.n_sources)).all() == [3]
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "analis")
                                  .order_by(AuditEntry.id)).all()
    assert actions == ["alert.split", "alert.merge"]
    assert "digabung oleh analis" in _text(get_page(analyst, f"/peringatan/{alert_id}"))
