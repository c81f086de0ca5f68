"""reviews by time: an index on reviews(requester_id, created_at, id) (issue 19 item 4)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 11:10:00.000000

A requester's reviews are listed newest first by (created_at, id) (GET /api/v1/reviews, the /r page's reviews):
this index serves that read, where (requester_id, id) no longer can. Adds an index only: no row changes, and the
downgrade drops it again.
"""
from __future__ import annotations

from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_requester_time', ['requester_id', 'created_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_requester_time')
