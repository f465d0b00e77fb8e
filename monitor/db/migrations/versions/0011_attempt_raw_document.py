"""raw bytes before parsing: each fetch attempt names the raw document it received, kept even when
parsing or storing failed, so `waspada reprocess` can read it again

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE (see 0004), never a batch rebuild on SQLite, which is also why the column has no
    # foreign key (SQLite cannot add one to an existing table): raw documents are never deleted
    op.add_column("fetch_attempts", sa.Column("raw_document_id", sa.Integer(), nullable=True))
    op.create_index("ix_fetch_attempts_raw_document_id", "fetch_attempts", ["raw_document_id"])
    # attempts stored before this revision: the raw document their articles name
    op.execute("""
        UPDATE fetch_attempts SET raw_document_id = (
            SELECT MIN(articles.raw_document_id) FROM articles WHERE articles.fetch_attempt_id = fetch_attempts.id)
    """)


def downgrade() -> None:
    op.drop_index("ix_fetch_attempts_raw_document_id", table_name="fetch_attempts")
    op.drop_column("fetch_attempts", "raw_document_id")
