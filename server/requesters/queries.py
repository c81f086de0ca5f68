"""Reads of requesters' stored aggregates shared by annotate, the requester API and the requester page."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import PlatformStats, Source, SourceRequesterStats
from server.domain.summary import Platform, platform_from_row


async def load_platforms(session: AsyncSession, platforms: Iterable[str]) -> dict[str, Platform]:
    wanted = set(platforms)
    rows = {r.platform: r for r in await session.scalars(select(PlatformStats).where(PlatformStats.platform.in_(wanted)))}
    return {p: platform_from_row(p, rows.get(p)) for p in wanted}


async def load_imported(session: AsyncSession, requester_pks: Iterable[int]) -> dict[int, list[tuple[str, SourceRequesterStats]]]:
    """Other communities' aggregates of these requesters, by requester row id."""
    found: dict[int, list[tuple[str, SourceRequesterStats]]] = {}
    ids = list(set(requester_pks))
    if not ids:
        return found
    rows = await session.execute(
        select(Source.name, SourceRequesterStats).join(Source, Source.id == SourceRequesterStats.source_id)
        .where(SourceRequesterStats.requester_id.in_(ids)).order_by(Source.name))
    for name, row in rows.all():
        found.setdefault(row.requester_id, []).append((name, row))
    return found
