"""Helpers of the account tests: direct SQL on the test database, aggregates before/after a full
rebuild, and a scan of every table for what is left of a worker."""
from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import inspect

from server.db.engine import WRITE_OPTION, create_engine, session_factory, write_transaction
from server.settings import Settings
from server.stats.refresh import rebuild_all, refresh_requester
from tests.conftest import backdate_account
from tests.database import Sql
from tests.aggregates import close as _close
from tests.aggregates import read_aggregates


def sql(settings: Settings, statement: str, *params: Any) -> list[tuple]:
    return Sql(settings.database_url).execute(statement, *params)


def value(settings: Settings, statement: str, *params: Any) -> Any:
    rows = sql(settings, statement, *params)
    return rows[0][0] if rows else None


def tables(settings: Settings) -> list[str]:
    return Sql(settings.database_url).tables()


def everything(settings: Settings) -> dict[str, list[tuple]]:
    """Every row of every table (whatever tables exist): equal results mean nothing was written."""
    return Sql(settings.database_url).dump()


def scan(settings: Settings, worker_id: int, needles: Iterable[str]) -> set[str]:
    """Where the worker is still referenced: `table.column` for every column that refers to workers.id
    holding `worker_id`, and `table:text` for every table with a text value containing a needle."""
    needles = [n for n in needles if n]
    hits: set[str] = set()
    for table in tables(settings):
        columns = [column for key in foreign_keys(settings, table) if key["referred_table"] == "workers"
                   for column in key["constrained_columns"]]
        if table == "workers":
            columns.append("id")
        for column in columns:
            if value(settings, f"SELECT count(*) FROM {table} WHERE {column} = ?", worker_id):  # noqa: S608
                hits.add(f"{table}.{column}")
        for row in sql(settings, f"SELECT * FROM {table}"):  # noqa: S608
            for cell in row:
                text = cell if isinstance(cell, str) else json.dumps(cell) if isinstance(cell, (dict, list)) else None
                if text is not None and any(n in text for n in needles):
                    hits.add(f"{table}:text")
    return hits


def foreign_keys(settings: Settings, table: str) -> list[dict[str, Any]]:
    with Sql(settings.database_url).engine.connect() as connection:
        return inspect(connection).get_foreign_keys(table)


def register_worker(client: TestClient, handle: str, *, platform_ids: list[dict[str, str]] | None = None,
                    new: bool = False) -> tuple[dict[str, str], int, str]:
    """(Authorization header, worker id, token) of a fresh account; established unless `new`."""
    response = client.post("/api/v1/workers", json={"handle": handle, "platform_ids": platform_ids or []})
    assert response.status_code == 201, response.text
    body = response.json()
    if not new:
        backdate_account(client.app.state.settings.database_url, body["worker"]["id"])
    return {"Authorization": f"Bearer {body['token']}"}, body["worker"]["id"], body["token"]


def run_in_app(client: TestClient, work: Any) -> Any:
    """Run `work(session)` in one write transaction on the app's own sessions (its event loop)."""
    async def run() -> Any:
        async with client.app.state.sessionmaker() as session, write_transaction(session):
            return await work(session)

    with client.portal() as portal:
        return portal.call(run)


def refresh(client: TestClient, requester_ids: Iterable[int]) -> None:
    async def work(session: Any) -> None:
        for requester_id in requester_ids:
            await refresh_requester(session, requester_id)

    run_in_app(client, work)


def aggregates(client: TestClient) -> dict[str, Any]:
    """The aggregates as the app keeps them current."""
    return run_in_app(client, read_aggregates)


def rebuilt_aggregates(settings: Settings) -> dict[str, Any]:
    """The aggregates a full `rebuild_all` computes, in a transaction that is then rolled back (the database
    stays as it is)."""
    async def run() -> dict[str, Any]:
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                await session.connection(execution_options={WRITE_OPTION: True})
                await rebuild_all(session)
                rebuilt = await read_aggregates(session)
                await session.rollback()
                return rebuilt
        finally:
            await engine.dispose()

    return asyncio.run(run())


def same_aggregates(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return _close(a, b)
