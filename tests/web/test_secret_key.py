"""The session key: WASPADA_SECRET_KEY, else one generated once into the data folder (0600) on the
embedded database, else (PostgreSQL) a refusal with an Indonesian message."""
from __future__ import annotations

import os
import stat

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.web.secret import KEY_FILE_NAME, SecretKeyError, resolve_secret_key

SQLITE = "sqlite:///var/waspada.db"
POSTGRES = "postgresql+psycopg://waspada@db.example/waspada"


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_environment_key_wins(tmp_path):
    key = "k" * 48
    assert resolve_secret_key(POSTGRES, tmp_path, {"WASPADA_SECRET_KEY": key}) == key
    assert resolve_secret_key(SQLITE, tmp_path, {"WASPADA_SECRET_KEY": key}) == key
    assert not (tmp_path / KEY_FILE_NAME).exists()
    with pytest.raises(SecretKeyError, match="terlalu pendek"):
        resolve_secret_key(SQLITE, tmp_path, {"WASPADA_SECRET_KEY": "pendek"})


def test_the_embedded_install_generates_a_key_once_owner_only_and_reuses_it(tmp_path):
    data = tmp_path / "var" / "data"
    first = resolve_secret_key(SQLITE, data, {})
    path = data / KEY_FILE_NAME
    assert len(first) >= 48 and path.read_text(encoding="utf-8").strip() == first
    assert _mode(path) == 0o600 and _mode(data) == 0o700 and _mode(data.parent) == 0o700
    assert resolve_secret_key(SQLITE, data, {}) == first  # a restart keeps the sessions valid
    assert [p.name for p in data.iterdir()] == [KEY_FILE_NAME]  # no temporary file left


def test_a_key_file_readable_by_others_is_tightened(tmp_path):
    path = tmp_path / KEY_FILE_NAME
    path.write_text("s" * 64 + "\n", encoding="utf-8")
    path.chmod(0o644)
    assert resolve_secret_key(SQLITE, tmp_path, {}) == "s" * 64
    assert _mode(path) == 0o600


def test_a_damaged_key_file_is_refused_with_advice(tmp_path):
    (tmp_path / KEY_FILE_NAME).write_text("\n", encoding="utf-8")
    with pytest.raises(SecretKeyError, match="rusak atau terlalu pendek"):
        resolve_secret_key(SQLITE, tmp_path, {})


def test_postgresql_without_a_key_refuses_to_start(tmp_path):
    with pytest.raises(SecretKeyError) as refused:
        resolve_secret_key(POSTGRES, tmp_path, {})
    assert "WASPADA_SECRET_KEY belum diatur" in str(refused.value)
    assert not (tmp_path / KEY_FILE_NAME).exists()


@pytest.mark.parametrize("command", [["web"], ["run", "--feeds", "feeds.yaml"]])
def test_web_and_run_on_postgresql_without_a_key_exit_with_the_message_before_touching_anything(tmp_path, command,
                                                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feeds.yaml").write_text("feeds: []\n", encoding="utf-8")
    unreachable = "postgresql+psycopg://waspada@127.0.0.1:9/waspada"  # never connected to: the key is checked first
    env = {"WASPADA_DATABASE_URL": unreachable, "WASPADA_DATA_DIR": str(tmp_path / "var"), "WASPADA_SECRET_KEY": "",
           "WASPADA_WEB_PORT": "0", "COLUMNS": "300"}
    result = CliRunner().invoke(app, command, env=env)
    assert result.exit_code == 2, result.output
    assert "WASPADA_SECRET_KEY belum diatur" in result.output
    assert not (tmp_path / "var").exists()
