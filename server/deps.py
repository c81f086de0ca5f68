"""Dependencies shared by the feature folders: a database session per request, the settings."""
from __future__ import annotations

from collections.abc import AsyncGenerator

from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from server.settings import Settings


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    session: AsyncSession = state.sessionmaker()
    try:
        yield session
    finally:
        await session.close()


def provide_settings(state: State) -> Settings:
    return state.settings
