"""Secrets stay out of output and logs; the embedded database is readable by its owner only."""
from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import threading
import time

from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import masked_url
from monitor.db.session import open_database

PASSWORD = "rahasia-Kesbangpol-77"


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_embedded_database_its_wal_and_its_folder_are_owner_only(tmp_path):
    data_dir = tmp_path / "var" / "waspada"
    engine = open_database(f"sqlite:///{data_dir / 'waspada.db'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE uji (x INTEGER)"))
            connection.execute(text("INSERT INTO uji VALUES (1)"))
            assert (data_dir / "waspada.db-wal").exists()
            for name in ("waspada.db", "waspada.db-wal", "waspada.db-shm"):
                assert _mode(data_dir / name) == 0o600, name
    finally:
        engine.dispose()
    assert _mode(data_dir) == 0o700 and _mode(data_dir.parent) == 0o700


def test_database_urls_are_masked():
    assert masked_url(f"postgresql+psycopg://waspada:{PASSWORD}@db.example:5432/waspada") == \
        "postgresql+psycopg://waspada:***@db.example:5432/waspada"
    assert PASSWORD not in masked_url(f"postgresql://u:{PASSWORD}@h/db")


def _with_password(db_url: str) -> str:
    """The test database URL with a password added (PostgreSQL here trusts local connections and ignores it)."""
    url = make_url(db_url)
    return url.set(password=PASSWORD).render_as_string(hide_password=False) if url.drivername.startswith("postgresql") else db_url


def test_demo_and_run_never_print_or_log_the_password(db_url, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    url = _with_password(db_url)
    env = {"WASPADA_DATABASE_URL": url, "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["demo"], env=env)
    assert result.exit_code == 0, result.output
    assert "Basis data:" in result.output and PASSWORD not in result.output
    assert all(PASSWORD not in record.getMessage() for record in caplog.records)

    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-c", "from monitor.cli import app; app()", "run", "--feeds", str(feeds)],
        # the web app on any free port, its session key given (PostgreSQL needs one), nothing written outside tmp_path
        env={**os.environ, **env, "WASPADA_CHECK_SECONDS": "0.2", "PYTHONUNBUFFERED": "1", "WASPADA_WEB_PORT": "0",
             "WASPADA_SECRET_KEY": "k" * 40, "WASPADA_DATA_DIR": str(tmp_path)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any("Waspada berjalan" in line for line in lines):
        time.sleep(0.1)
    time.sleep(1)  # a few scheduler ticks, logging at INFO
    process.terminate()
    process.wait(timeout=30)
    reader.join(timeout=10)
    output = "".join(lines)
    assert "Waspada berjalan" in output, output
    assert PASSWORD not in output
    if "postgresql" in url:
        assert "***@" in output
