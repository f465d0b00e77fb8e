"""Lighter writes per new article: article_bands without a foreign key to articles, and articles without an index
on feed_id alone

Each new article writes 32 band rows, and the foreign key checked every one of them against articles (on
PostgreSQL a trigger query per row: 640 per document of 20 items, half the cost of the band insert). The rows
are written in the transaction that writes their article, articles are never deleted, and candidate lookup
joins articles, so the key guarded nothing. `ix_articles_feed_id` repeated the leading column of
`uq_articles_feed_guid`, which serves the same lookups.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _rebuild_bands(with_foreign_key: bool) -> None:
    """Create article_bands anew (SQLite cannot drop or add a foreign key in place) and copy its rows."""
    references = [sa.ForeignKey("articles.id", ondelete="CASCADE")] if with_foreign_key else []
    article_id = sa.Column("article_id", sa.Integer(), *references, nullable=False)
    op.create_table(
        "article_bands_rebuilt",
        sa.Column("band_key", sa.BigInteger(), nullable=False),
        article_id,
        sa.PrimaryKeyConstraint("band_key", "article_id"),
        sqlite_with_rowid=False,
    )
    op.execute("INSERT INTO article_bands_rebuilt (band_key, article_id) "
               "SELECT band_key, article_id FROM article_bands")
    op.drop_table("article_bands")
    op.rename_table("article_bands_rebuilt", "article_bands")


def _band_foreign_keys() -> list[str]:
    return [key["name"] for key in sa.inspect(op.get_bind()).get_foreign_keys("article_bands") if key["name"]]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_bands(with_foreign_key=False)
    else:
        for name in _band_foreign_keys():
            op.drop_constraint(name, "article_bands", type_="foreignkey")
    op.drop_index("ix_articles_feed_id", table_name="articles")


def downgrade() -> None:
    op.create_index("ix_articles_feed_id", "articles", ["feed_id"])
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_bands(with_foreign_key=True)
    else:
        op.create_foreign_key("article_bands_article_id_fkey", "article_bands", "articles", ["article_id"], ["id"],
                              ondelete="CASCADE")
