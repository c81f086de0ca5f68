"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 23:58:24.918316
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('platform_stats',
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('n_completed', sa.Integer(), nullable=False),
    sa.Column('sum_log_seconds', sa.Float(), nullable=False),
    sa.Column('approved', sa.Integer(), nullable=False),
    sa.Column('decided', sa.Integer(), nullable=False),
    sa.Column('ratings', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('platform', name=op.f('pk_platform_stats'))
    )
    op.create_table('requesters',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requesters')),
    sa.UniqueConstraint('platform', 'external_id', name=op.f('uq_requesters_platform_external_id')),
    sqlite_autoincrement=True
    )
    op.create_table('workers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('handle', sa.String(length=40), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workers')),
    sa.UniqueConstraint('handle', name=op.f('uq_workers_handle')),
    sqlite_autoincrement=True
    )
    op.create_table('requester_stats',
    sa.Column('requester_id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('reviews', sa.Integer(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('ratings', sa.JSON(), nullable=False),
    sa.Column('rejections', sa.Integer(), nullable=False),
    sa.Column('blocks', sa.Integer(), nullable=False),
    sa.Column('approval_seconds', sa.Float(), nullable=True),
    sa.Column('median_hourly_cents', sa.Float(), nullable=True),
    sa.Column('recent', sa.JSON(), nullable=False),
    sa.Column('flag_counts', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_requester_stats_requester_id_requesters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('requester_id', name=op.f('pk_requester_stats'))
    )
    op.create_table('saved_filters',
    sa.Column('worker_id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_saved_filters_worker_id_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('worker_id', name=op.f('pk_saved_filters'))
    )
    op.create_table('task_types',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('requester_id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('title_key', sa.String(length=500), nullable=False),
    sa.Column('reward_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('latest_hit_set_id', sa.String(length=128), nullable=True),
    sa.Column('stated_seconds', sa.Integer(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_task_types_requester_id_requesters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_types')),
    sa.UniqueConstraint('requester_id', 'title_key', 'reward_cents', 'currency', name=op.f('uq_task_types_requester_id_title_key_reward_cents_currency')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('task_types', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_types_requester_id'), ['requester_id'], unique=False)

    op.create_table('tokens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('worker_id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_tokens_worker_id_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_tokens_token_hash')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tokens_worker_id'), ['worker_id'], unique=False)

    op.create_table('worker_platform_ids',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('worker_id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('id_hmac', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_worker_platform_ids_worker_id_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_platform_ids')),
    sa.UniqueConstraint('platform', 'id_hmac', name=op.f('uq_worker_platform_ids_platform_id_hmac')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('worker_platform_ids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_platform_ids_worker_id'), ['worker_id'], unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('worker_id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('requester_id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('task_type_id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
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
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['requesters.id'], name=op.f('fk_reviews_requester_id_requesters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_type_id'], ['task_types.id'], name=op.f('fk_reviews_task_type_id_task_types'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_reviews_worker_id_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_requester_id_desc', ['requester_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_task_type_id'), ['task_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_worker_id'), ['worker_id'], unique=False)
        batch_op.create_index('uq_reviews_worker_requester', ['worker_id', 'requester_id'], unique=True, sqlite_where=sa.text('task_type_id IS NULL'), postgresql_where=sa.text('task_type_id IS NULL'))
        batch_op.create_index('uq_reviews_worker_task', ['worker_id', 'task_type_id'], unique=True, sqlite_where=sa.text('task_type_id IS NOT NULL'), postgresql_where=sa.text('task_type_id IS NOT NULL'))

    op.create_table('task_type_stats',
    sa.Column('task_type_id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('samples', sa.Integer(), nullable=False),
    sa.Column('reviews', sa.Integer(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('flag_counts', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_type_id'], ['task_types.id'], name=op.f('fk_task_type_stats_task_type_id_task_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_type_id', name=op.f('pk_task_type_stats'))
    )
    op.create_table('timings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('worker_id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('task_type_id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('assignment_id', sa.String(length=128), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_type_id'], ['task_types.id'], name=op.f('fk_timings_task_type_id_task_types'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_timings_worker_id_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timings')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('timings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timings_task_type_id'), ['task_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timings_worker_id'), ['worker_id'], unique=False)
        batch_op.create_index('uq_timings_worker_assignment', ['worker_id', 'assignment_id'], unique=True, sqlite_where=sa.text('assignment_id IS NOT NULL'), postgresql_where=sa.text('assignment_id IS NOT NULL'))

    op.create_table('review_revisions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('review_id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column('revised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_revisions_review_id_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_revisions')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('review_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_revisions_review_id'), ['review_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('review_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_revisions_review_id'))

    op.drop_table('review_revisions')
    with op.batch_alter_table('timings', schema=None) as batch_op:
        batch_op.drop_index('uq_timings_worker_assignment', sqlite_where=sa.text('assignment_id IS NOT NULL'), postgresql_where=sa.text('assignment_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_timings_worker_id'))
        batch_op.drop_index(batch_op.f('ix_timings_task_type_id'))

    op.drop_table('timings')
    op.drop_table('task_type_stats')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('uq_reviews_worker_task', sqlite_where=sa.text('task_type_id IS NOT NULL'), postgresql_where=sa.text('task_type_id IS NOT NULL'))
        batch_op.drop_index('uq_reviews_worker_requester', sqlite_where=sa.text('task_type_id IS NULL'), postgresql_where=sa.text('task_type_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_reviews_worker_id'))
        batch_op.drop_index(batch_op.f('ix_reviews_task_type_id'))
        batch_op.drop_index('ix_reviews_requester_id_desc')

    op.drop_table('reviews')
    with op.batch_alter_table('worker_platform_ids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_platform_ids_worker_id'))

    op.drop_table('worker_platform_ids')
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tokens_worker_id'))

    op.drop_table('tokens')
    with op.batch_alter_table('task_types', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_types_requester_id'))

    op.drop_table('task_types')
    op.drop_table('saved_filters')
    op.drop_table('requester_stats')
    op.drop_table('workers')
    op.drop_table('requesters')
    op.drop_table('platform_stats')

