"""The list the voice view speaks: tasks the server has seen on a platform, annotated through the same
code path as POST /api/v1/annotate, best paid first, with what the worker's filters hide set apart."""
from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accessibility.speech import SpokenTask
from scrapers.model import Task
from scrapers import ids
from server.db.models import Requester, TaskType
from server.domain.filters import Filters
from server.tasks.schemas import Annotation
from server.tasks.service import annotate_tasks
from server.tasks.cache import AnnotateCache, clock

MAX_ITEMS = 100  # one platform page's worth: more is not listenable


class ListenItem(msgspec.Struct, kw_only=True):
    annotation: Annotation
    spoken: SpokenTask
    preview_url: str | None  # the task on the platform
    accept_url: str | None
    requester_page: str | None = None  # the requester's page on this server (/r/<platform>/<id>)


def platform_links(platform: str, hit_set_id: str | None) -> tuple[str | None, str | None]:
    """(preview, accept) links on the platform, when it has them: only ever built from a group id that is the
    platform's (scrapers/ids.py), so a stored id that is not one gives no link at all."""
    return ids.task_url(platform, hit_set_id), ids.accept_url(platform, hit_set_id)


def requester_page(platform: str, requester_id: str | None) -> str | None:
    """This server's page of the requester (/r), only for an id of the platform (scrapers/ids.py): the path
    is built from it, so nothing else may reach a link."""
    if requester_id is None or not ids.is_requester_id(platform, requester_id):
        return None
    return f"/r/{platform}/{requester_id}"


def spoken_task(annotation: Annotation) -> SpokenTask:
    requester = annotation.requester
    flags = list(dict.fromkeys([*annotation.flags, *requester.flags]))
    return SpokenTask(
        title=annotation.title, requester_name=requester.name or requester.id,
        reward_cents=annotation.reward_cents, currency=annotation.currency,
        duration_seconds=annotation.hourly.duration_seconds, cents_per_hour=annotation.hourly.cents_per_hour,
        band=annotation.hourly.band, basis=annotation.hourly.basis, n=annotation.hourly.n,
        accounts=annotation.hourly.accounts,
        without_bonus_cents_per_hour=annotation.hourly.without_bonus_cents_per_hour,
        reviews=requester.reviews, approval_seconds=requester.approval_seconds,
        rejections=requester.rejections, blocks=requester.blocks, flags=flags,
        hidden_reasons=[reason.message for reason in annotation.verdict.reasons] if annotation.verdict.hidden else [],
    )


def _best_paid_first(item: ListenItem) -> tuple[int, float, str]:
    hourly = item.annotation.hourly.cents_per_hour
    return (hourly is None, -(hourly or 0.0), item.annotation.title.casefold())


async def known_tasks(session: AsyncSession, platform: str, limit: int = MAX_ITEMS) -> list[Task]:
    """The task types most recently first seen on `platform`, as tasks."""
    rows = (await session.execute(
        select(TaskType, Requester).join(Requester, Requester.id == TaskType.requester_id)
        .where(Requester.platform == platform)
        .order_by(TaskType.first_seen_at.desc(), TaskType.id.desc()).limit(limit))).all()
    return [
        Task(platform=platform, requester_id=requester.external_id, requester_name=requester.name, title=task_type.title,
             reward_cents=task_type.reward_cents, currency=task_type.currency, hit_set_id=task_type.latest_hit_set_id,
             stated_seconds=task_type.stated_seconds)
        for task_type, requester in rows
    ]


async def listen_items(session: AsyncSession, platform: str, filters: Filters, now: datetime,
                       cache: AnnotateCache | None = None, limit: int = MAX_ITEMS) -> tuple[list[ListenItem], list[ListenItem]]:
    """(shown, hidden): both best paid first. Hidden items carry the reasons in `spoken.hidden_reasons`.

    With a cache, the lists are kept per platform and filter set until anything they rest on changes (or the
    cache's ttl passes): building them costs about one annotate of the same tasks (issue 16)."""
    key = ("listen", platform, limit, msgspec.json.encode(filters))
    if cache is not None:
        moment, changes = clock(), cache.changes  # the counter before reading: a list that raced a write is not kept
        if (found := cache.answer(key, moment)) is not None:
            return list(found[0]), list(found[1])
    tasks = await known_tasks(session, platform, limit)
    annotations = await annotate_tasks(session, platform, tasks, filters, now, cache) if tasks else []
    items = []
    for annotation in annotations:
        preview, accept = platform_links(platform, annotation.hit_set_id)
        items.append(ListenItem(annotation=annotation, spoken=spoken_task(annotation), preview_url=preview, accept_url=accept,
                                requester_page=requester_page(platform, annotation.requester_id)))
    items.sort(key=_best_paid_first)
    shown = [item for item in items if not item.annotation.verdict.hidden]
    hidden = [item for item in items if item.annotation.verdict.hidden]
    if cache is not None:
        cache.put_answer(key, changes, moment, (shown, hidden))
    return list(shown), list(hidden)
