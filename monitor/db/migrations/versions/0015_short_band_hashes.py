"""article_bands: band hashes cut to their first 16 hex digits (64 bits), halving the band-hash index that every
new article inserts 32 random entries into; candidates are verified by MinHash similarity, so the shorter hash
finds the same copies

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""
import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

SHORT = 16
BANDS = 32


def upgrade() -> None:
    op.execute(f"UPDATE article_bands SET band_hash = substr(band_hash, 1, {SHORT}) WHERE length(band_hash) > {SHORT}")


def downgrade() -> None:
    # the full SHA-1 of each band's slice of the stored signature (1,024 bytes: 32 bands of 32 bytes)
    connection = op.get_bind()
    update = sa.text("UPDATE article_bands SET band_hash = :band_hash WHERE article_id = :article_id AND band = :band")
    rows = connection.execute(sa.text("SELECT id, minhash FROM articles WHERE minhash IS NOT NULL"))
    for article_id, minhash in rows.fetchall():
        width = len(minhash) // BANDS
        connection.execute(update, [
            {"article_id": article_id, "band": band,
             "band_hash": hashlib.sha1(bytes(minhash[band * width : (band + 1) * width])).hexdigest()}
            for band in range(BANDS)
        ])
