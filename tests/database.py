"""Which database the suite runs on, and plain SQL on it from the outside.

`make test` runs pytest twice: on SQLite (every test), then with FAIRFINDER_TEST_DATABASE=postgresql on a
throwaway PostgreSQL cluster (tests/postgres.py), where only the tests that touch the database run (those
using the `settings`, `client`, `live_server` or `database_url` fixtures, or a LiveServer), minus the ones
marked `sqlite_only` (SQLite's own backup, pragmas and file format). Each test gets its own database: a
copy of a migrated template file on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL.
"""
from __future__ import annotations

import itertools
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import closing, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from server.db.migrate import sync_url, upgrade

BACKENDS = ("sqlite", "postgresql")
TEMPLATE = "fairfinder_template"


def backend_name() -> str:
    name = os.environ.get("FAIRFINDER_TEST_DATABASE", "sqlite").lower()
    if name not in BACKENDS:
        raise ValueError(f"FAIRFINDER_TEST_DATABASE must be one of {BACKENDS}, not {name!r}")
    return name


class Backend:
    """Hands out fresh, migrated databases for tests."""

    name = "sqlite"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.db"
        upgrade(f"sqlite+aiosqlite:///{self.template}")

    def new_database(self, folder: Path, name: str = "fairfinder.db") -> str:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        shutil.copy(self.template, path)
        return f"sqlite+aiosqlite:///{path}"

    def empty_database(self, folder: Path, name: str = "fairfinder.db") -> str:
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{folder / name}"

    def drop(self, url: str) -> None:
        """Nothing to do: the file goes with the test's temporary folder."""

    def close(self) -> None:
        pass


class PostgresBackend(Backend):
    name = "postgresql"

    def __init__(self, root: Path) -> None:
        from tests.postgres import start_cluster  # noqa: PLC0415

        self.root = root
        self.cluster = start_cluster()  # its own /tmp folder: pytest's are private to root, the server runs as postgres
        self._names = itertools.count(1)
        upgrade(self.cluster.create_database(TEMPLATE))
        self.cluster.execute(f"ALTER DATABASE {TEMPLATE} WITH ALLOW_CONNECTIONS false")

    def _name(self) -> str:
        return f"test_{os.getpid()}_{next(self._names)}"

    def new_database(self, folder: Path, name: str = "fairfinder.db") -> str:
        return self.cluster.create_database(self._name(), template=TEMPLATE)

    def empty_database(self, folder: Path, name: str = "fairfinder.db") -> str:
        return self.cluster.create_database(self._name())

    def drop(self, url: str) -> None:
        _engine.cache_clear()  # NullPool engines hold no connection, but forget them all the same
        self.cluster.drop_database(url.rsplit("/", 1)[1])

    def close(self) -> None:
        self.cluster.stop()


_current: Backend | None = None


def start(root: Path) -> Backend:
    global _current
    _current = PostgresBackend(root) if backend_name() == "postgresql" else Backend(root)
    return _current


def current() -> Backend:
    if _current is None:
        raise RuntimeError("the test database backend starts with the test session (tests/conftest.py)")
    return _current


# -- plain SQL from the outside ------------------------------------------------------------------
@lru_cache(maxsize=64)
def _engine(url: str) -> Engine:
    return create_engine(sync_url(url), poolclass=NullPool)


def _named(query: str, params: tuple[Any, ...]) -> tuple[str, dict[str, Any]]:
    """`?` placeholders (one per parameter, in order) become named ones, which both drivers take."""
    names = iter(range(len(params)))
    converted = re.sub(r"\?", lambda _: f":p{next(names)}", query)
    return converted, {f"p{i}": value for i, value in enumerate(params)}


class Sql:
    """Direct SQL on a test database (its own connection, as an outsider sees it). `?` placeholders."""

    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def engine(self) -> Engine:
        return _engine(self.url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def rows(self, query: str, *params: Any) -> list[tuple]:
        converted, named = _named(query, params)
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(converted), named)]

    def value(self, query: str, *params: Any) -> Any:
        rows = self.rows(query, *params)
        return rows[0][0] if rows else None

    def run(self, query: str, *params: Any) -> int | None:
        """Execute a write; returns the new row's id for an INSERT (RETURNING id), else the rows changed."""
        converted, named = _named(query, params)
        returning = converted.lstrip().upper().startswith("INSERT") and "RETURNING" not in converted.upper()
        with self.engine.begin() as connection:
            result = connection.execute(text(converted + (" RETURNING id" if returning else "")), named)
            return result.scalar() if returning else result.rowcount

    def execute(self, query: str, *params: Any) -> list[tuple]:
        """Run one statement in its own committed transaction; its rows, if it returns any."""
        converted, named = _named(query, params)
        with self.engine.begin() as connection:
            result = connection.execute(text(converted), named)
            return [tuple(row) for row in result] if result.returns_rows else []

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction with a sqlite3-like face (`execute(query, params)`, `executemany`), committed at the end."""
        with self.engine.begin() as connection:
            yield Connection(connection)

    def count(self, table: str) -> int:
        return self.value(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - table names are ours

    def tables(self) -> list[str]:
        with closing(self.engine.connect()) as connection:
            return sorted(name for name in inspect(connection).get_table_names() if not name.startswith("sqlite_"))

    def dump(self) -> dict[str, list[tuple]]:
        """Every row of every table: equal dumps mean nothing was written."""
        with self.engine.connect() as connection:
            return {table: sorted((tuple(row) for row in connection.execute(text(f'SELECT * FROM "{table}"'))),  # noqa: S608
                                  key=repr)
                    for table in self.tables()}


class Connection:
    """sqlite3's `execute(query, params)` and `executemany` over a SQLAlchemy connection, `?` placeholders."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def execute(self, query: str, params: tuple[Any, ...] | list[Any] = ()) -> Any:
        converted, named = _named(query, tuple(params))
        return self.connection.execute(text(converted), named)

    def executemany(self, query: str, rows: Any) -> None:
        for params in rows:
            self.execute(query, params)


def bool_literal(value: bool, dialect: str) -> str:
    """A boolean as SQL text: SQLite stores 0/1, PostgreSQL wants true/false."""
    if dialect == "postgresql":
        return "true" if value else "false"
    return "1" if value else "0"


def json_value(cell: Any) -> Any:
    """A JSON column as read back: SQLite gives its text, PostgreSQL's driver gives it decoded."""
    import json  # noqa: PLC0415

    return json.loads(cell) if isinstance(cell, (str, bytes)) else cell


def as_utc(value: Any) -> Any:
    """A stored timestamp as an aware UTC datetime: SQLite gives naive UTC text, PostgreSQL an aware datetime."""
    from datetime import datetime, timezone  # noqa: PLC0415

    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
