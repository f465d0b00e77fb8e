"""article_bands: index the band hash alone, so candidate lookup is an index search, not a scan

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_article_bands_band_hash", "article_bands", ["band_hash"])
    op.drop_index("ix_article_bands_band", table_name="article_bands")


def downgrade() -> None:
    op.create_index("ix_article_bands_band", "article_bands", ["band", "band_hash"])
    op.drop_index("ix_article_bands_band_hash", table_name="article_bands")
