"""community sharing: sources, imported reviews and their aggregates, tombstones for the open dump, job runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 01:49:35.942334
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('job_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('job', sa.String(length=100), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index('ix_job_runs_job_started', ['job', 'started_at'], unique=False)

    op.create_table('sources',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('etag', sa.String(length=200), nullable=True),
    sa.Column('cursor', sa.String(length=200), nullable=True),
    sa.Column('last_import_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_full_import_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sources')),
    sa.UniqueConstraint('name', name=op.f('uq_sources_name')),
    sqlite_autoincrement=True
    )
    op.create_table('tombstones',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ref_id', sa.BigInteger(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tombstones')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('tombstones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tombstones_deleted_at'), ['deleted_at'], unique=False)

    op.create_table('source_requester_stats',
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('requester_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reviews', sa.Integer(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('ratings', sa.JSON(), nullable=False),
    sa.Column('rejections', sa.Integer(), nullable=False),
    sa.Column('blocks', sa.Integer(), nullable=False),
    sa.Column('approval_seconds', sa.Float(), nullable=True),
    sa.Column('median_hourly_cents', sa.Float(), nullable=True),
    sa.Column('recent', sa.JSON(), nullable=False),
    sa.Column('flag_counts', sa.JSON(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_source_requester_stats_requester_id_requesters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_source_requester_stats_source_id_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('source_id', 'requester_id', name=op.f('pk_source_requester_stats'))
    )
    with op.batch_alter_table('source_requester_stats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_requester_stats_requester_id'), ['requester_id'], unique=False)

    op.create_table('imported_reviews',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('requester_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task_type_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('rating_pay', sa.Integer(), nullable=True),
    sa.Column('rating_fairness', sa.Integer(), nullable=True),
    sa.Column('rating_speed', sa.Integer(), nullable=True),
    sa.Column('rating_communication', sa.Integer(), nullable=True),
    sa.Column('worked_seconds', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('approval_seconds', sa.Integer(), nullable=True),
    sa.Column('bonus_cents', sa.Integer(), nullable=True),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_imported_reviews_requester_id_requesters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_imported_reviews_source_id_sources'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_type_id'], ['task_types.id'], name=op.f('fk_imported_reviews_task_type_id_task_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imported_reviews')),
    sa.UniqueConstraint('source_id', 'external_id', name=op.f('uq_imported_reviews_source_id_external_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('imported_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_imported_reviews_requester_id_desc', ['requester_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_imported_reviews_task_type_id'), ['task_type_id'], unique=False)

    op.create_table('source_task_type_stats',
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task_type_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('samples', sa.Integer(), nullable=False),
    sa.Column('reviews', sa.Integer(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('flag_counts', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_source_task_type_stats_source_id_sources'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_type_id'], ['task_types.id'], name=op.f('fk_source_task_type_stats_task_type_id_task_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('source_id', 'task_type_id', name=op.f('pk_source_task_type_stats'))
    )
    with op.batch_alter_table('source_task_type_stats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_task_type_stats_task_type_id'), ['task_type_id'], unique=False)

    with op.batch_alter_table('requester_stats', schema=None) as batch_op:
        batch_op.create_index('ix_requester_stats_updated_at', ['updated_at'], unique=False)

    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_updated_at', ['updated_at'], unique=False)

    with op.batch_alter_table('task_type_stats', schema=None) as batch_op:
        batch_op.create_index('ix_task_type_stats_updated_at', ['updated_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('task_type_stats', schema=None) as batch_op:
        batch_op.drop_index('ix_task_type_stats_updated_at')

    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_updated_at')

    with op.batch_alter_table('requester_stats', schema=None) as batch_op:
        batch_op.drop_index('ix_requester_stats_updated_at')

    with op.batch_alter_table('source_task_type_stats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_task_type_stats_task_type_id'))

    op.drop_table('source_task_type_stats')
    with op.batch_alter_table('imported_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_imported_reviews_task_type_id'))
        batch_op.drop_index('ix_imported_reviews_requester_id_desc')

    op.drop_table('imported_reviews')
    with op.batch_alter_table('source_requester_stats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_requester_stats_requester_id'))

    op.drop_table('source_requester_stats')
    with op.batch_alter_table('tombstones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tombstones_deleted_at'))

    op.drop_table('tombstones')
    op.drop_table('sources')
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_job_runs_job_started')

    op.drop_table('job_runs')

