"""Small, exact report data for the report tests: the example Kotim and province plans, and alerts with their
reports, plan links and levels written straight into the tables (plain functions, no fixtures)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from monitor.db.models import (ActionRealisation, Alert, Article, EscalationLevel, Feed, PlanAction, PlanLink,
                               StoryCluster)
from tests.monitor.helpers import add_example_plans


def action_id(session, code: str) -> int:
    return session.scalar(select(PlanAction.id).where(PlanAction.code == code))


def add_story(session, title: str, at: datetime, kabupaten: list[str], *, link: str | None = None,
              kind: str = "alert", status: str = "baru", categories: tuple[str, ...] = ("perkebunan",),
              outlet: str = "Radar Sampit", url: str | None = None, alert: bool = True) -> int:
    """A story of one report (its feed made on first use); with `alert`, its alert; linked to action `link`.
    Returns the alert id (or the cluster id when `alert` is False)."""
    feed_id = outlet.lower().replace(" ", "-")
    if session.get(Feed, feed_id) is None:
        session.add(Feed(id=feed_id, name=outlet, url=f"https://{feed_id}.example.id/rss",
                         configured_url=f"https://{feed_id}.example.id/rss", outlet=outlet))
    cluster = StoryCluster(first_seen_at=at, last_seen_at=at)
    session.add(cluster)
    session.flush()
    url = url if url is not None else f"https://{feed_id}.example.id/berita/{cluster.id}"
    session.add(Article(feed_id=feed_id, guid=f"g{cluster.id}", url=url, canonical_url=url or f"guid:{cluster.id}",
                        title=title, published_at=at, content_hash=f"h{cluster.id}", cluster_id=cluster.id))
    if link is not None:
        session.add(PlanLink(cluster_id=cluster.id, action_id=action_id(session, link), kind=kind, matched_on="uji"))
    if not alert:
        session.flush()
        return cluster.id
    row = Alert(cluster_id=cluster.id, status=status, categories=list(categories), kabupaten=kabupaten, title=title,
                first_seen_at=at, last_seen_at=at, plan_gap=link is None, score=0.9)
    session.add(row)
    session.flush()
    return row.id


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def kotim_period(session) -> dict[str, int]:
    """The example plans, a B04 realisation of KOTIM-1 and a B12 one, a Kotim 'awas' day, and stories around B12:

    linked (in B12, one in its first WIB hour), gap (Kotim, no action), early (the last WIB hour of B08), dismissed,
    province (linked to PROV-7, about Kotim), elsewhere (Barsel, no action), and KOTIM-1's realisation news."""
    add_example_plans(session)
    session.flush()
    kotim_1 = session.get(PlanAction, action_id(session, "KOTIM-1"))
    kotim_1.target_b12 = "2 mediasi"
    kotim_1.realisations = [
        ActionRealisation(period="B04", realisasi="Rapat koordinasi", capaian_persen=100, kendala="", evidence=[]),
        ActionRealisation(period="B12", realisasi="Satu mediasi", capaian_persen=50, kendala="Anggaran",
                          evidence=["https://kesbangpol.example.id/bukti-1"]),
    ]
    session.add(EscalationLevel(day=date(2026, 11, 14), kabupaten="62.02", level="awas", count=5))
    session.add(EscalationLevel(day=date(2026, 11, 20), kabupaten="62.02", level="normal", count=0))
    ids = {
        "linked": add_story(session, "Warga blokade kebun sawit di Cempaga", utc(2026, 11, 14, 3), ["62.02"],
                            link="KOTIM-1"),
        "first_hour": add_story(session, "Petani plasma demo di Sampit", utc(2026, 8, 31, 17, 30), ["62.02"],
                                link="KOTIM-1", categories=("perkebunan", "unjuk_rasa")),
        "gap": add_story(session, "Sengketa tapal batas desa di Kotim", utc(2026, 10, 2, 5), ["62.02"],
                         categories=("batas_wilayah",)),
        "early": add_story(session, "Demo plasma sebelum periode", utc(2026, 8, 31, 16, 30), ["62.02"], link="KOTIM-1"),
        "dismissed": add_story(session, "Bukan konflik di Sampit", utc(2026, 10, 5, 5), ["62.02"], link="KOTIM-1",
                               status="bukan_konflik"),
        "province": add_story(session, "Mogok buruh kebun di Kotim", utc(2026, 12, 1, 2), ["62.02"], link="PROV-7",
                              categories=("ketenagakerjaan",)),
        "elsewhere": add_story(session, "Konflik lahan di Barsel", utc(2026, 10, 9, 2), ["62.04"]),
    }
    add_story(session, "Mediasi sengketa plasma di Cempaga berhasil", utc(2026, 11, 20, 2), [], link="KOTIM-1",
              kind="realisasi", outlet="Antara Kalteng", url="https://antara.example.id/mediasi", alert=False)
    return ids
