"""Parts the pages are built from: the alert explanation (terms of the installed model, marked evidence), the
CSP allowance of Waspada's own inline styles, level colours shared by the stylesheet and the map, labels."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask, g
from sqlalchemy import select

from monitor.alerts.levels import LEVEL_NAMES
from monitor.alerts.lifecycle import STATUSES
from monitor.db.models import Alert
from monitor.db.session import session_scope
from monitor.render.style import LEVEL_STYLES
from monitor.service.alerts import alert_detail
from monitor.service.explain import explain_alert
from monitor.web import labels
from monitor.web.security import CONTENT_SECURITY_POLICY, allow_inline_styles, content_security_policy

STYLESHEET = Path(__file__).resolve().parents[2] / "monitor" / "web" / "static" / "app.css"


def _detail(engine, title_start: str):
    with session_scope(engine) as session:
        alert_id = session.scalar(select(Alert.id).where(Alert.title.like(f"{title_start}%")))
        return alert_detail(session, alert_id)


def test_the_explanation_of_an_alert(demo_engine):
    detail = _detail(demo_engine, "Ratusan warga Desa Pondok Damar")
    explanation = explain_alert(detail)
    assert explanation.note == "" and explanation.article_id == detail.articles[0].id
    assert set(explanation.terms) == set(explanation.categories) | {"conflict"}
    assert set(explanation.categories) <= set(detail.row.categories)
    assert all(0 < len(terms) <= 8 and all(weight > 0 for _, weight in terms) for terms in explanation.terms.values())
    assert len(explanation.evidence) == len(detail.evidence)
    assert ["".join(text for text, _ in pieces) for pieces in explanation.evidence] == detail.evidence
    assert any(marked for pieces in explanation.evidence for _, marked in pieces)


def test_no_terms_from_another_model_or_without_a_model(demo_engine, monkeypatch):
    detail = dataclasses.replace(_detail(demo_engine, "Petani plasma"), model_version="model-lama")
    explanation = explain_alert(detail)
    assert explanation.terms == {} and explanation.note == (
        "Istilah pendorong tidak ditampilkan: peringatan ini dibaca model 'model-lama', sedangkan model terpasang "
        "'uji-c9f22c5'.")
    assert ["".join(text for text, _ in pieces) for pieces in explanation.evidence] == detail.evidence

    def broken(*_args):
        raise OSError("model.skops hilang")

    monkeypatch.setattr("monitor.service.explain.load_classifier", broken)
    explanation = explain_alert(_detail(demo_engine, "Petani plasma"))
    assert explanation.terms == {} and "model pengklasifikasi tidak dapat dimuat" in explanation.note
    assert len(explanation.evidence) == 3  # the page still shows the evidence, with the severity cues marked


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_only_the_allowed_inline_styles_join_the_policy():
    app = Flask(__name__)
    with app.test_request_context("/"):
        assert content_security_policy() == CONTENT_SECURITY_POLICY
        allow_inline_styles('<p style="color:#b71c1c;font-family:&quot;Noto Sans&quot;">x</p>'
                            '<svg><style>.a{display:none}</style></svg>', '<span style="">y</span>')
        policy = content_security_policy()
        assert "style-src 'self' 'unsafe-hashes' " in policy and "'unsafe-inline'" not in policy
        # the browser hashes the attribute as decoded, and the <style> text as written
        for style in ('color:#b71c1c;font-family:"Noto Sans"', ".a{display:none}", ""):
            assert _sha(style) in policy
        assert policy.count("'sha256-") == 3 and "script-src 'self';" in policy
        assert getattr(g, "waspada_inline_styles")
    with app.test_request_context("/"):  # another response: the fixed policy again
        assert content_security_policy() == CONTENT_SECURITY_POLICY


def test_the_stylesheet_draws_levels_in_the_maps_colours():
    css = STYLESHEET.read_text(encoding="utf-8")
    for level, style in LEVEL_STYLES.items():
        rule = re.search(rf"\.badge\.lv-{level} \{{([^}}]+)\}}", css).group(1)
        assert f"background: {style.fill}" in rule and f"color: {style.text}" in rule, level
        assert re.search(rf"\.lv-edge-{level} a \{{ border-left-color: {style.fill}; \}}", css), level


def test_every_status_and_level_has_a_name():
    assert set(labels.STATUS_NAMES) == set(STATUSES)
    helpers = labels.template_helpers()
    assert [helpers["level_name"](level) for level in LEVEL_NAMES] == ["Normal", "Waspada", "Siaga", "Awas"]
    assert helpers["kabupaten"]("62.02") == "Kotawaringin Timur" and helpers["kabupaten"]("62") == "Kalimantan Tengah"
    assert helpers["kabupaten"]("62.71").startswith("Kota ") and helpers["kabupaten"]("99") == "99"
    assert helpers["place"]("62.02.07") != "62.02.07" and helpers["category"]("tidak-ada") == "tidak-ada"

    late_evening = datetime(2026, 11, 14, 17, 30, tzinfo=timezone.utc)  # 00:30 WIB on the 15th
    assert helpers["wib_day"](late_evening) == "15 Nov" and helpers["wib_day"](None) == "-"
