"""stage failures: a story or event the alert stage failed on is recorded, skipped and retried a bounded
number of times, so one poison item never stops the stage; an index on a feed's attempts by id, so its latest
attempt is found without sorting its history

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stage_failures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("stage", "item_id", name="uq_stage_failures_stage_item"),
    )
    op.create_index("ix_fetch_attempts_feed_id_id", "fetch_attempts", ["feed_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_fetch_attempts_feed_id_id", table_name="fetch_attempts")
    op.drop_table("stage_failures")
