"""trust and safety: roles, mutes, review status, flags, moderation log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 02:38:49.081900
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('moderation_actions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('moderator_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('review_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('worker_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['moderator_id'], ['workers.id'], name=op.f('fk_moderation_actions_moderator_id_workers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_moderation_actions_review_id_reviews'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_moderation_actions_worker_id_workers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_actions')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('moderation_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moderation_actions_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_actions_moderator_id'), ['moderator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_actions_review_id'), ['review_id'], unique=False)

    op.create_table('review_flags',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('review_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('worker_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_flags_review_id_reviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_review_flags_worker_id_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_flags')),
    sa.UniqueConstraint('review_id', 'worker_id', name=op.f('uq_review_flags_review_id_worker_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('review_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_flags_review_id'), ['review_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_flags_worker_id'), ['worker_id'], unique=False)

    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='visible', nullable=False))
        batch_op.add_column(sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_reviews_status', ['status'], unique=False)

    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('muted_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('mute_reason', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('mute_reason')
        batch_op.drop_column('muted_until')

    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_status')
        batch_op.drop_column('status_changed_at')
        batch_op.drop_column('status')

    with op.batch_alter_table('review_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_flags_worker_id'))
        batch_op.drop_index(batch_op.f('ix_review_flags_review_id'))

    op.drop_table('review_flags')
    with op.batch_alter_table('moderation_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderation_actions_review_id'))
        batch_op.drop_index(batch_op.f('ix_moderation_actions_moderator_id'))
        batch_op.drop_index(batch_op.f('ix_moderation_actions_created_at'))

    op.drop_table('moderation_actions')
