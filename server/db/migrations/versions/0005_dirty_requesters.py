"""dirty requesters: big requesters whose aggregates wait for the settler

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:00:00.000000
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dirty_requesters',
    sa.Column('requester_id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_dirty_requesters_requester_id_requesters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('requester_id', name=op.f('pk_dirty_requesters'))
    )


def downgrade() -> None:
    op.drop_table('dirty_requesters')
