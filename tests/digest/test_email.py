"""The daily digest mailed from the demo database to a real local SMTP server, then read back as a mail client would."""
from __future__ import annotations

import io
import re
from datetime import date, datetime, timezone

from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner

from monitor.cli import app
from monitor.db.models import Alert, AlertPlace, Article, DigestDelivery
from monitor.db.session import session_scope
from monitor.demo import run_demo
from monitor.digest.send import send_digests
from tests.digest.conftest import add_user, html_tags

DAY = date(2026, 11, 15)  # the morning after Kotawaringin Timur went to Awas (14 November)
BASE = "https://waspada.kesbangpol.example"
HOSTILE = ('<script>alert("x")</script><img src=x onerror=alert(1)> Bentrok di Palangka Raya '
           '<a href="javascript:alert(2)">klik</a>')


def _parts(message):
    """(text, html, png bytes, png Content-ID) of a digest email, checking its MIME structure."""
    assert message.get_content_type() == "multipart/alternative"
    plain, related = message.get_payload()
    assert plain.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
    html_part, image = related.get_payload()
    assert html_part.get_content_type() == "text/html" and image.get_content_type() == "image/png"
    assert image.get_content_disposition() == "inline"
    return plain.get_content(), html_part.get_content(), image.get_content(), image["Content-ID"].strip().strip("<>")


def _hostile_alert_in_palangka_raya(engine) -> int:
    """A Palangka Raya alert of 14 November whose title is an attack on the page that shows it."""
    with session_scope(engine) as session:
        alert = session.scalar(select(Alert).join(AlertPlace).where(AlertPlace.code == "62.71").order_by(Alert.id))
        assert alert.kabupaten == ["62.71"]
        alert.title = HOSTILE
        alert.first_seen_at = datetime(2026, 11, 14, 3, 0, tzinfo=timezone.utc)  # 10:00 WIB
        return alert.id


def test_the_digest_reaches_each_subscriber_once_with_text_html_map_and_links(engine, smtp_server, mail_settings):
    run_demo(engine)
    hostile_id = _hostile_alert_in_palangka_raya(engine)
    add_user(engine, "pimpinan", "pimpinan@kesbangpol.example", display_name="Kepala Badan\r\nBcc: x@y.example")
    add_user(engine, "kotim", "kotim@kesbangpol.example", kabupaten=["62.02"])
    add_user(engine, "nonaktif", "nonaktif@kesbangpol.example", active=False)
    add_user(engine, "tanpa-email", "")
    add_user(engine, "berhenti", "berhenti@kesbangpol.example", subscribed=False)
    add_user(engine, "tanpa-langganan", "lain@kesbangpol.example", subscribed=None)

    outcomes = send_digests(engine, DAY, mail_settings)

    assert [(o.username, o.status, o.attempts) for o in outcomes] == [("kotim", "terkirim", 1),
                                                                      ("pimpinan", "terkirim", 1)]
    assert len(smtp_server.messages) == 2
    [province] = smtp_server.to("pimpinan@kesbangpol.example")
    [kotim] = smtp_server.to("kotim@kesbangpol.example")
    assert province["Subject"] == "Ringkasan deteksi dini Waspada 15 November 2026: 3 peringatan baru"
    assert kotim["Subject"] == "Ringkasan deteksi dini Waspada 15 November 2026: 2 peringatan baru"
    assert province["To"].addresses[0].display_name == "Kepala Badan Bcc: x@y.example"  # one header, no Bcc
    assert province["Bcc"] is None
    assert province["From"].addresses[0].addr_spec == "waspada@kesbangpol.example"
    assert province["Auto-Submitted"] == "auto-generated"

    text, html, png, cid = _parts(province)
    # the map: an inline PNG the HTML points at by Content-ID, readable by an image library
    assert f'src="cid:{cid}"' in html
    picture = Image.open(io.BytesIO(png))
    picture.load()
    assert picture.format == "PNG" and picture.width == 600
    assert "Kotawaringin Timur Awas" in dict(html_tags(html))["img"]["alt"]
    # what staff read: the escalation with its reason, the new alerts by level, links into the app
    for body in (text, html):
        assert "Normal -&gt; Awas" in body or "Normal -> Awas" in body
        assert "5 berita konflik dalam 3 hari terakhir" in body
        assert f"{BASE}/peringatan/{hostile_id}" in body
        assert f"{BASE}/ringkasan?tanggal=2026-11-15" in body
    assert "Warga Telawang pasang portal di jalan kebun sawit" in text
    assert "[AWAS] 2 peringatan" in text and "[NORMAL] 1 peringatan" in text
    kotim_links = {m for m in re.findall(rf"{BASE}/peringatan/(\d+)", text)}
    assert len(kotim_links) == 3
    # hostile feed content is inert: shown as text, never as markup, and no link leaves for another scheme
    tags = html_tags(html)
    assert not [t for t, _ in tags if t in ("script", "iframe", "object")]
    assert not [(t, a) for t, a in tags if any(name.startswith("on") for name in a)]
    with session_scope(engine) as session:  # links go into the app or to the reports' own http(s) addresses
        report_links = set(session.scalars(select(Article.url)))
    assert all(a["href"].startswith(BASE) or a["href"] in report_links for t, a in tags if t == "a")
    assert any(a["href"] in report_links for t, a in tags if t == "a")  # every source of an alert is listed
    assert [a["src"] for t, a in tags if t == "img"] == [f"cid:{cid}"]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert HOSTILE in text  # plain text shows the title as it is: it is never interpreted

    # a subscriber of Kotawaringin Timur reads only Kotawaringin Timur
    text, html, png, cid = _parts(kotim)
    assert f"/peringatan/{hostile_id}" not in text + html and "Palangka" not in text
    assert "Cakupan: Kabupaten Kotawaringin Timur" in text
    assert "Kabupaten Kotawaringin Timur Awas" in dict(html_tags(html))["img"]["alt"]
    assert re.findall(r"^- (.+?):", text.split("TINGKAT PER KABUPATEN/KOTA")[1], re.M) == [
        "Kabupaten Kotawaringin Timur"]
    Image.open(io.BytesIO(png)).load()

    with session_scope(engine) as session:
        rows = session.scalars(select(DigestDelivery).order_by(DigestDelivery.user_id)).all()
        assert [(r.day, r.status, r.attempts, r.last_error) for r in rows] == [(DAY, "terkirim", 1, "")] * 2
        assert all(r.sent_at is not None for r in rows)

    # a second run, or `waspada digest --send`, mails nobody again
    again = send_digests(engine, DAY, mail_settings)
    assert {(o.status, o.error) for o in again} == {("dilewati", "sudah terkirim")}
    env = {"WASPADA_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "WASPADA_SMTP_HOST": "127.0.0.1", "WASPADA_SMTP_PORT": str(smtp_server.port),
           "WASPADA_SMTP_SECURITY": "none", "WASPADA_MAIL_FROM": "waspada@kesbangpol.example",
           "WASPADA_BASE_URL": BASE, "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["digest", "--date", "2026-11-15", "--send"], env=env)
    assert result.exit_code == 0, result.output
    assert "0 terkirim, 0 gagal, 2 dilewati." in result.output and "sudah terkirim" in result.output
    assert len(smtp_server.messages) == 2

    # without --send the digest is printed, province-wide or as one user's subscription sees it
    shown = CliRunner().invoke(app, ["digest", "--date", "2026-11-15"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "3 peringatan baru: Awas 2, Normal 1" in shown.output and "<script>" in shown.output
    mine = CliRunner().invoke(app, ["digest", "--date", "2026-11-15", "--user", "kotim"], env=env)
    assert "2 peringatan baru: Awas 2" in mine.output and "<script>" not in mine.output
    unknown = CliRunner().invoke(app, ["digest", "--user", "siapa"], env=env)
    assert unknown.exit_code == 2 and "pengguna 'siapa' tidak ada" in unknown.output
