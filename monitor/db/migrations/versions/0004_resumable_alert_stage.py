"""resumable alert stage: stories waiting for an alert refresh; articles the classifier failed on

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: on SQLite a batch rebuild drops story_clusters, and with
# foreign keys enforced that drop empties articles.cluster_id and deletes every alert and plan link.
INDEX_WHERE: dict[str, Any] = {'postgresql_where': sa.text('needs_alert_refresh'),
                               'sqlite_where': sa.text('needs_alert_refresh = 1')}


def upgrade() -> None:
    op.add_column('story_clusters',
                  sa.Column('needs_alert_refresh', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index('ix_story_clusters_needs_alert_refresh', 'story_clusters', ['id'], unique=False, **INDEX_WHERE)

    # Every story with a classification is refreshed once: before this revision a stage killed
    # between classifying and alerting left stories without their alert, and nothing recorded which.
    clusters = sa.table('story_clusters', sa.column('id', sa.Integer()), sa.column('needs_alert_refresh', sa.Boolean()))
    articles = sa.table('articles', sa.column('id', sa.Integer()), sa.column('cluster_id', sa.Integer()))
    readings = sa.table('article_classifications', sa.column('article_id', sa.Integer()))
    classified = sa.select(articles.c.cluster_id).join(readings, readings.c.article_id == articles.c.id)
    op.execute(clusters.update().where(clusters.c.id.in_(classified)).values(needs_alert_refresh=sa.true()))

    op.create_table('classification_failures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('model_version', sa.String(length=100), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('article_id', 'model_version', name='uq_classification_failure_article_model')
    )


def downgrade() -> None:
    op.drop_table('classification_failures')
    op.drop_index('ix_story_clusters_needs_alert_refresh', table_name='story_clusters', **INDEX_WHERE)
    op.drop_column('story_clusters', 'needs_alert_refresh')  # SQLite >= 3.35 drops a column in place
