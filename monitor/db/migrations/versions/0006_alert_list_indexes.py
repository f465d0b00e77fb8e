"""alert list at scale: each place row carries its alert's first day (the level filter joins raised days to it
through one index); alerts carry the lowercased titles of their story's reports (the text filter reads one column)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade() -> None:
    # plain ALTER TABLE (see 0004): a batch rebuild of alerts on SQLite would cascade-delete its events
    op.add_column("alert_places", sa.Column("first_seen_day", sa.Date(), nullable=True))
    op.create_index("ix_alert_places_code_day", "alert_places", ["code", "first_seen_day", "alert_id"])
    op.add_column("alerts", sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    _fill_existing_alerts()


def _fill_existing_alerts() -> None:
    """Copy each alert's first day onto its place rows and gather its reports' titles."""
    bind = op.get_bind()
    alerts = sa.table("alerts", sa.column("id", sa.Integer()), sa.column("cluster_id", sa.Integer()),
                      sa.column("title", sa.Text()), sa.column("first_seen_day", sa.Date()),
                      sa.column("search_text", sa.Text()))
    places = sa.table("alert_places", sa.column("alert_id", sa.Integer()), sa.column("first_seen_day", sa.Date()))
    articles = sa.table("articles", sa.column("id", sa.Integer()), sa.column("cluster_id", sa.Integer()),
                        sa.column("title", sa.Text()), sa.column("published_at", sa.DateTime(timezone=True)))
    bind.execute(places.update().values(first_seen_day=sa.select(alerts.c.first_seen_day)
                                        .where(alerts.c.id == places.c.alert_id).scalar_subquery()))
    rows = bind.execute(sa.select(alerts.c.id, alerts.c.cluster_id, alerts.c.title).order_by(alerts.c.id)).all()
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        titles = defaultdict(list)
        for cluster_id, title in bind.execute(
                sa.select(articles.c.cluster_id, articles.c.title)
                .where(articles.c.cluster_id.in_([row.cluster_id for row in batch]))
                .order_by(articles.c.cluster_id, articles.c.published_at, articles.c.id)):
            titles[cluster_id].append(title)
        bind.execute(alerts.update().where(alerts.c.id == sa.bindparam("alert_id"))
                     .values(search_text=sa.bindparam("text")),
                     [{"alert_id": row.id, "text": search_text([row.title, *titles[row.cluster_id]])} for row in batch])


def search_text(titles: list[str]) -> str:
    """As monitor.alerts.generate writes it (kept here so the migration does not change with the code)."""
    return "\n".join(dict.fromkeys(title.strip().lower() for title in titles if title and title.strip()))


def downgrade() -> None:
    op.drop_column("alerts", "search_text")  # SQLite >= 3.35 drops a column in place
    op.drop_index("ix_alert_places_code_day", table_name="alert_places")
    op.drop_column("alert_places", "first_seen_day")
