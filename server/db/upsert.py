"""INSERT … ON CONFLICT DO NOTHING for SQLite and PostgreSQL, through the same call; counting changed rows."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Result
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


def rows_affected(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE changed: SQLAlchemy types `execute` as returning a Result, and a DML statement's
    result is a CursorResult, which counts them."""
    return cast("CursorResult[Any]", result).rowcount or 0


EXECUTEMANY_ROWS = 1_000  # rows per executemany call
_statements: dict[tuple[str, Any, tuple[str, ...], tuple[str, ...]], Any] = {}


async def upsert_many(session: AsyncSession, model: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
    """Like `upsert`, as one executemany of a statement built once per table and column set. A multi-row VALUES
    list is a new SQL text for every row count, compiled afresh each time: milliseconds of CPU per call, which
    on the write path cost more than the rows themselves (docs/benchmarks.md, "Review ingest")."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    columns = tuple(rows[0])
    key = (dialect, model, tuple(keys), columns)
    statement = _statements.get(key)
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        base = insert(model.__table__)
        statement = _statements[key] = base.on_conflict_do_update(
            index_elements=keys, set_={name: base.excluded[name] for name in columns if name not in keys})
    connection = await session.connection()
    for start in range(0, len(rows), EXECUTEMANY_ROWS):
        await connection.execute(statement, rows[start:start + EXECUTEMANY_ROWS])
