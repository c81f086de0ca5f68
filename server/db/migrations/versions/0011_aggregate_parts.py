"""aggregate parts: each task type's share of its requester's aggregates, and which parts a settle marker waits for

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-07 12:00:00.000000

Empty at first: a requester without parts is recomputed whole at its next write (and gets its parts then), and
`fairfinder recompute` builds every requester's (docs/architecture.md, "Aggregates"). Markers already waiting
have no parts listed, which means "every part".
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('task_type_parts',
    sa.Column('task_type_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('requester_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_task_type_parts_requester_id_requesters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_type_id'], ['task_types.id'], name=op.f('fk_task_type_parts_task_type_id_task_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_type_id', name=op.f('pk_task_type_parts'))
    )
    op.create_index(op.f('ix_task_type_parts_requester_id'), 'task_type_parts', ['requester_id'], unique=False)
    op.create_table('requester_parts',
    sa.Column('requester_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_requester_parts_requester_id_requesters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('requester_id', name=op.f('pk_requester_parts'))
    )
    with op.batch_alter_table('dirty_requesters') as batch_op:
        batch_op.add_column(sa.Column('parts', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('dirty_requesters') as batch_op:
        batch_op.drop_column('parts')
    op.drop_table('requester_parts')
    op.drop_index(op.f('ix_task_type_parts_requester_id'), table_name='task_type_parts')
    op.drop_table('task_type_parts')
