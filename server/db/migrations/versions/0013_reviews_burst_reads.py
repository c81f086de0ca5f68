"""reviews read by the burst check: indexes on reviews(worker_id, requester_id, updated_at) and
reviews(requester_id, updated_at) (issue 16)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 14:05:00.000000

Every review with evidence counts its author's reviews of the requester in the last 24 hours
(server/reviews/service.py hold_burst). Once 0012 gave SQLite a second index that starts with requester_id,
its planner (with no statistics) walked the requester's whole index for that count: 1.5 s a review for a
requester with 120,000 reviews, 2 reviews/s in bench/ingest.py. These indexes match the two burst reads
exactly. Adds indexes only: no row changes, and the downgrade drops them again.
"""
from __future__ import annotations

from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_worker_requester_time', ['worker_id', 'requester_id', 'updated_at'],
                              unique=False)
        batch_op.create_index('ix_reviews_requester_updated', ['requester_id', 'updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_requester_updated')
        batch_op.drop_index('ix_reviews_worker_requester_time')
