"""web app and digest: stage marks, users, audit log, login throttling, set-up tokens, digest subscriptions and
deliveries; SQL indexes of alert places and categories and the alert's first day in WIB

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""
from datetime import UTC, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WIB = timezone(timedelta(hours=7))


def upgrade() -> None:
    op.create_table(
        "alert_places",
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("code", sa.String(length=20), primary_key=True),
    )
    op.create_index("ix_alert_places_code_alert", "alert_places", ["code", "alert_id"])
    op.create_table(
        "alert_categories",
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("category", sa.String(length=40), primary_key=True),
    )
    op.create_index("ix_alert_categories_category_alert", "alert_categories", ["category", "alert_id"])
    # plain ALTER TABLE (see 0004): a batch rebuild of alerts on SQLite would cascade-delete its events
    op.add_column("alerts", sa.Column("first_seen_day", sa.Date(), nullable=True))
    op.create_index("ix_alerts_first_seen_day", "alerts", ["first_seen_day"])
    op.create_index("ix_levels_place_category_day", "escalation_levels", ["kabupaten", "category", "day"])
    op.create_table(
        "stage_marks",
        sa.Column("name", sa.String(length=40), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, primary_key=True),
        sa.Column("username", sa.String(length=80), nullable=False, unique=True),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("region_code", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_login_failures_at", "login_failures", ["at"])
    op.create_index("ix_login_failures_username", "login_failures", ["username"])
    op.create_index("ix_login_failures_address", "login_failures", ["address"])
    op.create_table(
        "setup_tokens",
        sa.Column("token_sha256", sa.String(length=64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "digest_subscriptions",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("kabupaten", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
    )
    op.create_table(
        "digest_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("user_id", "day", name="uq_digest_deliveries_user_day"),
    )
    op.create_index("ix_digest_deliveries_user_id", "digest_deliveries", ["user_id"])
    _index_existing_alerts()


def _index_existing_alerts() -> None:
    """Fill the new indexes from the alerts already stored."""
    bind = op.get_bind()
    alerts = sa.table("alerts", sa.column("id"), sa.column("kabupaten", sa.JSON), sa.column("categories", sa.JSON),
                      sa.column("first_seen_at", sa.DateTime(timezone=True)), sa.column("first_seen_day", sa.Date))
    places = sa.table("alert_places", sa.column("alert_id"), sa.column("code"))
    categories = sa.table("alert_categories", sa.column("alert_id"), sa.column("category"))
    for alert_id, kabupaten, cats, first_seen in bind.execute(
            sa.select(alerts.c.id, alerts.c.kabupaten, alerts.c.categories, alerts.c.first_seen_at)).all():
        if first_seen.tzinfo is None:
            first_seen = first_seen.replace(tzinfo=UTC)
        bind.execute(alerts.update().where(alerts.c.id == alert_id)
                     .values(first_seen_day=first_seen.astimezone(WIB).date()))
        if kabupaten:
            bind.execute(places.insert(), [{"alert_id": alert_id, "code": code} for code in set(kabupaten)])
        if cats:
            bind.execute(categories.insert(), [{"alert_id": alert_id, "category": c} for c in set(cats)])


def downgrade() -> None:
    op.drop_table("digest_deliveries")
    op.drop_table("digest_subscriptions")
    op.drop_table("setup_tokens")
    op.drop_table("login_failures")
    op.drop_table("audit_log")
    op.drop_table("users")
    op.drop_table("stage_marks")
    op.drop_index("ix_levels_place_category_day", table_name="escalation_levels")
    op.drop_index("ix_alerts_first_seen_day", table_name="alerts")
    op.drop_column("alerts", "first_seen_day")
    op.drop_table("alert_categories")
    op.drop_table("alert_places")
