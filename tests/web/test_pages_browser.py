"""A real browser (Debian's Chromium through Playwright) on the demo database served by waitress: a staff member
follows the map to a Kotawaringin Timur alert and on to its RAD-PKS action; an operator changes an alert's status
with a note. Every page is photographed at 1366x768 and 390x844 into /tmp/waspada-screens/pages/; on the phone
nothing may be wider than the screen, and no page may log a script error or a CSP refusal."""
from __future__ import annotations

import re

from sqlalchemy import select

from monitor.db.models import Alert
from monitor.db.session import session_scope
from tests.web.conftest import USER_PASSWORD, photograph, watch_page_problems

GROUP = "pages"






def _sign_in(page, base: str, username: str, target: str) -> None:
    page.goto(base + target)
    assert page.url.startswith(f"{base}/masuk?next=")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(USER_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(base + target)


def test_staff_follow_the_map_to_a_kotim_alert_and_its_plan_action(demo_live_server, browser_page, screenshot_dir):
    page, base = browser_page, demo_live_server
    problems = watch_page_problems(page)
    _sign_in(page, base, "staf", "/?tanggal=2026-11-14")
    assert "Dasbor 14 November 2026" in page.locator("h1").inner_text()
    kotim = page.locator('#peta-dasbor path[data-kode="62.02"]')
    assert kotim.get_attribute("data-tingkat") == "awas"
    photograph(page, screenshot_dir, "01-dasbor", GROUP)

    kotim.click()  # the map: Kotawaringin Timur
    page.wait_for_url(f"{base}/peringatan?kabupaten=62.02")
    titles = page.locator("a.alert-title")
    assert titles.count() == 7 and page.get_by_label("Kabupaten/kota").input_value() == "62.02"
    photograph(page, screenshot_dir, "02-peringatan", GROUP)

    page.get_by_role("link", name=re.compile("^Massa bakar pos satpam")).click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/peringatan/\d+$"))
    assert page.locator("ol.evidence mark").count() > 0
    assert "Kotawaringin Timur" in page.locator("dl.facts").inner_text()
    photograph(page, screenshot_dir, "03-rincian", GROUP)

    action = page.locator('section[aria-labelledby="judul-aksi"] a').first
    code = action.inner_text().split(" ")[0]
    action.click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/rencana\?tahun=2026&wilayah=62\.02#aksi-\d+$"))
    row = page.locator(f"#{page.url.rsplit('#', 1)[1]}")
    assert row.is_visible() and row.locator("td.code").inner_text() == code
    assert "Massa bakar pos satpam" in row.inner_text()  # the action lists the alert we came from
    photograph(page, screenshot_dir, "04-rencana", GROUP)

    page.get_by_role("link", name="Ringkasan Harian").click()
    page.wait_for_url(f"{base}/ringkasan")
    page.get_by_label("Tanggal ringkasan").fill("2026-11-15")
    page.get_by_role("button", name="Tampilkan").click()
    page.wait_for_url(f"{base}/ringkasan?tanggal=2026-11-15")
    assert "Massa bakar pos satpam" in page.locator(".digest-page").inner_text()
    photograph(page, screenshot_dir, "05-ringkasan", GROUP)
    assert problems == []  # no script error, no CSP refusal (the map's and digest's styles are allowed by hash)


def test_an_operator_changes_an_alerts_status_with_a_note(demo_live_server, demo_engine, browser_page, screenshot_dir):
    page, base = browser_page, demo_live_server
    problems = watch_page_problems(page)
    with session_scope(demo_engine) as session:
        alert_id = session.scalar(select(Alert.id).where(Alert.title.like("Petani plasma di Cempaga%")))
    _sign_in(page, base, "operator", f"/peringatan/{alert_id}")
    page.get_by_label("Status baru").select_option("ditinjau")
    page.get_by_label("Catatan tindak lanjut (boleh kosong)").fill("Tim Kesbangpol Kotim ke Cempaga besok pagi.")
    page.get_by_role("button", name="Simpan status").click()
    page.wait_for_url(f"{base}/peringatan/{alert_id}")
    assert page.get_by_role("status").first.inner_text() == "Status peringatan diubah menjadi 'Ditinjau'."
    history = page.locator("ol.history").inner_text()
    assert "operator: Baru → Ditinjau" in history and "Tim Kesbangpol Kotim ke Cempaga besok pagi." in history
    assert "Ditinjau" in page.locator(".alert-head .badge").first.inner_text()
    photograph(page, screenshot_dir, "06-rincian-operator", GROUP)
    page.goto(f"{base}/peringatan?status=ditinjau")
    assert page.locator("a.alert-title").count() == 1
    photograph(page, screenshot_dir, "07-peringatan-ditinjau", GROUP)
    assert problems == []
