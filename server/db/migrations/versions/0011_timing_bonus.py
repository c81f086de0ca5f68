"""bonuses: a timing can carry the bonus its submission was paid; history read by requester (issue 18 item 7)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:40:00.000000

Existing rows: every stored timing gets bonus_cents NULL ("no bonus known"), never 0: nothing recorded a bonus
for them, and aggregation treats an unknown bonus differently from a known "no bonus" (server/domain/bonus.py).
work_history gains an index on (platform, requester_id): aggregation now reads a requester's captured history
items for their bonuses. The downgrade drops the index and the column: bonuses sent with timings since the
upgrade are lost with it (the timings themselves stay).
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('timings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bonus_cents', sa.Integer(), nullable=True))
    with op.batch_alter_table('work_history', schema=None) as batch_op:
        batch_op.create_index('ix_work_history_platform_requester', ['platform', 'requester_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('work_history', schema=None) as batch_op:
        batch_op.drop_index('ix_work_history_platform_requester')
    with op.batch_alter_table('timings', schema=None) as batch_op:
        batch_op.drop_column('bonus_cents')
