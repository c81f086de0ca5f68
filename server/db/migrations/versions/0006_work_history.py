"""work history: the worker's own platform history (MTurk status_details, Prolific submissions)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 12:00:00.000000
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('work_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('worker_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('assignment_id', sa.String(length=128), nullable=False),
    sa.Column('task_id', sa.String(length=128), nullable=True),
    sa.Column('requester_id', sa.String(length=128), nullable=False),
    sa.Column('requester_name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('reward_cents', sa.Integer(), nullable=False),
    sa.Column('bonus_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('work_date', sa.Date(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('requester_feedback', sa.Text(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_work_history_worker_id_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_history')),
    sa.UniqueConstraint('worker_id', 'platform', 'assignment_id', name=op.f('uq_work_history_worker_id_platform_assignment_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('work_history', schema=None) as batch_op:
        batch_op.create_index('ix_work_history_worker_day', ['worker_id', 'work_date'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('work_history', schema=None) as batch_op:
        batch_op.drop_index('ix_work_history_worker_day')

    op.drop_table('work_history')
