"""INSERT … ON CONFLICT DO NOTHING for SQLite and PostgreSQL, through the same call."""
from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignore(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(model).values(rows).on_conflict_do_nothing())


async def upsert(session: AsyncSession, model: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE: rows already there keep their id and take the new values."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(rows)
    changes = {name: statement.excluded[name] for name in rows[0] if name not in keys}
    await session.execute(statement.on_conflict_do_update(index_elements=keys, set_=changes))
