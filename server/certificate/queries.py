"""What a certificate reads from the database, and the one function every certificate route calls.

Only the signed-in worker's own rows are ever read: every query is bounded by their worker id.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.certificate import signing
from server.db.models import Timing, Worker, WorkHistoryItem
from server.domain.certificate_options import OptionError, Options
from server.domain.credential import FeedbackQuote, Issuer, build_credential
from server.me.records import load_work_items
from server.settings import Settings

MAX_FEEDBACK_CHOICES = 200  # rows listed on the /me/certificate form


async def first_day(session: AsyncSession, worker_id: int, zone: ZoneInfo) -> date | None:
    """The worker's first recorded day: their oldest history row or timing."""
    history = await session.scalar(
        select(func.min(WorkHistoryItem.work_date)).where(WorkHistoryItem.worker_id == worker_id))
    first_timing = await session.scalar(select(func.min(Timing.ended_at)).where(Timing.worker_id == worker_id))
    days = [history] if history is not None else []
    if first_timing is not None:
        moment = first_timing if first_timing.tzinfo else first_timing.replace(tzinfo=timezone.utc)
        days.append(moment.astimezone(zone).date())
    return min(days) if days else None


def period_of(options: Options, first: date | None, today: date) -> Options:
    """The options with their period decided: from the first recorded day (else today) to today by default."""
    end = options.end or today
    start = options.start or min(first or end, end)
    if start > end:
        raise OptionError("from", "from: the period starts after it ends; give a `from` day before the `to` day.")
    return options.with_period(start, end)


async def feedback_quotes(session: AsyncSession, worker_id: int, options: Options) -> list[FeedbackQuote]:
    """The feedback the worker picked: each id must be a history row of theirs, with feedback, inside the period
    and platforms of the certificate. Another worker's id reads exactly like one that does not exist."""
    if not options.feedback_ids:
        return []
    rows = {row.id: row for row in await session.scalars(
        select(WorkHistoryItem).where(WorkHistoryItem.worker_id == worker_id,
                                      WorkHistoryItem.id.in_(options.feedback_ids)))}
    quotes = []
    for item_id in options.feedback_ids:
        row = rows.get(item_id)
        if row is None:
            raise OptionError("feedback", f"feedback: {item_id} is not a task in your work history.")
        if not row.requester_feedback.strip():
            raise OptionError("feedback", f"feedback: the task {item_id} has no requester feedback to quote.")
        assert options.start is not None and options.end is not None
        outside_platforms = bool(options.platforms) and row.platform not in options.platforms
        if not options.start <= row.work_date <= options.end or outside_platforms:
            raise OptionError("feedback", f"feedback: the task {item_id} is outside the period or platforms of this "
                                          "certificate.")
        quotes.append(FeedbackQuote(item_id=row.id, platform=row.platform, requester_name=row.requester_name,
                                    day=row.work_date, text=row.requester_feedback.strip()))
    return quotes


@dataclass(frozen=True)
class FeedbackChoice:
    item_id: int
    platform: str
    requester_name: str
    title: str
    day: date
    text: str


async def feedback_choices(session: AsyncSession, worker_id: int) -> list[FeedbackChoice]:
    """The worker's history rows with requester feedback, newest first (for the form's checkboxes)."""
    rows = await session.scalars(
        select(WorkHistoryItem).where(WorkHistoryItem.worker_id == worker_id, WorkHistoryItem.requester_feedback != "")
        .order_by(WorkHistoryItem.work_date.desc(), WorkHistoryItem.id.desc()).limit(MAX_FEEDBACK_CHOICES))
    return [FeedbackChoice(item_id=row.id, platform=row.platform, requester_name=row.requester_name, title=row.title,
                           day=row.work_date, text=row.requester_feedback.strip())
            for row in rows if row.requester_feedback.strip()]


def issuer_of(settings: Settings) -> Issuer:
    return Issuer(base_url=settings.base_url.rstrip("/"), name=settings.community_name)


async def unsigned_certificate(session: AsyncSession, settings: Settings, worker: Worker, options: Options,
                               now: datetime | None = None) -> tuple[dict[str, Any], Options]:
    """The credential of `worker` for `options` (period decided, feedback checked), not yet signed.
    Raises OptionError for a choice that cannot be used."""
    now = now or datetime.now(timezone.utc)
    zone = ZoneInfo(options.zone)
    options = period_of(options, await first_day(session, worker.id, zone), now.astimezone(zone).date())
    assert options.start is not None and options.end is not None
    quotes = await feedback_quotes(session, worker.id, options)
    items = await load_work_items(session, worker.id, options.start, options.end, zone)
    credential = build_credential(items, options, quotes, issuer_of(settings), now, f"urn:uuid:{uuid.uuid4()}")
    return credential, options


async def signed_certificate(session: AsyncSession, settings: Settings, worker: Worker, options: Options
                             ) -> tuple[dict[str, Any], bytes, Options]:
    """The signed credential, its JSON bytes (pretty, UTF-8) and the options as decided."""
    now = datetime.now(timezone.utc)
    credential, options = await unsigned_certificate(session, settings, worker, options, now)
    key = signing.derive_key(settings.secret)
    signed = signing.sign(credential, key, key.verification_method(settings.base_url), now)
    return signed, signed_json(signed), options


def signed_json(document: dict[str, Any]) -> bytes:
    """How a credential is handed out: indented JSON, UTF-8 (the proof covers the canonical form, not these bytes)."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
