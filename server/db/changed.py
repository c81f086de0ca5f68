"""Which requesters a session changed: aggregate writes note them here, and when the session commits the annotate
caches drop them (server/tasks/cache.py `after_commit`) and other processes hear of them (server/cluster/changes.py).

Here, below the features, so that writers (server/stats, server/community) need not import annotate's cache.
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import CHANGED_REQUESTERS


def note_changed_requester(session: AsyncSession, requester_pk: int) -> None:
    """This requester's cached facts are stale once the session commits."""
    session.info.setdefault(CHANGED_REQUESTERS, set()).add(requester_pk)
