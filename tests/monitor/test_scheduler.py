"""The monitor's scheduled jobs, run once each against a local feed server."""
from sqlalchemy import func, select

from monitor.db.models import Alert, ArticleClassification
from monitor.db.session import session_scope
from monitor.scheduler import build_scheduler, fetch_due_feeds, recompute_recent_levels
from tests.monitor.helpers import add_feed, fixture_bytes


def test_jobs_are_defined_in_code():
    jobs = {job.id: job for job in build_scheduler(None, None).get_jobs()}
    assert set(jobs) == {"fetch_due_feeds", "recompute_recent_levels"}
    assert jobs["fetch_due_feeds"].max_instances == 1


def test_a_tick_fetches_due_feeds_and_runs_the_deteksi_dini_stage(engine, settings, feed_server):
    add_feed(engine, "antara", feed_server.feed("/rss", fixture_bytes("antara_kalteng_terkini.xml")))
    fetch_due_feeds(engine, settings)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(ArticleClassification)) == 3
        assert session.scalar(select(func.count()).select_from(Alert)) == 1  # the Sebabi plasma dispute
    fetch_due_feeds(engine, settings)  # nothing is due any more: nothing fetched again
    assert len(feed_server.requests_to("/rss")) == 1
    recompute_recent_levels(engine)  # the daily job runs on its own (no new items needed)
