"""The package as users install it: `python -m build` (the sdist, then the wheel built from it), the wheel
installed into a fresh virtual environment, and `waspada demo`, `classify` and `run` started from a folder
outside the repository, reading only the wheel's package data and the data folder from settings.

One build and one environment serve every check (module fixture); it takes minutes, hence `slow`.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import venv
from pathlib import Path

import httpx
import pytest
import yaml

from tests.monitor.helpers import fixture_bytes
from tests.web.test_cli import Running

REPOSITORY = Path(__file__).resolve().parents[1]
MINUTES = 60

pytestmark = [pytest.mark.slow, pytest.mark.timeout(30 * MINUTES)]


def _run(command: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin folder of a fresh virtual environment holding only the built wheel and its dependencies."""
    root = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "build", "--outdir", root / "dist", REPOSITORY], timeout=15 * MINUTES)
    [wheel] = (root / "dist").glob("waspada-*.whl")
    venv.create(root / "venv", with_pip=True)
    bin_folder = root / "venv" / "bin"
    _run([bin_folder / "python", "-m", "pip", "install", "--quiet", "--no-compile", wheel], timeout=15 * MINUTES)
    return bin_folder


@pytest.fixture
def home(tmp_path) -> dict:
    """Environment of a user with an empty home and nothing of the repository or of this test run's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WASPADA_", "PYTHON", "VIRTUAL_ENV"))}
    env.update({"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "home" / "data"),
                "COLUMNS": "250", "PYTHONUNBUFFERED": "1"})
    (tmp_path / "work").mkdir()
    return env


def test_installed_package_reads_its_package_data_not_the_repository(installed, home, tmp_path):
    report = _run([installed / "python", "-c", "import json; from classifiers import layout, paths; "
                   "from monitor.db.session import MIGRATIONS_DIR; print(json.dumps([str(layout.source_checkout()), "
                   "str(paths.default_model_dir()), str(layout.shipped_path('feeds.yaml')), str(MIGRATIONS_DIR)]))"],
                  env=home, cwd=tmp_path / "work", timeout=MINUTES)
    checkout, model, feeds, migrations = json.loads(report.stdout)
    site_packages = next((installed.parent / "lib").glob("python3*/site-packages"))
    assert checkout == "None"
    for path in (model, feeds, migrations):
        assert Path(path).is_relative_to(site_packages) and Path(path).exists(), path
    shipped = Path(model)
    assert {p.name for p in shipped.iterdir()} >= {"model.skops", "card.json", "evaluation.json", "evaluation.md"}
    assert (shipped / "model.skops").read_bytes() == (REPOSITORY / "models" / "default" / "model.skops").read_bytes()


def test_demo_writes_its_database_and_feeds_file_to_the_per_user_data_folder(installed, home, tmp_path):
    work = tmp_path / "work"
    demo = _run([installed / "waspada", "demo"], env=home, cwd=work, timeout=10 * MINUTES)
    data = tmp_path / "home" / "data" / "waspada"  # XDG_DATA_HOME/waspada: the default when installed
    assert f"sqlite:///{data / 'waspada.db'}" in demo.stdout
    assert "Rencana RAD-PKS contoh dimuat: 15 rencana" in demo.stdout
    assert int(re.search(r"(\d+) peringatan baru", demo.stdout).group(1)) >= 10, demo.stdout
    assert (data / "waspada.db").is_file() and list(work.iterdir()) == []  # nothing written where it was started
    assert (data / "feeds.yaml").read_bytes() == (REPOSITORY / "feeds.yaml").read_bytes()  # the user's own copy
    listed = _run([installed / "waspada", "alerts", "list"], env=home, cwd=work, timeout=2 * MINUTES)
    assert "Kotawaringin Timur" in listed.stdout
    sources = _run([installed / "waspada", "feeds", "list"], env=home, cwd=work, timeout=2 * MINUTES)
    first_source = yaml.safe_load((REPOSITORY / "feeds.yaml").read_text(encoding="utf-8"))["feeds"][0]["id"]
    assert first_source in sources.stdout


def test_classify_uses_the_shipped_model(installed, home, tmp_path):
    items = [{"id": 1, "title": "Warga Desa Pondok Damar blokade jalan kebun sawit, tuntut plasma",
              "text": "SAMPIT - Ratusan warga Kecamatan Mentaya Hilir Utara, Kotawaringin Timur, memblokade jalan "
                      "perkebunan sawit menuntut kebun plasma 20 persen."},
             {"id": "b", "title": "Resep kue lapis legit", "text": "Kue lapis legit mudah dibuat di rumah."}]
    source, output = tmp_path / "work" / "berita.jsonl", tmp_path / "work" / "hasil.jsonl"
    source.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    _run([installed / "waspada", "classify", "--input", source, "--output", output], env=home, cwd=tmp_path / "work",
         timeout=5 * MINUTES)
    first, second = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert first["id"] == 1 and first["kabupaten"] == ["62.02"] and "62.02.07" in first["kecamatan"]
    assert first["conflict"] > 0.5 and first["categories"]
    assert second["id"] == "b" and second["categories"] == [] and second["kalteng"] is False


def test_run_serves_the_web_app_and_fetches_from_the_data_folder_in_settings(installed, home, tmp_path, feed_server):
    feed_url = feed_server.feed("/rss", fixture_bytes("antara_kalteng_terkini.xml"))
    feeds = tmp_path / "sumber.yaml"
    feeds.write_text(yaml.safe_dump({"feeds": [
        {"id": "antara", "name": "Antara", "url": feed_url, "outlet": "Antara", "region": "62"}]}), encoding="utf-8")
    data = tmp_path / "data"
    env = {**home, "WASPADA_DATA_DIR": str(data), "WASPADA_FEEDS": str(feeds), "WASPADA_ALLOW_PRIVATE_NETWORKS": "1",
           "WASPADA_WEB_PORT": "0", "WASPADA_CHECK_SECONDS": "0.5"}
    running = Running(env, tmp_path / "work", [str(installed / "waspada"), "run"])
    try:
        base = running.wait_for(r"Aplikasi web: (http://127\.0\.0\.1:\d+)", timeout=3 * MINUTES).group(1)
        link = running.wait_for(r"^\s+(http://127\.0\.0\.1:\d+/setup/[A-Za-z0-9_-]{40,})\s*$").group(1)
        with httpx.Client(base_url=base) as browser:
            assert browser.get("/masuk").status_code == 200
            assert "Penyiapan admin pertama" in browser.get(link).text
            assert browser.get("/static/app.css").status_code == 200
        deadline = time.monotonic() + 3 * MINUTES  # the scheduler runs beside the web server
        while not feed_server.requests_to("/rss") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert feed_server.requests_to("/rss")
    finally:
        code = running.interrupt()
    assert code == 0, "".join(running.lines)
    assert {p.name for p in data.iterdir()} >= {"waspada.db", "secret_key"}
    assert not (tmp_path / "home" / "data").exists() and list((tmp_path / "work").iterdir()) == []


def test_a_data_folder_that_cannot_be_made_is_one_clear_message(installed, home, tmp_path):
    blocker = tmp_path / "berkas"
    blocker.write_text("", encoding="utf-8")
    env = {**home, "WASPADA_DATA_DIR": str(blocker / "data")}  # a folder inside a file: even root cannot make it
    result = subprocess.run([installed / "waspada", "feeds", "list"], env=env, cwd=tmp_path / "work",
                            capture_output=True, text=True, timeout=2 * MINUTES)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Pengaturan tidak dapat dipakai: Tidak dapat membuat" in result.stderr
    assert "WASPADA_DATA_DIR" in result.stderr
    assert "Traceback" not in result.stderr
