"""conflict events above copy clusters: events, their member clusters and matching keys; a copy cluster may follow
an earlier one; an analyst's correction of an alert is kept on the alert

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 2000
LEGACY_REASON = "peristiwa dari peringatan sebelum penautan peristiwa"


def upgrade() -> None:
    op.create_table(
        "conflict_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kabupaten", sa.JSON(), nullable=False),
        sa.Column("kecamatan", sa.JSON(), nullable=False),
        sa.Column("desa", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("actors", sa.JSON(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("follows_event_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["follows_event_id"], ["conflict_events.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_conflict_events_last_seen_at", "conflict_events", ["last_seen_at"])
    op.create_table(
        "conflict_event_members",
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("pinned_by", sa.String(length=80), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["story_clusters.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["conflict_events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("cluster_id"),
    )
    op.create_index("ix_conflict_event_members_event_id", "conflict_event_members", ["event_id"])
    op.create_table(
        "conflict_event_keys",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["conflict_events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", "place", "category"),
    )
    op.create_index("ix_conflict_event_keys_place_category", "conflict_event_keys", ["place", "category", "event_id"])
    # plain ALTER TABLE (see 0004): a batch rebuild on SQLite would cascade-delete alerts and their history
    op.add_column("story_clusters", sa.Column("follows_cluster_id", sa.Integer(), nullable=True))
    op.add_column("alerts", sa.Column("correction", sa.JSON(), nullable=True))
    _events_of_existing_alerts()
    _corrections_of_existing_alerts()


def _events_of_existing_alerts() -> None:
    """Each existing alert becomes an event of its one cluster, so every alert keeps its reports."""
    bind = op.get_bind()
    when = sa.DateTime(timezone=True)
    alerts = sa.table("alerts", sa.column("id", sa.Integer()), sa.column("cluster_id", sa.Integer()),
                      *(sa.column(name, sa.JSON()) for name in ("kabupaten", "kecamatan", "desa", "categories")),
                      sa.column("first_seen_at", when), sa.column("last_seen_at", when), sa.column("created_at", when))
    events = sa.table("conflict_events", sa.column("id", sa.Integer()), sa.column("first_seen_at", when),
                      sa.column("last_seen_at", when), sa.column("created_at", when),
                      *(sa.column(name, sa.JSON()) for name in ("kabupaten", "kecamatan", "desa", "categories",
                                                                 "actors", "terms")))
    members = sa.table("conflict_event_members", sa.column("cluster_id", sa.Integer()),
                       sa.column("event_id", sa.Integer()), sa.column("reason", sa.Text()),
                       sa.column("pinned_by", sa.String()), sa.column("joined_at", when))
    keys = sa.table("conflict_event_keys", sa.column("event_id", sa.Integer()), sa.column("place", sa.String()),
                    sa.column("category", sa.String()))
    rows = bind.execute(sa.select(alerts).order_by(alerts.c.id)).all()
    # the next stage pass refreshes these stories once, filling their events' actors and words for matching
    clusters = sa.table("story_clusters", sa.column("id", sa.Integer()), sa.column("needs_alert_refresh", sa.Boolean()))
    bind.execute(clusters.update().where(clusters.c.id.in_(sa.select(alerts.c.cluster_id))).values(needs_alert_refresh=True))
    next_id = 1
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        event_rows: list[dict] = []
        member_rows: list[dict] = []
        key_rows: list[dict] = []
        for row in batch:
            event_rows.append({"id": next_id, "first_seen_at": row.first_seen_at, "last_seen_at": row.last_seen_at,
                               "kabupaten": row.kabupaten, "kecamatan": row.kecamatan, "desa": row.desa,
                               "categories": row.categories, "actors": [], "terms": {}, "created_at": row.created_at})
            member_rows.append({"cluster_id": row.cluster_id, "event_id": next_id, "reason": LEGACY_REASON,
                                "pinned_by": "", "joined_at": row.created_at})
            places = [code for code in row.kabupaten if code.count(".") == 1] or ["62"]
            key_rows.extend({"event_id": next_id, "place": place, "category": category}
                            for place in sorted(set(places)) for category in sorted(set(row.categories)))
            next_id += 1
        bind.execute(events.insert(), event_rows)
        bind.execute(members.insert(), member_rows)
        if key_rows:
            bind.execute(keys.insert(), key_rows)
    if bind.dialect.name == "postgresql" and rows:  # ids were given explicitly: move the sequence past them
        bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('conflict_events', 'id'), :last)"),
                     {"last": next_id - 1})


def _corrections_of_existing_alerts() -> None:
    """An alert corrected before this revision keeps its latest correction (from its history) from now on."""
    bind = op.get_bind()
    history = sa.table("alert_events", sa.column("id", sa.Integer()), sa.column("alert_id", sa.Integer()),
                       sa.column("changes", sa.JSON()))
    alerts = sa.table("alerts", sa.column("id", sa.Integer()), sa.column("correction", sa.JSON()))
    latest: dict[int, dict] = {}
    for alert_id, changes in bind.execute(sa.select(history.c.alert_id, history.c.changes).order_by(history.c.id)):
        if changes and "categories" in changes and "kabupaten" in changes:
            latest[alert_id] = {"categories": changes["categories"][1], "kabupaten": changes["kabupaten"][1]}
    if latest:
        bind.execute(alerts.update().where(alerts.c.id == sa.bindparam("alert_id"))
                     .values(correction=sa.bindparam("value")),
                     [{"alert_id": alert_id, "value": value} for alert_id, value in latest.items()])


def downgrade() -> None:
    op.drop_column("alerts", "correction")  # SQLite >= 3.35 drops a column in place
    op.drop_column("story_clusters", "follows_cluster_id")
    op.drop_index("ix_conflict_event_keys_place_category", table_name="conflict_event_keys")
    op.drop_table("conflict_event_keys")
    op.drop_index("ix_conflict_event_members_event_id", table_name="conflict_event_members")
    op.drop_table("conflict_event_members")
    op.drop_index("ix_conflict_events_last_seen_at", table_name="conflict_events")
    op.drop_table("conflict_events")
