"""service.feeds: adding a source validates the would-be feeds.yaml before writing it; enabling and
disabling; health with items per day. The CLI and the web app both call these."""
from __future__ import annotations

import stat
from datetime import datetime, timedelta, timezone

import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from monitor.cli import app
from monitor.db.models import Article, AuditEntry, Feed
from monitor.db.session import session_scope
from monitor.feeds.registry import load_feeds
from monitor.service import feeds
from tests.conftest import Response
from tests.monitor.helpers import add_feed, cycle, fixture_bytes

ONE_FEED = {"feeds": [{"id": "ada", "name": "Ada", "url": "https://ada.example.id/rss", "outlet": "Ada", "region": "62"}]}


def _site(feed_server) -> str:
    feed_server.feed("/feed/", fixture_bytes("wordpress_kalteng.xml"))
    return feed_server.route("/", Response(body=fixture_bytes("site_page.html"),
                                           headers={"Content-Type": "text/html; charset=utf-8"}))


def test_a_bad_id_is_refused_and_feeds_yaml_stays_as_it_was(tmp_path, feed_server):
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump(ONE_FEED), encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    env = {"WASPADA_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "WASPADA_ALLOW_PRIVATE_NETWORKS": "1",
           "WASPADA_PER_HOST_MIN_GAP": "0", "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["feeds", "add", _site(feed_server), "--id", "Pos Sampit!", "--feeds", str(path)],
                                env=env)
    assert result.exit_code == 1, result.output
    assert "Id sumber 2-100 karakter" in result.output
    assert path.read_text(encoding="utf-8") == before
    assert [s.id for s in load_feeds(path)] == ["ada"]


def test_add_feed_writes_a_validated_file_keeping_its_mode_and_syncs_and_audits(engine, settings, feed_server):
    settings.feeds_path.write_text(yaml.safe_dump(ONE_FEED), encoding="utf-8")
    settings.feeds_path.chmod(0o640)
    result = feeds.add_feed(engine, settings, _site(feed_server), region="62.02", actor="admin", address="10.0.0.9")
    assert result == feeds.AddFeedResult(True, f"Ditambahkan: contoh-pos-sampit -> {feed_server.url('/feed/')} (2 item)",
                                         None, "contoh-pos-sampit", feed_server.url("/feed/"), 2)
    assert stat.S_IMODE(settings.feeds_path.stat().st_mode) == 0o640
    assert [p.name for p in settings.feeds_path.parent.iterdir() if p.name.startswith(".")] == []  # no copy left
    assert [s.id for s in load_feeds(settings.feeds_path)] == ["ada", "contoh-pos-sampit"]
    with session_scope(engine) as session:
        assert session.get(Feed, "contoh-pos-sampit").region == "62.02"
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "feed.add"))
        assert (entry.actor, entry.target, entry.address) == ("admin", "feed:contoh-pos-sampit", "10.0.0.9")


def test_a_broken_feeds_file_is_reported_not_appended_to(engine, settings, feed_server):
    settings.feeds_path.write_text("feeds:\n  - id: rusak\n", encoding="utf-8")
    result = feeds.add_feed(engine, settings, _site(feed_server))
    assert not result.ok and "bermasalah" in result.message
    assert settings.feeds_path.read_text(encoding="utf-8") == "feeds:\n  - id: rusak\n"
    assert feed_server.requests == []  # nothing was fetched for a file that cannot take the source


def test_enable_and_disable_survive_a_sync_of_feeds_yaml(engine, settings):
    settings.feeds_path.write_text(yaml.safe_dump(ONE_FEED), encoding="utf-8")
    add_feed(engine, "ada", "https://ada.example.id/rss")
    assert feeds.set_feed_enabled(engine, settings, "ada", False, actor="admin").ok
    from monitor.feeds.registry import sync_feeds

    with session_scope(engine) as session:
        sync_feeds(session, load_feeds(settings.feeds_path))  # what `waspada run` does at start
    with session_scope(engine) as session:
        assert not session.get(Feed, "ada").enabled
    assert feeds.set_feed_enabled(engine, settings, "ada", True, actor="admin").message == "Feed ada aktif lagi."
    with session_scope(engine) as session:
        sync_feeds(session, load_feeds(settings.feeds_path))
        assert session.get(Feed, "ada").enabled
    assert not feeds.set_feed_enabled(engine, settings, "tidak-ada", True).ok


def test_health_counts_items_per_day_over_seven_days(engine, settings, feed_server):
    add_feed(engine, "antara", feed_server.feed("/rss", fixture_bytes("antara_kalteng_terkini.xml")))
    cycle(engine, settings)
    with session_scope(engine) as session:
        old = session.scalars(select(Article).order_by(Article.id)).first()
        old.fetched_at = datetime.now(timezone.utc) - timedelta(days=8)  # outside the seven days
    with session_scope(engine) as session:
        [health] = feeds.feed_health(session)
    assert (health.id, health.enabled, health.items_per_day, health.error_count) == ("antara", True, round(2 / 7, 1), 0)
    assert health.last_success_at is not None and health.next_check_at is not None


def test_add_feed_works_from_a_thread_whose_event_loop_is_running(engine, settings, feed_server):
    import asyncio

    settings.feeds_path.write_text(yaml.safe_dump(ONE_FEED), encoding="utf-8")
    site = _site(feed_server)

    async def front_door():  # e.g. an async server, or a browser-driving test harness, calling the service
        return feeds.add_feed(engine, settings, site)

    assert asyncio.run(front_door()).ok


def test_a_file_the_new_entry_would_break_is_left_untouched(engine, settings, feed_server):
    # appending a block to a flow-style empty list ("feeds: []") would not be YAML: refused, not written
    settings.feeds_path.write_text("feeds: []\n", encoding="utf-8")
    result = feeds.add_feed(engine, settings, _site(feed_server))
    assert not result.ok and "akan menjadi tidak sah" in result.message
    assert settings.feeds_path.read_text(encoding="utf-8") == "feeds: []\n"
