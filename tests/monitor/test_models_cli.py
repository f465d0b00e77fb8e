"""`waspada models list|train|promote|rollback` in-process on a fresh SQLite file: a small candidate is trained,
refused promotion (worse on the frozen set), promoted with --paksa/--force and a reason (audited), listed,
and rolled back to the shipped model."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import monitor.models_cli
from classifiers.paths import default_model_dir
from monitor.cli import app
from monitor.db.models import AuditEntry
from monitor.db.session import open_database, session_scope
from monitor.terminal import PlainConsole

DEFAULT_VERSION = json.loads((default_model_dir() / "card.json").read_text())["version"]  # the environment's model


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """`cli(*args)` runs `waspada` in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(monitor.models_cli, "console", PlainConsole(width=300, no_color=True))
    monkeypatch.setattr(monitor.models_cli, "err_console", PlainConsole(width=300, no_color=True, stderr=True))
    env = {"WASPADA_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "WASPADA_MODELS_ROOT": str(tmp_path / "models"),
           "COLUMNS": "300"}

    def run(*args: str):
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    run.db_url = env["WASPADA_DATABASE_URL"]
    run.models_root = tmp_path / "models"
    return run


def _listed(cli) -> list[dict]:
    code, out, _err = cli("models", "list", "--format", "jsonl")
    assert code == 0
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_train_promote_with_force_and_reason_then_roll_back(cli):
    code, out, _ = cli("models", "list")
    assert code == 0 and f"Tidak ada model aktif di registri: dipakai model bawaan '{DEFAULT_VERSION}'" in out

    code, out, _ = cli("models", "train", "--by", "analis", "--max-items", "60")
    assert code == 0 and "[100%] Kandidat" in out and "Kandidat lebih buruk pada set beku: F1" in out
    [candidate] = _listed(cli)
    assert candidate["status"] == "candidate" and candidate["compared_with"] == DEFAULT_VERSION
    assert candidate["path"].startswith(str(cli.models_root))  # written under WASPADA_MODELS_ROOT

    code, _, err = cli("models", "promote", candidate["version"], "--by", "analis")
    assert code == 1 and "lebih buruk pada set evaluasi beku" in err
    code, _, err = cli("models", "promote", candidate["version"], "--by", "analis", "--paksa")
    assert code == 1 and "wajib disertai alasan" in err
    assert _listed(cli)[0]["status"] == "candidate"

    code, out, _ = cli("models", "promote", candidate["version"], "--by", "analis", "--force", "--reason",
                       "uji paksa dari CLI", "--dari", "2026-10-01", "--sampai", "2026-11-30")
    assert code == 0, out
    assert f"Model {candidate['version']} sekarang aktif (dipaksa: uji paksa dari CLI)." in out
    assert f"Skor ulang selesai: 0 berita dibaca ulang dengan {candidate['version']}" in out
    [active] = _listed(cli)
    assert active["status"] == "active" and active["promoted_by"] == "analis"
    code, out, _ = cli("models", "list")
    assert candidate["version"] in out and "aktif" in out and "Tidak ada model aktif" not in out

    code, out, _ = cli("models", "rollback", "--by", "analis", "--alasan", "kembali")
    assert code == 0 and f"Model {DEFAULT_VERSION} aktif kembali." in out
    assert _listed(cli)[0]["status"] == "retired"
    code, _, err = cli("models", "rollback", "--by", "analis")
    assert code == 1 and "tidak ada model aktif di registri" in err

    engine = open_database(cli.db_url)
    with session_scope(engine) as session:
        entries = [(e.action, e.actor, e.details.get("override"), e.details.get("reason"))
                   for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    engine.dispose()
    assert entries == [("model.promote", "analis", True, "uji paksa dari CLI"),
                       ("model.rollback", "analis", None, "kembali")]


def test_unknown_versions_and_bad_dates_are_refused(cli):
    code, _, err = cli("models", "promote", "cat-tidak-ada", "--by", "analis")
    assert code == 1 and "versi model 'cat-tidak-ada' tidak ada di registri" in err
    code, _, err = cli("models", "promote", "cat-tidak-ada", "--by", "analis", "--dari", "kemarin")
    assert code == 2 and "--dari harus berupa tanggal" in err
    code, _, err = cli("models", "list", "--format", "xml")
    assert code == 2
