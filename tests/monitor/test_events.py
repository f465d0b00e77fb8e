"""Conflict events above copy clusters, through the real pipeline (saved feeds, the shipped model, SQLite and PostgreSQL):
rewrites of one event by three outlets are one alert, two disputes in one town are two, a dispute flaring up
months later is a new alert linked to the first; analysts' merges, splits and corrections survive re-runs."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from monitor.alerts.levels import LevelSettings
from monitor.alerts.lifecycle import LifecycleError
from monitor.cli import app
from monitor.config import ParseSettings
from monitor.db.models import Alert, AuditEntry, ConflictEvent, EscalationLevel, EventMember, StoryCluster
from monitor.db.session import session_scope
from monitor.service.alerts import alert_detail, correct
from monitor.service.audit import entries
from monitor.service.events import STAGE_BUSY, event_change, merge_alerts, split_report
from monitor.service.flow import recompute_levels, relink, stage_pass
from monitor.service.paging import PageRequest
from tests.monitor.event_stories import BLOCKADE, DAY, FLARE_UP, LAND_CLAIM, WIB, at, publish, publish_blockade

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def alerts(engine) -> list[Alert]:
    with session_scope(engine) as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def detail(engine, alert_id: int):
    with session_scope(engine) as session:
        return alert_detail(session, alert_id)


def test_three_outlets_rewriting_one_blockade_are_one_alert_with_three_sources_and_one_count(engine, tmp_path):
    publish_blockade(engine, tmp_path)
    done = stage_pass(engine)
    assert done.alerts.joined == 2  # the second and third outlet joined the first one's event
    [alert] = alerts(engine)
    assert alert.n_sources == 3 and alert.kabupaten == ["62.02"] and "perkebunan" in alert.categories
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(StoryCluster)) == 3  # three texts, no copies
        assert session.scalar(select(func.count()).select_from(ConflictEvent)) == 1
    shown = detail(engine, alert.id)
    assert sorted(a.outlet for a in shown.articles) == ["Borneo Pos", "Kabar Kalteng", "Warta Sampit"]
    assert all(a.url.startswith("https://") for a in shown.articles)
    first, *joined = shown.articles
    assert first.reason == "laporan pertama peristiwa ini"
    for article in joined:
        assert "tempat 62.02" in article.reason and "PT Sawit Makmur Abadi" in article.reason
        assert "kemiripan 0." in article.reason and "perkebunan" in article.reason
    # the levels count the event once, not once per outlet: with an expected 0.6 stories in the window and a
    # threshold of 0.35, one story is no signal (P(X >= 1) = 0.45) while two or three would be (P(X >= 2) = 0.12)
    sensitive = LevelSettings(alpha=0.35, places_tested=1)
    recompute_levels(engine, DAY - timedelta(days=3), DAY + timedelta(days=2), sensitive)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(EscalationLevel)) == 0
    with event_change(engine) as session:  # the same rule raises Kotim once the analyst says they are two events
        split_report(session, alert.id, joined[-1].id, "analis.kotim")
    recompute_levels(engine, DAY - timedelta(days=3), DAY + timedelta(days=2), sensitive)
    with session_scope(engine) as session:
        raised = session.scalars(select(EscalationLevel).where(EscalationLevel.day == DAY, EscalationLevel.category == "")).all()
    assert [(r.kabupaten, r.count) for r in raised] == [("62.02", 2)] and raised[0].level == "siaga"  # a blockade


def test_two_disputes_in_one_town_on_one_day_are_two_alerts(engine, tmp_path):
    site, outlet, title, text = BLOCKADE[0]
    publish(engine, tmp_path, site, outlet, "blokade", title, text, at(DAY, 8))
    publish(engine, tmp_path, "warta", "Warta Sampit", "patok", *LAND_CLAIM, at(DAY, 10))
    stage_pass(engine)
    found = alerts(engine)
    assert len(found) == 2 and all(a.kabupaten == ["62.02"] and a.n_sources == 1 for a in found)
    assert {"PT Sawit Makmur Abadi" in a.title for a in found} == {True, False}


def test_a_dispute_flaring_up_months_later_is_a_new_alert_linked_to_the_first(engine, tmp_path):
    publish_blockade(engine, tmp_path)
    stage_pass(engine)
    later = DAY + timedelta(days=150)
    publish(engine, tmp_path, "kabar", "Kabar Kalteng", "kembali", *FLARE_UP, at(later))
    stage_pass(engine)
    first, second = alerts(engine)
    assert (first.n_sources, second.n_sources) == (3, 1) and second.status == "baru"
    assert second.first_seen_at == at(later).astimezone(timezone.utc)
    assert detail(engine, second.id).follows == first.id
    assert detail(engine, first.id).followed_by == (second.id,)
    assert "mirip peristiwa sebelumnya" in detail(engine, second.id).articles[0].reason


def test_a_copy_returning_after_the_cluster_window_is_a_new_event_of_its_own_year(engine, tmp_path):
    site, outlet, title, text = BLOCKADE[0]
    limits = ParseSettings(cluster_window_days=14)
    publish(engine, tmp_path, site, outlet, "lama", title, text, at(date(2025, 12, 20)), limits)
    publish(engine, tmp_path, "warta", "Warta Sampit", "salin", title, text, at(date(2025, 12, 27)), limits)  # a copy within the window
    stage_pass(engine)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(StoryCluster)) == 1
    publish(engine, tmp_path, "borneo", "Borneo Pos", "ulang", title, text, at(date(2026, 12, 21)), limits)  # a year later
    stage_pass(engine)
    with session_scope(engine) as session:
        old, new = session.scalars(select(StoryCluster).order_by(StoryCluster.id)).all()
        assert (old.size, new.size, new.follows_cluster_id) == (2, 1, old.id)
    first, second = alerts(engine)
    assert first.first_seen_at.astimezone(WIB).year == 2025 and second.first_seen_at.astimezone(WIB).year == 2026
    assert detail(engine, second.id).follows == first.id and second.n_sources == 1
    assert "jendela salinan" in detail(engine, second.id).articles[0].reason


def _audit_actions(engine, alert_id: int) -> list[str]:
    with session_scope(engine) as session:
        return [e.action for e in entries(session, PageRequest(1, 50), f"alert:{alert_id}").items]


def test_an_analyst_merges_and_splits_events_and_a_rerun_keeps_both(engine, tmp_path):
    publish_blockade(engine, tmp_path)
    stage_pass(engine)
    [alert] = alerts(engine)
    # split the Borneo Pos report out: its own alert, recorded on both
    borneo = next(a for a in detail(engine, alert.id).articles if a.outlet == "Borneo Pos")
    with event_change(engine) as session:
        new_id = split_report(session, alert.id, borneo.id, "analis.kotim", "laporan lain")
    assert new_id is not None and len(alerts(engine)) == 2
    assert [a.id for a in detail(engine, new_id).articles] == [borneo.id]
    assert "dipisahkan oleh analis.kotim" in detail(engine, new_id).articles[0].reason
    assert detail(engine, alert.id).row.n_sources == 2
    assert _audit_actions(engine, alert.id) == ["alert.split"]
    # a full re-run (every story, as after a plan import) keeps the split
    relink(engine)
    stage_pass(engine)
    assert len(alerts(engine)) == 2 and detail(engine, new_id).row.n_sources == 1
    # merging them back gives one alert with every source and both histories
    with event_change(engine) as session:
        merge_alerts(session, alert.id, new_id, "analis.kotim", "ternyata sama")
    [merged] = alerts(engine)
    assert merged.id == alert.id and merged.n_sources == 3
    history = detail(engine, alert.id).history
    assert any(h.note == "dipisahkan dari peringatan #%d" % alert.id for h in history)  # the other alert's history moved
    assert history[-1].changes == {"merged": new_id}
    relink(engine)
    assert len(alerts(engine)) == 1 and alerts(engine)[0].n_sources == 3
    assert _audit_actions(engine, alert.id) == ["alert.merge", "alert.split"]
    with session_scope(engine) as session:
        assert set(session.scalars(select(EventMember.pinned_by))) == {"", "analis.kotim"}


def test_merge_and_split_from_the_cli_with_refusals(engine, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("WASPADA_EVENT_LINKING", "tidak")  # the stage as before events: one alert per text
    site, outlet, title, text = BLOCKADE[0]
    publish(engine, tmp_path, site, outlet, "blokade", title, text, at(DAY, 8))
    publish(engine, tmp_path, "warta", "Warta Sampit", "blokade", *BLOCKADE[1][2:], at(DAY, 9))
    stage_pass(engine)
    first, second = alerts(engine)
    env = {"WASPADA_DATABASE_URL": db_url, "COLUMNS": "200"}
    merged = runner.invoke(app, ["alerts", "merge", str(first.id), str(second.id), "--by", "analis.kotim"], env=env)
    assert merged.exit_code == 0, merged.output
    assert f"Peringatan #{second.id} digabung ke peringatan #{first.id}" in merged.output
    shown = runner.invoke(app, ["alerts", "show", str(first.id)], env=env)
    assert "Warta Sampit" in shown.output and "digabung oleh analis.kotim" in shown.output
    stage_pass(engine)
    assert [a.id for a in alerts(engine)] == [first.id]
    report = next(a for a in detail(engine, first.id).articles if a.outlet == "Warta Sampit")
    split = runner.invoke(app, ["alerts", "split", str(first.id), "--article", str(report.id), "--by", "analis.kotim"], env=env)
    assert split.exit_code == 0 and "menjadi peringatan #" in split.output, split.output
    assert len(alerts(engine)) == 2
    again = runner.invoke(app, ["alerts", "merge", str(first.id), str(first.id), "--by", "analis.kotim"], env=env)
    assert again.exit_code == 1 and "dirinya sendiri" in again.output
    only = runner.invoke(app, ["alerts", "split", str(first.id), "--article", str(report.id), "--by", "x"], env=env)
    assert only.exit_code == 1 and "bukan laporan" in only.output
    with session_scope(engine) as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["alert.merge", "alert.split"]


@contextmanager
def _stage_held_elsewhere(db_url: str, start: Path) -> Iterator[dict]:
    """Another process holds the alert-stage lock until `<start>.release` exists; the yielded dict gets the
    moment it let go ("releasing_at") once the block ends."""
    holder = subprocess.Popen([sys.executable, "-m", "tests.monitor.worker_process", "hold-stage", db_url, str(start)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    released: dict = {}
    try:
        start.touch()
        assert json.loads(holder.stdout.readline() or "{}") == {"held": True}, holder.stderr.read()
        yield released
        out, err = holder.communicate(timeout=60)
    finally:
        Path(f"{start}.release").touch()
        holder.wait(timeout=60)
    assert holder.returncode == 0, err
    released["releasing_at"] = datetime.fromtimestamp(json.loads(out.strip().splitlines()[-1])["releasing_at"], UTC)


def _invoke_until_released(db_url: str, start: Path, args: list[str]):
    """Run a CLI command that waits for the held lock; the holder lets go after one second."""
    let_go = threading.Timer(1.0, Path(f"{start}.release").touch)
    let_go.start()
    result = runner.invoke(app, args, env={"WASPADA_DATABASE_URL": db_url, "COLUMNS": "200"})
    let_go.join()
    return result


def test_a_merge_waits_for_the_stage_lock_of_another_process_and_is_refused_while_it_is_held(engine, db_url, tmp_path,
                                                                                          monkeypatch):
    """Merge and split take the alert-stage lock a stage pass holds: while another process holds it a merge is
    refused after its wait (nothing changed, the reason in Indonesian); the CLI's merge waits for it to go."""
    monkeypatch.setenv("WASPADA_EVENT_LINKING", "tidak")  # two alerts to merge
    site, outlet, title, text = BLOCKADE[0]
    publish(engine, tmp_path, site, outlet, "blokade", title, text, at(DAY, 8))
    publish(engine, tmp_path, "warta", "Warta Sampit", "blokade", *BLOCKADE[1][2:], at(DAY, 9))
    stage_pass(engine)
    first, second = alerts(engine)
    start = tmp_path / "start"
    with _stage_held_elsewhere(db_url, start) as released:
        with pytest.raises(LifecycleError) as refused, event_change(engine, wait_seconds=0.3) as session:
            merge_alerts(session, first.id, second.id, "analis.kotim")
        assert str(refused.value) == STAGE_BUSY and "tahap deteksi dini sedang berjalan" in STAGE_BUSY
        assert len(alerts(engine)) == 2
        merged = _invoke_until_released(db_url, start, ["alerts", "merge", str(first.id), str(second.id),
                                                        "--by", "analis.kotim"])
    assert merged.exit_code == 0, merged.output
    assert [a.id for a in alerts(engine)] == [first.id]
    assert detail(engine, first.id).history[-1].at >= released["releasing_at"]  # merged only once the holder let go


def test_a_status_change_waits_for_the_stage_lock_like_a_merge(engine, db_url, tmp_path):
    """A status change recomputes levels, so it waits for a stage pass another process runs, then goes through."""
    site, outlet, title, text = BLOCKADE[0]
    publish(engine, tmp_path, site, outlet, "blokade", title, text, at(DAY, 8))
    stage_pass(engine)
    [alert] = alerts(engine)
    start = tmp_path / "start"
    with _stage_held_elsewhere(db_url, start) as released:
        changed = _invoke_until_released(db_url, start, ["alerts", "status", str(alert.id), "bukan_konflik",
                                                         "--by", "analis.kotim"])
    assert changed.exit_code == 0, changed.output
    last = detail(engine, alert.id).history[-1]
    assert last.at >= released["releasing_at"]  # changed only once the holder let go


def test_an_analysts_correction_survives_later_stage_runs(engine, tmp_path):
    site, outlet, title, text = BLOCKADE[0]
    publish(engine, tmp_path, site, outlet, "blokade", title, text, at(DAY, 8))
    stage_pass(engine)
    [alert] = alerts(engine)
    with session_scope(engine) as session:
        correct(session, alert.id, "analis.kotim", ["perkebunan"], ["62.02", "62.06"], ("perkebunan", "lahan"))
    publish(engine, tmp_path, "warta", "Warta Sampit", "blokade", *BLOCKADE[1][2:], at(DAY, 9))  # a rewrite joins
    stage_pass(engine)
    relink(engine)
    [after] = alerts(engine)
    assert (after.categories, after.kabupaten, after.n_sources) == (["perkebunan"], ["62.02", "62.06"], 2)


@pytest.mark.parametrize("variable, value", [("WASPADA_EVENT_WINDOW_DAYS", "-1"), ("WASPADA_CLUSTER_WINDOW_DAYS", "0"),
                                             ("WASPADA_EVENT_MIN_SIMILARITY", "banyak")])
def test_event_settings_refuse_unusable_values(monkeypatch, variable, value):
    from monitor.config import EventSettings, Settings, SettingsError

    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        EventSettings.from_env()
        Settings.from_env()


def test_the_digest_lists_every_outlet_and_link_of_an_event(engine, tmp_path):
    from monitor.digest.compose import compose_digest
    from monitor.digest.render import render_digest_email_html, render_digest_text

    publish_blockade(engine, tmp_path)
    stage_pass(engine)
    with session_scope(engine) as session:
        digest = compose_digest(session, DAY + timedelta(days=1), base_url="https://waspada.example.id")
    [item] = digest.alerts
    assert [outlet for outlet, _link in item.sources] == ["Kabar Kalteng", "Warta Sampit", "Borneo Pos"]
    text, page = render_digest_text(digest), render_digest_email_html(digest)
    for site, outlet, _title, _text in BLOCKADE:
        link = f"https://{site}.example.id/berita/blokade-{DAY}"
        assert f"  - {outlet}: {link}\n" in text and f'href="{link}"' in page
