"""facts: requester name votes, where each work history row comes from (issue 18 items 3, 4)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 12:00:00.000000

Existing rows:
* requester_name_votes: none are invented. A requester keeps the name it has until sources vote (a vote then
  weighs against the others; server/domain/names.py).
* work_history.source: every existing row becomes "self_reported". Nothing recorded how a row arrived, and a
  certificate must never call hand-entered work captured from the platform; the extension's next history sync
  sends the platform's pages again and marks the rows they hold "platform_page".
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('requester_name_votes',
    sa.Column('id', BigId, nullable=False),
    sa.Column('requester_id', BigId, nullable=False),
    sa.Column('worker_id', BigId, nullable=True),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_requester_name_votes_requester_id_requesters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_requester_name_votes_worker_id_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requester_name_votes')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('requester_name_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requester_name_votes_worker_id'), ['worker_id'], unique=False)
        batch_op.create_index('uq_requester_name_votes_worker', ['requester_id', 'worker_id'], unique=True,
                              sqlite_where=sa.text('worker_id IS NOT NULL'), postgresql_where=sa.text('worker_id IS NOT NULL'))
        batch_op.create_index('uq_requester_name_votes_anonymous', ['requester_id', 'day', 'name'], unique=True,
                              sqlite_where=sa.text('worker_id IS NULL'), postgresql_where=sa.text('worker_id IS NULL'))
    with op.batch_alter_table('work_history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), server_default='self_reported', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('work_history', schema=None) as batch_op:
        batch_op.drop_column('source')
    with op.batch_alter_table('requester_name_votes', schema=None) as batch_op:
        batch_op.drop_index('uq_requester_name_votes_anonymous', sqlite_where=sa.text('worker_id IS NULL'),
                            postgresql_where=sa.text('worker_id IS NULL'))
        batch_op.drop_index('uq_requester_name_votes_worker', sqlite_where=sa.text('worker_id IS NOT NULL'),
                            postgresql_where=sa.text('worker_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_requester_name_votes_worker_id'))
    op.drop_table('requester_name_votes')
