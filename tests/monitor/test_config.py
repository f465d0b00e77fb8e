"""Settings from WASPADA_* variables: a malformed value is refused by name, with what is expected."""
from pathlib import Path

import pytest

from monitor.config import FetchSettings, PollSettings, Settings, SettingsError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    import os

    for name in [n for n in os.environ if n.startswith("WASPADA_")]:
        monkeypatch.delenv(name)


@pytest.mark.parametrize("name, value, message", [
    ("WASPADA_MAX_BODY_BYTES", "5MB",
     "WASPADA_MAX_BODY_BYTES harus bilangan bulat >= 1 (jumlah bita; bawaannya 5242880), bukan '5MB'"),
    ("WASPADA_MAX_BODY_BYTES", "-1",
     "WASPADA_MAX_BODY_BYTES harus bilangan bulat >= 1 (jumlah bita; bawaannya 5242880), bukan '-1'"),
    ("WASPADA_READ_TIMEOUT", "30s", "WASPADA_READ_TIMEOUT harus angka >= 0.1 (detik; bawaannya 30), bukan '30s'"),
    ("WASPADA_TOTAL_TIMEOUT", "nan", "WASPADA_TOTAL_TIMEOUT harus angka >= 0.1 (detik; bawaannya 90), bukan 'nan'"),
    ("WASPADA_CONCURRENCY", "0",
     "WASPADA_CONCURRENCY harus bilangan bulat >= 1 (jumlah permintaan serentak; bawaannya 20), bukan '0'"),
    ("WASPADA_PER_HOST_MIN_GAP", "satu",
     "WASPADA_PER_HOST_MIN_GAP harus angka >= 0 (detik; bawaannya 1), bukan 'satu'"),
    ("WASPADA_POLL_CEILING_SECONDS", "1e9",
     "WASPADA_POLL_CEILING_SECONDS harus bilangan bulat >= 600 (detik; bawaannya 86400), bukan '1e9'"),
    ("WASPADA_MAX_FAILURES", "10.5",
     "WASPADA_MAX_FAILURES harus bilangan bulat >= 1 (kegagalan beruntun; bawaannya 10), bukan '10.5'"),
    ("WASPADA_ALLOW_PRIVATE_NETWORKS", "mungkin",
     "WASPADA_ALLOW_PRIVATE_NETWORKS harus salah satu dari 1, true, yes, on, ya (hidup) atau 0, false, no, off, "
     "tidak (mati), bukan 'mungkin'"),
    ("WASPADA_WEB_PORT", "http", "WASPADA_WEB_PORT harus bilangan bulat >= 0 (nomor port; 0: port bebas mana pun; "
                                 "bawaannya 8080), bukan 'http'"),
    ("WASPADA_WEB_IDLE_MINUTES", "0",
     "WASPADA_WEB_IDLE_MINUTES harus bilangan bulat >= 1 (menit; bawaannya 30), bukan '0'"),
    ("WASPADA_WEB_MAX_UPLOAD_BYTES", "10MB",
     "WASPADA_WEB_MAX_UPLOAD_BYTES harus bilangan bulat >= 1024 (jumlah bita; bawaannya 10485760), bukan '10MB'"),
])
def test_a_malformed_setting_names_the_variable_and_what_is_expected(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        Settings.from_env()
    assert str(info.value) == message


def test_well_formed_and_empty_settings(monkeypatch):
    for name, value in {"WASPADA_MAX_BODY_BYTES": " 1048576 ", "WASPADA_READ_TIMEOUT": "2.5",
                        "WASPADA_PER_HOST_MIN_GAP": "0", "WASPADA_ALLOW_PRIVATE_NETWORKS": "Ya",
                        "WASPADA_CONCURRENCY": "", "WASPADA_PARSE_PROCESSES": "0"}.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert settings.fetch.max_body_bytes == 1048576 and settings.fetch.read_timeout == 2.5
    assert settings.fetch.per_host_min_gap == 0 and settings.fetch.allow_private_networks is True
    assert settings.fetch.global_concurrency == FetchSettings.global_concurrency
    assert settings.poll == PollSettings()
    assert settings.parse.parse_processes == 0  # parse in the storing thread


def test_web_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("WASPADA_WEB_PORT", "0")
    monkeypatch.setenv("WASPADA_WEB_IDLE_MINUTES", "45")
    monkeypatch.setenv("WASPADA_WEB_MAX_UPLOAD_BYTES", "2097152")
    web = Settings.from_env().web
    assert (web.port, web.idle_minutes, web.max_upload_bytes) == (0, 45, 2 * 1024 * 1024)


def test_a_source_checkout_reads_the_repository_files_and_keeps_data_in_var(monkeypatch, tmp_path):
    # the installed layout (package data, per-user data folder) is checked on a real wheel in tests/test_wheel.py
    from classifiers.paths import default_model_dir, models_root

    repository = Path(__file__).resolve().parents[2]
    settings = Settings.from_env()
    assert settings.database_url == "sqlite:///var/waspada.db" and settings.feeds_path == repository / "feeds.yaml"
    assert default_model_dir() == repository / "models" / "default" and models_root() == repository / "models"
    for name, value in {"WASPADA_DATA_DIR": str(tmp_path / "data"), "WASPADA_FEEDS": str(tmp_path / "sumber.yaml"),
                        "WASPADA_MODEL_DIR": str(tmp_path / "model")}.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'waspada.db'}"
    assert settings.feeds_path == tmp_path / "sumber.yaml" and default_model_dir() == tmp_path / "model"
    monkeypatch.setenv("WASPADA_DATA_DIR", " ")
    monkeypatch.setenv("WASPADA_FEEDS", "")
    settings = Settings.from_env()  # set but empty: the defaults, not the current folder
    assert settings.database_url == "sqlite:///var/waspada.db" and settings.feeds_path == repository / "feeds.yaml"
