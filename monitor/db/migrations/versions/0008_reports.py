"""operators' RAD-PKS period reports: a report per region, year, period and version (at most one draft each),
the alerts attached to it and its follow-up and realisation per plan action; a submitted version keeps a frozen
JSON snapshot of its content

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), autoincrement=True, primary_key=True),
        sa.Column("region_code", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=3), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("previous_id", sa.Integer(), sa.ForeignKey("reports.id", ondelete="SET NULL"), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("signer_name", sa.Text(), nullable=False),
        sa.Column("signer_title", sa.Text(), nullable=False),
        sa.Column("signer_nip", sa.String(length=40), nullable=False),
        sa.Column("signed_place", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=80), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.UniqueConstraint("region_code", "year", "period", "version", name="uq_reports_region_period_version"),
    )
    op.create_index("uq_reports_one_draft", "reports", ["region_code", "year", "period"], unique=True,
                    postgresql_where=sa.text("status = 'draf'"), sqlite_where=sa.text("status = 'draf'"))
    op.create_table(
        "report_alerts",
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("prefilled", sa.Boolean(), nullable=False),
        sa.Column("added_by", sa.String(length=80), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_report_alerts_alert_id", "report_alerts", ["alert_id"])
    op.create_table(
        "report_actions",
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("plan_actions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tindak_lanjut", sa.Text(), nullable=False),
        sa.Column("realisasi", sa.Text(), nullable=False),
        sa.Column("capaian_persen", sa.Float(), nullable=True),
        sa.Column("kendala", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_report_actions_action_id", "report_actions", ["action_id"])


def downgrade() -> None:
    op.drop_table("report_actions")
    op.drop_table("report_alerts")
    op.drop_index("uq_reports_one_draft", table_name="reports")
    op.drop_table("reports")
