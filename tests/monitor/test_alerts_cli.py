"""The alert commands on the demo database: list, show, status, levels, coverage, rescore."""
import json

import pytest
from typer.testing import CliRunner

from monitor.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo')}/demo.db"
    result = runner.invoke(app, ["demo"], env={"WASPADA_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert "peringatan baru" in result.output and "celah rencana" in result.output
    return {"WASPADA_DATABASE_URL": url, "COLUMNS": "200"}


def invoke(env, *args):
    return runner.invoke(app, list(args), env=env)


def test_alerts_list_as_jsonl_with_filters(demo_db):
    everything = [json.loads(line) for line in invoke(demo_db, "alerts", "list", "--format", "jsonl").output.splitlines()]
    kotim = [json.loads(line) for line in invoke(demo_db, "alerts", "list", "--format", "jsonl", "--kabupaten", "62.02").output.splitlines()]
    recent = [json.loads(line) for line in invoke(demo_db, "alerts", "list", "--format", "jsonl", "--since", "2026-11-12").output.splitlines()]
    raised = [json.loads(line) for line in invoke(demo_db, "alerts", "list", "--format", "jsonl", "--level", "siaga").output.splitlines()]
    assert len(everything) > len(kotim) >= 6
    assert all("62.02" in a["kabupaten"] for a in kotim)
    assert all(a["first_seen"] >= "2026-11-11" for a in recent) and len(recent) < len(everything)
    assert raised and all("62.02" in a["kabupaten"] for a in raised)
    assert {"id", "status", "categories", "kabupaten", "score", "evidence", "sources", "actions", "plan_gap"} <= set(everything[0])


def test_alerts_show_and_status_changes(demo_db):
    shown = invoke(demo_db, "alerts", "show", "1")
    assert shown.exit_code == 0 and "Peringatan #1" in shown.output and "Sumber" in shown.output
    assert invoke(demo_db, "alerts", "status", "1", "ditinjau", "--by", "operator.kotim", "--note", "dicek").exit_code == 0
    refused = invoke(demo_db, "alerts", "status", "1", "baru", "--by", "operator.kotim")
    assert refused.exit_code == 1 and "tidak bisa berubah" in refused.output
    assert "operator.kotim" in invoke(demo_db, "alerts", "show", "1").output
    assert invoke(demo_db, "alerts", "show", "9999").exit_code == 1


def test_levels_coverage_and_rescore(demo_db):
    levels = invoke(demo_db, "levels", "--date", "2026-11-14")
    assert levels.exit_code == 0 and "Awas" in levels.output and "Kotawaringin Timur" in levels.output
    assert "Awas" not in invoke(demo_db, "levels", "--date", "2026-11-25").output
    assert invoke(demo_db, "levels", "--date", "14-11-2026").exit_code == 2
    coverage = invoke(demo_db, "coverage")
    assert coverage.exit_code == 0 and "Kabupaten Sukamara" in coverage.output
    rescored = invoke(demo_db, "rescore", "--since", "2026-11-01", "--until", "2026-11-30")
    assert rescored.exit_code == 0 and "0 peringatan baru" in rescored.output
