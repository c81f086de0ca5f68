"""page reports: anonymous page-shape reports from the extension (a new table only; nothing else changes)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 03:36:11.745108
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('page_reports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('page', sa.String(length=16), nullable=False),
    sa.Column('problem', sa.String(length=16), nullable=False),
    sa.Column('extension_version', sa.String(length=24), nullable=False),
    sa.Column('browser', sa.String(length=16), nullable=False),
    sa.Column('schema_version', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('probes', sa.JSON(), nullable=False),
    sa.Column('elements', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_page_reports')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('page_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_page_reports_day'), ['day'], unique=False)
        batch_op.create_index('ix_page_reports_fingerprint_day', ['fingerprint', 'day'], unique=False)
        batch_op.create_index('ix_page_reports_platform_day', ['platform', 'day'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('page_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_page_reports_platform_day')
        batch_op.drop_index('ix_page_reports_fingerprint_day')
        batch_op.drop_index(batch_op.f('ix_page_reports_day'))

    op.drop_table('page_reports')
