"""Which alerts a digest holds (its day, late arrivals, dismissed ones, a subscription), and the web page fragment."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timezone

from sqlalchemy import select

from monitor.db.models import Alert
from monitor.db.session import session_scope
from monitor.demo import run_demo
from monitor.digest.compose import compose_digest
from monitor.digest.render import map_alt_text, render_digest_page_html, render_digest_text, subject_line
from tests.digest.conftest import html_tags

SVG = "{http://www.w3.org/2000/svg}"


def _change(engine, alert_id: int, **values) -> None:
    with session_scope(engine) as session:
        alert = session.get(Alert, alert_id)
        for name, value in values.items():
            setattr(alert, name, value)


def _ids(engine, day: date, **scope) -> dict[int, bool]:
    with session_scope(engine) as session:
        return {a.id: a.late for a in compose_digest(session, day, **scope).alerts}


def _alert_of(engine, title_start: str) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(Alert.id).where(Alert.title.like(f"{title_start}%")))


def test_a_digest_holds_its_previous_day_and_the_late_arrivals_since_the_last_digest(engine):
    run_demo(engine)
    seruyan = _alert_of(engine, "Sengketa lahan warga dan perusahaan sawit di Seruyan")  # first seen 16 November
    telawang = _alert_of(engine, "Warga Telawang")  # 14 November, Kotawaringin Timur
    fire = _alert_of(engine, "Massa bakar pos satpam")  # 14 November, Kotawaringin Timur
    assert _ids(engine, date(2026, 11, 17)) == {seruyan: False}
    # Waspada only learnt of it on 20 November at 08:00 WIB, after that morning's digest
    _change(engine, seruyan, created_at=datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc))
    assert _ids(engine, date(2026, 11, 20)) == {}
    assert _ids(engine, date(2026, 11, 21)) == {seruyan: True}
    # created at 06:30 WIB sharp: the digest of that morning was already composed, the next one has it
    _change(engine, seruyan, created_at=datetime(2026, 11, 19, 23, 30, tzinfo=timezone.utc))
    assert _ids(engine, date(2026, 11, 20)) == {}
    assert _ids(engine, date(2026, 11, 21)) == {seruyan: True}

    assert _ids(engine, date(2026, 11, 15)) == {telawang: False, fire: False}
    assert _ids(engine, date(2026, 11, 15), categories=["sara"]) == {}
    assert _ids(engine, date(2026, 11, 15), categories=["perkebunan", "sara"]) == {telawang: False, fire: False}
    assert _ids(engine, date(2026, 11, 15), kabupaten=["62.71"]) == {}
    with session_scope(engine) as session:  # the map shows the whole province, also outside a subscription
        elsewhere = compose_digest(session, date(2026, 11, 15), kabupaten=["62.71"])
    assert map_alt_text(elsewhere) == ("Peta tingkat kewaspadaan: Kabupaten Kotawaringin Timur Awas; "
                                       "kabupaten/kota lain Normal.")
    assert [row.cell.code for row in elsewhere.board] == ["62.71"]
    _change(engine, fire, status="bukan_konflik")  # an analyst dismissed it before the digest
    assert _ids(engine, date(2026, 11, 15)) == {telawang: False}
    _change(engine, telawang, kabupaten=[])  # about the province, no kabupaten in particular: for everyone
    assert _ids(engine, date(2026, 11, 15), kabupaten=["62.71"]) == {telawang: False}

    with session_scope(engine) as session:
        quiet = compose_digest(session, date(2026, 10, 2), kabupaten=["62.08"])
    assert subject_line(quiet) == "Ringkasan deteksi dini Waspada 2 Oktober 2026: tidak ada peringatan baru"
    text = render_digest_text(quiet)
    assert "Tidak ada peringatan baru pada 1 Oktober 2026 dalam cakupan Anda." in text
    assert "Cakupan: Kabupaten Sukamara" in text


def test_the_page_fragment_has_the_map_inline_with_links_and_feed_text_inert(engine):
    run_demo(engine)
    telawang = _alert_of(engine, "Warga Telawang")
    hostile = '<script>alert(1)</script><svg onload=alert(2)>'
    _change(engine, telawang, title=hostile)
    with session_scope(engine) as session:
        digest = compose_digest(session, date(2026, 11, 15), base_url="https://waspada.kesbangpol.example/")
    fragment = str(render_digest_page_html(digest))
    svgs = [ET.fromstring(svg) for svg in re.findall(r"<svg .*?</svg>", fragment, re.S)]
    assert len(svgs) == 1 + 14  # the map and a 28-day sparkline per kabupaten
    map_svg = svgs[0]
    regions = {p.get("data-kode"): p for p in map_svg.iter(f"{SVG}path") if p.get("class") == "wilayah"}
    assert len(regions) == 14 and regions["62.02"].get("data-tingkat") == "awas"
    links = {a.find(f"{SVG}path").get("data-kode"): a.get("href") for a in map_svg.iter(f"{SVG}a")}
    assert links["62.02"] == "https://waspada.kesbangpol.example/peringatan?kabupaten=62.02"
    tags = html_tags(fragment)
    assert not [t for t, _ in tags if t == "script"]
    assert not [(t, a) for t, a in tags if any(name.startswith("on") for name in a)]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;svg onload=alert(2)&gt;" in fragment  # shown as text
    own = render_digest_page_html(digest, kabupaten_links={"62.02": "/wilayah/62.02", "62.71": "javascript:x()"})
    assert 'href="/wilayah/62.02"' in own and "javascript:" not in own
