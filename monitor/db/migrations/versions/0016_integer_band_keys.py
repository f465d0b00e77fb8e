"""article_bands: one signed 64-bit key per band (`dedupe.band_keys`) leading the primary key, without a rowid on
SQLite, instead of a 16-hex-digit SHA-1 string beside (article, band) with an index of its own: each new article
writes its 32 band rows into one B-tree instead of three, and a quarter of the bytes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""
import hashlib
from collections.abc import Iterator

import numpy as np
import sqlalchemy as sa
from alembic import op

from monitor.feeds import dedupe

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BANDS = 32
SHORT = 16  # hex digits of the band hashes before this revision (see 0015)
CHUNK = 2000  # articles read per step: a large database's signatures never sit in memory at once


def _signature_chunks(connection) -> Iterator[list[tuple[int, bytes]]]:
    """The stored signatures as (article id, bytes), CHUNK articles at a time in id order."""
    query = sa.text("SELECT id, minhash FROM articles WHERE minhash IS NOT NULL AND id > :after ORDER BY id LIMIT :n")
    after = 0
    while chunk := [(article_id, bytes(minhash))
                    for article_id, minhash in connection.execute(query, {"after": after, "n": CHUNK})]:
        yield chunk
        after = chunk[-1][0]


def upgrade() -> None:
    op.drop_table("article_bands")
    op.create_table(
        "article_bands",
        sa.Column("band_key", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.PrimaryKeyConstraint("band_key", "article_id"),
        sqlite_with_rowid=False,
    )
    # the keys of the stored signatures, computed by the same function that computes new articles' keys
    connection = op.get_bind()
    insert = sa.text("INSERT INTO article_bands (band_key, article_id) VALUES (:band_key, :article_id) "
                     "ON CONFLICT DO NOTHING")
    for chunk in _signature_chunks(connection):
        keys = dedupe.band_keys(np.stack([dedupe.from_bytes(minhash) for _, minhash in chunk]))
        connection.execute(insert, [{"band_key": key, "article_id": article_id}
                                    for (article_id, _), row in zip(chunk, keys.tolist(), strict=True) for key in row])


def downgrade() -> None:
    op.drop_table("article_bands")
    op.create_table(
        "article_bands",
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("band_hash", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "band"),
    )
    op.create_index("ix_article_bands_band_hash", "article_bands", ["band_hash"])
    # the first 16 hex digits of the SHA-1 of each band's slice of the stored signature, as 0015 left them
    connection = op.get_bind()
    insert = sa.text("INSERT INTO article_bands (article_id, band, band_hash) VALUES (:article_id, :band, :band_hash)")
    for chunk in _signature_chunks(connection):
        connection.execute(insert, [
            {"article_id": article_id, "band": band,
             "band_hash": hashlib.sha1(minhash[band * width : (band + 1) * width]).hexdigest()[:SHORT]}
            for article_id, minhash in chunk for width in [len(minhash) // BANDS] for band in range(BANDS)
        ])
