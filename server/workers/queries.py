"""Reads of a worker's own settings shared by annotate, the list page and the speech routes."""
from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import SavedFilters, Worker
from server.domain.filters import Filters


async def load_filters(session: AsyncSession, worker: Worker | None) -> Filters:
    """The worker's saved filters, or the defaults (also for anonymous callers)."""
    if worker is None:
        return Filters()
    saved = await session.get(SavedFilters, worker.id)
    return msgspec.convert(saved.filters, Filters) if saved else Filters()
