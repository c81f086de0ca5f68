"""Typed SQLAlchemy models. The schema itself is owned by the Alembic migrations in ./migrations."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always gives back aware UTC datetimes (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identities. Tables say
# sqlite_autoincrement so that the id of a deleted row is never handed out again (clients keep ids).
BigId = BigInteger().with_variant(Integer(), "sqlite")


# Named constraints, so later migrations can alter them (SQLite batch mode needs the names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


class Worker(Base):
    __tablename__ = "workers"

    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    handle: Mapped[str] = mapped_column(String(40), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="worker")  # worker | moderator | admin
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A moderator can mute a worker for a period: no reviews, edits or flags until then.
    muted_until: Mapped[datetime | None] = mapped_column(default=None)
    mute_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Set when the worker deleted their account but chose to leave their reviews, anonymized.
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class AccountStanding(Base):
    """What an account's weight rests on beyond its age and role (server/domain/weights.py Standing): kept by
    the scheduler's standing job (server/stats/standing.py). No row: nothing found yet (its age alone counts)."""

    __tablename__ = "account_standing"

    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True)
    requesters: Mapped[int] = mapped_column(Integer, default=0)  # distinct requesters its evidence is about
    history_requesters: Mapped[int] = mapped_column(Integer, default=0)  # … in platform history it imported
    compared: Mapped[int] = mapped_column(Integer, default=0)  # task types its timings met 2+ other accounts' on
    agreed: Mapped[int] = mapped_column(Integer, default=0)  # … where its typical time agreed with theirs
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkerPlatformId(Base):
    """A worker's platform ID, only ever as an HMAC keyed with the server secret."""

    __tablename__ = "worker_platform_ids"
    __table_args__ = (UniqueConstraint("platform", "id_hmac"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    id_hmac: Mapped[str] = mapped_column(String(64))


class Token(Base):
    __tablename__ = "tokens"

    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # A browser's sign-in (a one-time link, the web account form) ends with its cookie; a worker's own token never.
    expires_at: Mapped[datetime | None] = mapped_column(default=None)


class SignInLink(Base):
    """A one-time sign-in link (POST /api/v1/me/sign-in-links): only the code's hash is kept; it lives about a
    minute and works once (used_at), then the row waits to be purged."""

    __tablename__ = "sign_in_links"
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), index=True)
    next_path: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class Requester(Base):
    __tablename__ = "requesters"
    __table_args__ = (UniqueConstraint("platform", "external_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200), default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequesterNameVote(Base):
    """A name some source gave a requester (server/domain/names.py chooses the shown one from these): a signed-in
    account's current name for it (one row per account), or an anonymous page's name on one day (one row per name
    and day). The account's row goes with the account."""

    __tablename__ = "requester_name_votes"
    __table_args__ = (
        Index("uq_requester_name_votes_worker", "requester_id", "worker_id", unique=True,
              sqlite_where=text("worker_id IS NOT NULL"), postgresql_where=text("worker_id IS NOT NULL")),
        Index("uq_requester_name_votes_anonymous", "requester_id", "day", "name", unique=True,
              sqlite_where=text("worker_id IS NULL"), postgresql_where=text("worker_id IS NULL")),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id", ondelete="CASCADE"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), index=True)
    day: Mapped[date | None] = mapped_column(Date, default=None)  # anonymous sightings only (UTC day)
    name: Mapped[str] = mapped_column(String(200))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskType(Base):
    """What reviews and timings attach to: (requester, title, reward). Batches come and go; this stays."""

    __tablename__ = "task_types"
    __table_args__ = (UniqueConstraint("requester_id", "title_key", "reward_cents", "currency"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    title_key: Mapped[str] = mapped_column(String(500))
    reward_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    latest_hit_set_id: Mapped[str | None] = mapped_column(String(128), default=None)
    stated_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    requester: Mapped[Requester] = relationship(lazy="raise")


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        # one review per worker per task type, or per requester when no task type is named
        Index("uq_reviews_worker_task", "worker_id", "task_type_id", unique=True,
              sqlite_where=text("task_type_id IS NOT NULL"), postgresql_where=text("task_type_id IS NOT NULL")),
        Index("uq_reviews_worker_requester", "worker_id", "requester_id", unique=True,
              sqlite_where=text("task_type_id IS NULL"), postgresql_where=text("task_type_id IS NULL")),
        Index("ix_reviews_requester_id_desc", "requester_id", "id"),
        Index("ix_reviews_requester_time", "requester_id", "created_at", "id"),  # a requester's reviews, newest first
        # the burst check's two reads (server/reviews/queries.py own_reviews_since, requester_reviews_since)
        Index("ix_reviews_worker_requester_time", "worker_id", "requester_id", "updated_at"),
        Index("ix_reviews_requester_updated", "requester_id", "updated_at"),
        Index("ix_reviews_updated_at", "updated_at"),
        Index("ix_reviews_status", "status"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id", ondelete="CASCADE"))
    task_type_id: Mapped[int | None] = mapped_column(ForeignKey("task_types.id", ondelete="CASCADE"), index=True)
    rating_pay: Mapped[int | None] = mapped_column(Integer, default=None)
    rating_fairness: Mapped[int | None] = mapped_column(Integer, default=None)
    rating_speed: Mapped[int | None] = mapped_column(Integer, default=None)
    rating_communication: Mapped[int | None] = mapped_column(Integer, default=None)
    worked_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    approval_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    bonus_cents: Mapped[int | None] = mapped_column(Integer, default=None)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # visible: counts and is shown | held: part of a burst, waits for a moderator | hidden: by moderation.
    # Only visible reviews feed aggregates, the open dump and the Turkopticon API (server/moderation).
    status: Mapped[str] = mapped_column(String(16), default="visible", server_default="visible")
    status_changed_at: Mapped[datetime | None] = mapped_column(default=None)


class ReviewFlag(Base):
    """A worker's report that a review breaks the rules. One per worker per review."""

    __tablename__ = "review_flags"
    __table_args__ = (UniqueConstraint("review_id", "worker_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # server/domain/moderation.py FLAG_REASONS
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)  # a moderator decided on the review


class ModerationAction(Base):
    """The moderation log: who hid, restored, held, released or muted what, when and why."""

    __tablename__ = "moderation_actions"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    action: Mapped[str] = mapped_column(String(24))  # hide | restore | hold | dismiss | mute | unmute
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"), index=True)  # None: automatic
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id", ondelete="SET NULL"), index=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))  # a muted worker
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ReviewRevision(Base):
    """The review as it was before an edit, so edits stay visible."""

    __tablename__ = "review_revisions"

    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    revised_at: Mapped[datetime] = mapped_column(default=utcnow)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)


class Timing(Base):
    """A measured piece of work from the extension. Private to its worker; only aggregates are shared."""

    __tablename__ = "timings"
    __table_args__ = (
        Index("uq_timings_worker_assignment", "worker_id", "assignment_id", unique=True,
              sqlite_where=text("assignment_id IS NOT NULL"), postgresql_where=text("assignment_id IS NOT NULL")),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), index=True)
    task_type_id: Mapped[int] = mapped_column(ForeignKey("task_types.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[str | None] = mapped_column(String(128), default=None)
    accepted_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    seconds: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(16))
    # The bonus this submission was paid, in whole cents, when the worker's page showed it; None: not known.
    bonus_cents: Mapped[int | None] = mapped_column(Integer, default=None)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkHistoryItem(Base):
    """One task from the worker's own platform history (MTurk status_details, Prolific submissions), imported
    by the extension (server/history/). Private to its worker like timings; kept until they delete it, so a
    work certificate can cover years. Times measured by a matching timing are copied in at import, because raw
    timings are purged after FAIRFINDER_TIMINGS_RETENTION_DAYS."""

    __tablename__ = "work_history"
    __table_args__ = (
        UniqueConstraint("worker_id", "platform", "assignment_id"),
        Index("ix_work_history_worker_day", "worker_id", "work_date"),
        # Aggregation reads a requester's captured history for its bonuses (server/stats/refresh.py).
        Index("ix_work_history_platform_requester", "platform", "requester_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    assignment_id: Mapped[str] = mapped_column(String(128))  # MTurk assignment id, Prolific submission id
    task_id: Mapped[str | None] = mapped_column(String(128), default=None)  # MTurk HIT id, Prolific study id
    requester_id: Mapped[str] = mapped_column(String(128))
    requester_name: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(500))
    reward_cents: Mapped[int] = mapped_column(Integer)
    bonus_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(16))  # pending | approved | rejected | returned | screened_out
    work_date: Mapped[date] = mapped_column(Date)  # the platform's day (MTurk's status_details date)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    requester_feedback: Mapped[str] = mapped_column(Text, default="")
    # How its values arrived (docs/certificate.md): "platform_page" from a raw page of the platform's own history
    # (the extension's sync), "self_reported" from normalized items (typed, or made by any client). A certificate
    # says which of its tasks are which, or leaves the self-reported ones out.
    source: Mapped[str] = mapped_column(String(16), default="self_reported", server_default="self_reported")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskTypeStats(Base):
    """Kept current in the transaction of every review/timing write, so annotate only looks it up."""

    __tablename__ = "task_type_stats"
    __table_args__ = (Index("ix_task_type_stats_updated_at", "updated_at"),)

    task_type_id: Mapped[int] = mapped_column(ForeignKey("task_types.id", ondelete="CASCADE"), primary_key=True)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # pay.SampleSummary
    flag_counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequesterStats(Base):
    __tablename__ = "requester_stats"
    __table_args__ = (Index("ix_requester_stats_updated_at", "updated_at"),)

    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id", ondelete="CASCADE"), primary_key=True)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # pay.SampleSummary over all its samples
    ratings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {dimension: [n, sum]}
    rejections: Mapped[int] = mapped_column(Integer, default=0)
    blocks: Mapped[int] = mapped_column(Integer, default=0)
    approval_seconds: Mapped[float | None] = mapped_column(Float, default=None)  # median time to approval
    median_hourly_cents: Mapped[float | None] = mapped_column(Float, default=None)  # median over its task types
    recent: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # last 90 days: reviews, rejections, blocks
    flag_counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DirtyRequester(Base):
    """A big requester written since its aggregates were last settled (server/stats/settle.py)."""

    __tablename__ = "dirty_requesters"

    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id", ondelete="CASCADE"), primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)  # the first write not settled: how stale it may be
    changes: Mapped[int] = mapped_column(Integer, default=1)  # bumped by every write: the settler sees one it missed


class PlatformStats(Base):
    """Sums over a platform's requesters: the prior that small samples are pulled toward."""

    __tablename__ = "platform_stats"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    n_completed: Mapped[int] = mapped_column(Integer, default=0)
    sum_log_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    approved: Mapped[int] = mapped_column(Integer, default=0)
    decided: Mapped[int] = mapped_column(Integer, default=0)
    ratings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {dimension: [n, sum]}
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SavedFilters(Base):
    __tablename__ = "saved_filters"

    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- community sharing (server/community) ----------------------------------------------------------


class Source(Base):
    """Another community's ratings this server imports: a peer Fairfinder dump, a Turkopticon API, a CSV."""

    __tablename__ = "sources"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)  # shown to workers: "where this rating comes from"
    kind: Mapped[str] = mapped_column(String(32))  # fairfinder | turkopticon1 | turkopticon2 | csv
    url: Mapped[str | None] = mapped_column(String(1000), default=None)
    etag: Mapped[str | None] = mapped_column(String(200), default=None)  # of the last full fetch
    cursor: Mapped[str | None] = mapped_column(String(200), default=None)  # the peer's next `since=`
    last_import_at: Mapped[datetime | None] = mapped_column(default=None)
    last_full_import_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImportedReview(Base):
    """A review from another community, anonymized at its source: no author, only the source's own id."""

    __tablename__ = "imported_reviews"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        Index("ix_imported_reviews_requester_id_desc", "requester_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(128))
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id", ondelete="CASCADE"))
    task_type_id: Mapped[int | None] = mapped_column(ForeignKey("task_types.id", ondelete="CASCADE"), index=True)
    rating_pay: Mapped[int | None] = mapped_column(Integer, default=None)
    rating_fairness: Mapped[int | None] = mapped_column(Integer, default=None)
    rating_speed: Mapped[int | None] = mapped_column(Integer, default=None)
    rating_communication: Mapped[int | None] = mapped_column(Integer, default=None)
    worked_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    approval_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    bonus_cents: Mapped[int | None] = mapped_column(Integer, default=None)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # as the source says
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # as the source says
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class SourceRequesterStats(Base):
    """A source's aggregates of one requester, as it publishes them (or derived from its rows for a CSV).

    Same meaning as RequesterStats; kept apart so each worker decides whether and how much they count.
    """

    __tablename__ = "source_requester_stats"

    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id", ondelete="CASCADE"), primary_key=True, index=True)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ratings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rejections: Mapped[int] = mapped_column(Integer, default=0)
    blocks: Mapped[int] = mapped_column(Integer, default=0)
    approval_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    median_hourly_cents: Mapped[float | None] = mapped_column(Float, default=None)
    recent: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flag_counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what the source said that we do not map
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SourceTaskTypeStats(Base):
    __tablename__ = "source_task_type_stats"

    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True)
    task_type_id: Mapped[int] = mapped_column(ForeignKey("task_types.id", ondelete="CASCADE"), primary_key=True, index=True)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flag_counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Tombstone(Base):
    """Something the open dump once published and that is gone: a review, or a requester's or task type's
    aggregates. Incremental imports (`since=`) learn of deletions from these. Holds no worker data."""

    __tablename__ = "tombstones"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # review | requester | task_type
    ref_id: Mapped[int] = mapped_column(BigInteger)  # reviews.id, requesters.id or task_types.id
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class JobRun(Base):
    """One run of a scheduled job (or a CLI import): when, how it ended, what it did."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job: Mapped[str] = mapped_column(String(100))  # import:<source> | refresh-recent | purge-timings
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | ok | not_modified | failed
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    message: Mapped[str] = mapped_column(Text, default="")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    runner: Mapped[str | None] = mapped_column(String(100), default=None)  # "host:pid" of the process that ran it


class RateLimitWindow(Base):
    """A fixed-window request counter that every server process shares (FAIRFINDER_RATE_LIMIT_STORE=database,
    server/cluster/ratelimit.py). Times are milliseconds on the database's clock. UNLOGGED on PostgreSQL."""

    __tablename__ = "rate_limit_windows"

    bucket: Mapped[str] = mapped_column(String(100), primary_key=True)  # "<limit>:<address or token digest>"
    window_start: Mapped[int] = mapped_column(BigInteger)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)  # swept once past


class PageReport(Base):
    """An anonymous page-shape report from the extension (server/page_reports, docs/page-reports.md): a page it
    covers that it could not read. Only the shape (tag names, class and data-testid names, counts), the platform,
    the kind of page, the extension's version, the browser family and the UTC day: no address, token, worker,
    time of day or text. Purged after FAIRFINDER_PAGE_REPORTS_RETENTION_DAYS."""

    __tablename__ = "page_reports"
    __table_args__ = (Index("ix_page_reports_platform_day", "platform", "day"),
                      Index("ix_page_reports_fingerprint_day", "fingerprint", "day"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)  # UTC
    platform: Mapped[str] = mapped_column(String(32))
    page: Mapped[str] = mapped_column(String(16))  # search | requester | queue | studies | other
    problem: Mapped[str] = mapped_column(String(16))  # no_tasks | partial
    extension_version: Mapped[str] = mapped_column(String(24))
    browser: Mapped[str] = mapped_column(String(16))  # chromium | firefox | other
    schema_version: Mapped[int] = mapped_column(Integer)  # the report's `schema` (1)
    fingerprint: Mapped[str] = mapped_column(String(64))  # of the shape: server/domain/page_shape.py
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)  # rows_seen, tasks_read, data_items
    probes: Mapped[dict[str, Any]] = mapped_column(JSON)  # our selectors' names → elements matched
    elements: Mapped[list[Any]] = mapped_column(JSON)  # [{tag, classes, testid, count}], as sent
