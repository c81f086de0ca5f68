"""task identity normalized, account standing, aggregates weighed by who gives the evidence (issue 18)

Task titles now name a task type only after server/domain/identity.py `identity_title` (case, punctuation,
spacing, invisible characters, fullwidth forms, look-alike letters of other scripts): task types that are
now the same are merged into the oldest one, with every review, timing, imported review, revision, flag
and moderation entry kept. A worker who reviewed two of the merged task types keeps one review: the
newest visible one (else the newest), and the other becomes a revision of it (its content in the
revision's snapshot, with `merged_from`), its own revisions, flags and moderation entries moved to it.
Then every aggregate is recomputed under the new rules (server/domain/aggregate.py).

Downgrade drops the standing table; merged task types stay merged (nothing was lost, and the old keys
would name duplicates again).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 06:00:00.000000
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'account_standing',
        sa.Column('worker_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('requesters', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('history_requesters', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('compared', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('agreed', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_account_standing_worker_id_workers'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('worker_id', name=op.f('pk_account_standing')),
    )
    bind = op.get_bind()
    now = datetime.now(timezone.utc)
    merge_task_types(bind, now)
    recompute(bind, now)


def downgrade() -> None:
    op.drop_table('account_standing')


# --- merging task types that are now one -------------------------------------------------------------

task_types = sa.table('task_types', sa.column('id'), sa.column('requester_id'), sa.column('title'),
                      sa.column('title_key'), sa.column('reward_cents'), sa.column('currency'),
                      sa.column('latest_hit_set_id'), sa.column('stated_seconds'), sa.column('is_demo'))
reviews = sa.table('reviews', sa.column('id'), sa.column('worker_id'), sa.column('requester_id'),
                   sa.column('task_type_id'), sa.column('rating_pay'), sa.column('rating_fairness'),
                   sa.column('rating_speed'), sa.column('rating_communication'), sa.column('worked_seconds'),
                   sa.column('outcome'), sa.column('approval_seconds'), sa.column('bonus_cents'),
                   sa.column('flags', sa.JSON), sa.column('comment'), sa.column('is_demo'),
                   sa.column('created_at', sa.DateTime(timezone=True)),
                   sa.column('updated_at', sa.DateTime(timezone=True)), sa.column('status'))
review_revisions = sa.table('review_revisions', sa.column('id'), sa.column('review_id'),
                            sa.column('revised_at', sa.DateTime(timezone=True)), sa.column('snapshot', sa.JSON))
review_flags = sa.table('review_flags', sa.column('id'), sa.column('review_id'), sa.column('worker_id'))
moderation_actions = sa.table('moderation_actions', sa.column('id'), sa.column('review_id'))
timings = sa.table('timings', sa.column('id'), sa.column('worker_id'), sa.column('task_type_id'),
                   sa.column('seconds'), sa.column('outcome'), sa.column('created_at', sa.DateTime(timezone=True)))
imported_reviews = sa.table('imported_reviews', sa.column('id'), sa.column('task_type_id'))
source_task_type_stats = sa.table('source_task_type_stats', sa.column('source_id'), sa.column('task_type_id'))
task_type_stats = sa.table('task_type_stats', sa.column('task_type_id'), sa.column('samples'), sa.column('reviews'),
                           sa.column('summary', sa.JSON), sa.column('flag_counts', sa.JSON),
                           sa.column('updated_at', sa.DateTime(timezone=True)))
requester_stats = sa.table('requester_stats', sa.column('requester_id'), sa.column('reviews'),
                           sa.column('summary', sa.JSON), sa.column('ratings', sa.JSON), sa.column('rejections'),
                           sa.column('blocks'), sa.column('approval_seconds'), sa.column('median_hourly_cents'),
                           sa.column('recent', sa.JSON), sa.column('flag_counts', sa.JSON),
                           sa.column('updated_at', sa.DateTime(timezone=True)))
platform_stats = sa.table('platform_stats', sa.column('platform'), sa.column('n_completed'),
                          sa.column('sum_log_seconds'), sa.column('approved'), sa.column('decided'),
                          sa.column('ratings', sa.JSON), sa.column('updated_at', sa.DateTime(timezone=True)))
requesters = sa.table('requesters', sa.column('id'), sa.column('platform'), sa.column('is_demo'))
workers = sa.table('workers', sa.column('id'), sa.column('created_at', sa.DateTime(timezone=True)), sa.column('role'))
tombstones = sa.table('tombstones', sa.column('id'), sa.column('kind'), sa.column('ref_id'),
                      sa.column('deleted_at', sa.DateTime(timezone=True)))
dirty_requesters = sa.table('dirty_requesters', sa.column('requester_id'))

EDITABLE = ('worked_seconds', 'outcome', 'approval_seconds', 'bonus_cents', 'flags', 'comment')
DIMENSIONS = ('pay', 'fairness', 'speed', 'communication')


def _aware(moment: Any) -> datetime | None:
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _flags(stored: Any) -> list[str]:
    if isinstance(stored, str):
        stored = json.loads(stored or "[]")
    return list(stored or [])


def merge_task_types(bind: sa.Connection, now: datetime) -> dict[int, int]:
    """Merge task types whose titles now name one task type; re-key every title. Returns loser → survivor."""
    from server.domain.identity import identity_title  # noqa: PLC0415  # the rule this migration applies

    rows = bind.execute(sa.select(task_types).order_by(task_types.c.id)).mappings().all()
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in rows:
        groups[(row['requester_id'], identity_title(row['title']), row['reward_cents'], row['currency'])].append(row)
    merged: dict[int, int] = {}
    for members in groups.values():
        survivor, losers = members[0], members[1:]
        if losers:
            _merge(bind, survivor, losers, now)
            merged.update({loser['id']: survivor['id'] for loser in losers})
    for (_, key, _, _), members in groups.items():
        if members[0]['title_key'] != key:
            bind.execute(sa.update(task_types).where(task_types.c.id == members[0]['id']).values(title_key=key))
    return merged


def _merge(bind: sa.Connection, survivor: Any, losers: list[Any], now: datetime) -> None:
    keep_id = survivor['id']
    loser_ids = [loser['id'] for loser in losers]
    ids = [keep_id, *loser_ids]
    facts: dict[str, Any] = {}
    if survivor['latest_hit_set_id'] is None:
        facts['latest_hit_set_id'] = next((x['latest_hit_set_id'] for x in losers if x['latest_hit_set_id']), None)
    if survivor['stated_seconds'] is None:
        facts['stated_seconds'] = next((x['stated_seconds'] for x in losers if x['stated_seconds']), None)
    if any(v is not None for v in facts.values()):
        bind.execute(sa.update(task_types).where(task_types.c.id == keep_id)
                     .values(**{k: v for k, v in facts.items() if v is not None}))

    bind.execute(sa.update(timings).where(timings.c.task_type_id.in_(loser_ids)).values(task_type_id=keep_id))
    bind.execute(sa.update(imported_reviews).where(imported_reviews.c.task_type_id.in_(loser_ids))
                 .values(task_type_id=keep_id))
    has_source = set(bind.execute(sa.select(source_task_type_stats.c.source_id)
                                  .where(source_task_type_stats.c.task_type_id == keep_id)).scalars())
    for source_id, type_id in bind.execute(sa.select(source_task_type_stats.c.source_id,
                                                     source_task_type_stats.c.task_type_id)
                                           .where(source_task_type_stats.c.task_type_id.in_(loser_ids))).all():
        where = (source_task_type_stats.c.source_id == source_id) & (source_task_type_stats.c.task_type_id == type_id)
        if source_id in has_source:  # the source's next import states it again for the one task type
            bind.execute(sa.delete(source_task_type_stats).where(where))
        else:
            bind.execute(sa.update(source_task_type_stats).where(where).values(task_type_id=keep_id))
            has_source.add(source_id)

    # One review per worker per task type: the newest visible one stays, the others become its revisions.
    by_worker: dict[int, list[Any]] = defaultdict(list)
    for review in bind.execute(sa.select(reviews).where(reviews.c.task_type_id.in_(ids))).mappings().all():
        by_worker[review['worker_id']].append(review)
    titles = {row['id']: row['title'] for row in [survivor, *losers]}
    for found in by_worker.values():
        found.sort(key=lambda r: (r['status'] == 'visible', _aware(r['updated_at']), r['id']), reverse=True)
        kept, others = found[0], found[1:]
        if kept['task_type_id'] != keep_id:
            bind.execute(sa.update(reviews).where(reviews.c.id == kept['id']).values(task_type_id=keep_id))
        for other in others:
            _fold_review(bind, kept['id'], other, titles.get(other['task_type_id'], ''), now)

    published = set(bind.execute(sa.select(task_type_stats.c.task_type_id)
                                 .where(task_type_stats.c.task_type_id.in_(loser_ids))).scalars())
    bind.execute(sa.delete(task_type_stats).where(task_type_stats.c.task_type_id.in_(loser_ids)))
    bind.execute(sa.delete(task_types).where(task_types.c.id.in_(loser_ids)))
    gone = [type_id for type_id in loser_ids if type_id in published and not survivor['is_demo']]
    if gone:  # the open dump published their aggregates: importers learn they are gone
        bind.execute(sa.insert(tombstones), [{'kind': 'task_type', 'ref_id': type_id, 'deleted_at': now}
                                             for type_id in gone])


def _fold_review(bind: sa.Connection, kept_id: int, other: Any, title: str, now: datetime) -> None:
    """`other` becomes a revision of review `kept_id`; its revisions, flags and moderation entries move there."""
    snapshot: dict[str, Any] = {name: other[name] for name in EDITABLE}
    snapshot['flags'] = _flags(other['flags'])
    snapshot['ratings'] = {d: other[f'rating_{d}'] for d in DIMENSIONS}
    snapshot['updated_at'] = _aware(other['updated_at']).isoformat()  # type: ignore[union-attr]
    snapshot['merged_from'] = {'review_id': other['id'], 'task_title': title, 'status': other['status']}
    bind.execute(sa.insert(review_revisions).values(review_id=kept_id, revised_at=_aware(other['updated_at']),
                                                    snapshot=snapshot))
    bind.execute(sa.update(review_revisions).where(review_revisions.c.review_id == other['id'])
                 .values(review_id=kept_id))
    flagged = set(bind.execute(sa.select(review_flags.c.worker_id).where(review_flags.c.review_id == kept_id)).scalars())
    for flag_id, flagger in bind.execute(sa.select(review_flags.c.id, review_flags.c.worker_id)
                                         .where(review_flags.c.review_id == other['id'])).all():
        if flagger in flagged:  # one flag per worker per review: theirs on the kept review stands
            bind.execute(sa.delete(review_flags).where(review_flags.c.id == flag_id))
        else:
            bind.execute(sa.update(review_flags).where(review_flags.c.id == flag_id).values(review_id=kept_id))
            flagged.add(flagger)
    bind.execute(sa.update(moderation_actions).where(moderation_actions.c.review_id == other['id'])
                 .values(review_id=kept_id))
    if other['status'] == 'visible' and not other['is_demo']:
        bind.execute(sa.insert(tombstones).values(kind='review', ref_id=other['id'], deleted_at=now))
    bind.execute(sa.delete(reviews).where(reviews.c.id == other['id']))


# --- recomputing every aggregate under the new rules -----------------------------------------------------


def recompute(bind: sa.Connection, now: datetime) -> None:
    """What server/stats/refresh.py rebuild_all does, requester by requester on this connection (a migration
    runs synchronously): the stored aggregates then equal a recompute."""
    from server.domain.aggregate import OUTCOMES, PlatformSums, requester_aggregates, visible_reviews  # noqa: PLC0415
    from server.domain.weights import Standing  # noqa: PLC0415

    before_types = set(bind.execute(sa.select(task_type_stats.c.task_type_id)).scalars())
    before_requesters = set(bind.execute(sa.select(requester_stats.c.requester_id)).scalars())
    for table in (task_type_stats, requester_stats, platform_stats, dirty_requesters):
        bind.execute(sa.delete(table))
    standings = {worker_id: Standing(created_at=_aware(created_at), role=role)
                 for worker_id, created_at, role in bind.execute(sa.select(workers.c.id, workers.c.created_at,
                                                                            workers.c.role))}
    platforms: dict[str, PlatformSums] = {}
    demo: dict[int, bool] = {}
    for requester_id, platform, is_demo in bind.execute(sa.select(requesters).order_by(requesters.c.id)).all():
        demo[requester_id] = bool(is_demo)
        sums = platforms.setdefault(platform, PlatformSums())
        types = bind.execute(sa.select(task_types.c.id, task_types.c.reward_cents, task_types.c.title_key,
                                       task_types.c.currency).where(task_types.c.requester_id == requester_id)).all()
        rewards = {type_id: reward for type_id, reward, _, _ in types}
        families = {type_id: (key, currency) for type_id, _, key, currency in types}
        review_rows = bind.execute(
            sa.select(reviews.c.id, reviews.c.worker_id, reviews.c.requester_id, reviews.c.task_type_id,
                      reviews.c.rating_pay, reviews.c.rating_fairness, reviews.c.rating_speed,
                      reviews.c.rating_communication, reviews.c.worked_seconds, reviews.c.outcome,
                      reviews.c.approval_seconds, reviews.c.bonus_cents, reviews.c.updated_at, reviews.c.status,
                      sa.cast(reviews.c.flags, sa.Text), workers.c.created_at, workers.c.role)
            .join(workers, workers.c.id == reviews.c.worker_id)
            .where(reviews.c.requester_id == requester_id).order_by(reviews.c.id)).all()
        visible = visible_reviews([(*row[:12], _aware(row[12]), row[13], row[14], _aware(row[15]), row[16])
                                   for row in review_rows])
        timing_rows = [(type_id, worker_id, seconds, OUTCOMES.get(outcome, outcome), _aware(created))
                       for type_id, worker_id, seconds, outcome, created in bind.execute(
                           sa.select(timings.c.task_type_id, timings.c.worker_id, timings.c.seconds, timings.c.outcome,
                                     timings.c.created_at)
                           .join(task_types, task_types.c.id == timings.c.task_type_id)
                           .where(task_types.c.requester_id == requester_id).order_by(task_types.c.id, timings.c.id))]
        result = requester_aggregates(rewards, visible, timing_rows, now, standings, families)
        if result.task_types:
            bind.execute(sa.insert(task_type_stats), [{'task_type_id': type_id, **values}
                                                      for type_id, values in result.task_types.items()])
        if result.requester is not None:
            bind.execute(sa.insert(requester_stats).values(requester_id=requester_id, **result.requester))
        sums.add(result.summary, result.ratings)
    if platforms:
        bind.execute(sa.insert(platform_stats), [sums.row(platform, now) for platform, sums in platforms.items()])
    gone_types = before_types - set(bind.execute(sa.select(task_type_stats.c.task_type_id)).scalars())
    gone_types &= set(bind.execute(sa.select(task_types.c.id).join(requesters, requesters.c.id == task_types.c.requester_id)
                                   .where(requesters.c.is_demo.is_(False))).scalars())
    gone_requesters = {r for r in before_requesters - set(bind.execute(sa.select(requester_stats.c.requester_id)).scalars())
                       if not demo.get(r, True)}
    stones = ([{'kind': 'task_type', 'ref_id': i, 'deleted_at': now} for i in sorted(gone_types)]
              + [{'kind': 'requester', 'ref_id': i, 'deleted_at': now} for i in sorted(gone_requesters)])
    if stones:
        bind.execute(sa.insert(tombstones), stones)
