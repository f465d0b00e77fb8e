"""A real browser (Debian's Chromium through Playwright) against a real waitress server: an admin signs
in, adds a source found on the local feed server, disables it through htmx, and adds a user. Pages are
photographed at 1366x768 (office PC) and 390x844 (phone) into the test's folder and /tmp/waspada-screens/."""
from __future__ import annotations

import yaml

from tests.conftest import Response
from tests.monitor.helpers import fixture_bytes
from tests.web.conftest import USER_PASSWORD, photograph





def test_an_admin_signs_in_adds_a_source_and_a_user(live_server, browser_page, feed_server, web_settings,
                                                    screenshot_dir):
    page = browser_page
    problems: list[str] = []
    # script errors, CSP refusals, and assets that failed to load (a page's own 400/401 answer is expected)
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.request.resource_type not in ("document", "fetch", "xhr") else None)
    web_settings.feeds_path.write_text(yaml.safe_dump({"feeds": [
        {"id": "antara-kalteng", "name": "ANTARA Kalteng", "url": "https://kalteng.antaranews.com/rss/terkini.xml",
         "outlet": "ANTARA", "region": "62"}]}), encoding="utf-8")
    site = feed_server.route("/", Response(body=fixture_bytes("site_page.html"),
                                           headers={"Content-Type": "text/html; charset=utf-8"}))
    feed_server.feed("/feed/", fixture_bytes("wordpress_kalteng.xml"))

    page.goto(f"{live_server}/admin/sumber")
    assert page.url.startswith(f"{live_server}/masuk?next=")
    photograph(page, screenshot_dir, "01-masuk")
    page.get_by_label("Nama pengguna").fill("admin")
    page.get_by_label("Kata sandi").fill("salah-sandinya")
    page.get_by_role("button", name="Masuk").click()
    assert page.get_by_role("alert").inner_text() == "Nama pengguna atau kata sandi salah."
    page.get_by_label("Nama pengguna").fill("admin")
    page.get_by_label("Kata sandi").fill(USER_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{live_server}/admin/sumber")

    page.get_by_label("Alamat situs atau feed").fill(site)
    page.get_by_label("Wilayah liputan").select_option("62.02")
    page.get_by_role("button", name="Cari dan tambahkan").click()
    page.wait_for_url(f"{live_server}/admin/sumber")
    assert "Ditambahkan: contoh-pos-sampit" in page.get_by_role("status").first.inner_text()
    row = page.locator("#sumber-contoh-pos-sampit")
    assert "Kotawaringin Timur" in row.inner_text()
    photograph(page, screenshot_dir, "02-sumber")

    # htmx: the button swaps its own row, carrying the CSRF token in a header, under the CSP
    row.get_by_role("button", name="Nonaktifkan", exact=True).click()
    page.locator("#sumber-contoh-pos-sampit").get_by_role("button", name="Aktifkan", exact=True).wait_for()
    swapped = page.locator("#sumber-contoh-pos-sampit").inner_text()
    assert "dinonaktifkan oleh admin" in swapped and "Feed contoh-pos-sampit dinonaktifkan." in swapped
    assert "Ditambahkan" in page.get_by_role("status").first.inner_text()  # the page itself was not reloaded

    page.get_by_role("link", name="Pengguna", exact=True).click()
    page.wait_for_url(f"{live_server}/admin/pengguna")
    page.get_by_label("Nama pengguna").fill("rina")
    page.get_by_label("Nama lengkap").fill("Rina Lestari")
    page.get_by_label("Surel").fill("rina@kalteng.go.id")
    page.get_by_label("Peran").select_option("operator")
    page.get_by_label("Wilayah kerja").select_option("62.02")
    page.get_by_label("Kata sandi", exact=True).fill("sandi-rina-1234")
    page.get_by_label("Ulangi kata sandi").fill("sandi-rina-9999")
    page.get_by_role("button", name="Tambah pengguna").click()
    assert page.locator("#password_again-error").inner_text() == "Kedua kata sandi tidak sama."
    photograph(page, screenshot_dir, "03-pengguna-galat")
    page.get_by_label("Kata sandi", exact=True).fill("sandi-rina-1234")
    page.get_by_label("Ulangi kata sandi").fill("sandi-rina-1234")
    page.get_by_role("button", name="Tambah pengguna").click()
    page.wait_for_url(f"{live_server}/admin/pengguna/rina")
    assert "Pengguna rina ditambahkan sebagai Operator." in page.get_by_role("status").first.inner_text()
    page.get_by_label("Kabupaten Kotawaringin Timur").check()
    page.get_by_role("button", name="Simpan langganan").click()
    page.wait_for_url(f"{live_server}/admin/pengguna/rina")
    assert page.get_by_label("Kabupaten Kotawaringin Timur").is_checked()
    photograph(page, screenshot_dir, "04-pengguna-rina")

    page.get_by_role("link", name="Pengguna", exact=True).click()
    photograph(page, screenshot_dir, "05-daftar-pengguna")
    page.get_by_role("link", name="Log audit").click()
    assert "feed.add" in page.content() and "user.create" in page.content()
    photograph(page, screenshot_dir, "06-audit")
    page.get_by_role("link", name="Dasbor").click()
    photograph(page, screenshot_dir, "07-dasbor")

    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url(f"{live_server}/masuk")
    assert problems == []  # no script error and no blocked resource (CSP) on any page
