"""What the in-process suites share: the invariants every answer meets, the database read back directly,
and an account whose token has been used once."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
from litestar.testing import TestClient

from tests.conftest import register


def check_response(response: httpx.Response) -> None:
    """Invariants of every answer: never a 5xx, never a stack trace, errors in the one JSON shape
    (API errors are always JSON; the Turkopticon-compatible routes answer in JSON:API's own error shape)."""
    response.read()
    text = response.text
    assert "Traceback" not in text, text
    assert response.status_code < 500, f"{response.request.method} {response.request.url}: {text[:500]}"
    if response.status_code < 400:
        return
    if not response.headers.get("content-type", "").startswith("application/json"):
        assert not response.request.url.path.startswith("/api/v1/"), f"an API error that is not JSON: {text[:200]}"
        return
    body = response.json()
    if "errors" in body:
        return
    assert set(body) <= {"status", "code", "message", "field"}, body
    assert body["status"] == response.status_code, body
    assert isinstance(body["code"], str) and body["code"], body
    assert isinstance(body["message"], str) and body["message"], body
    assert "field" not in body or isinstance(body["field"], str), body


class Db:
    """Direct, read-only access to a SQLite file (a separate connection, as an outsider sees it)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def rows(self, sql: str, *params: Any) -> list[tuple]:
        with closing(self.connect()) as connection:
            return connection.execute(sql, params).fetchall()

    def value(self, sql: str, *params: Any) -> Any:
        rows = self.rows(sql, *params)
        return rows[0][0] if rows else None

    def count(self, table: str) -> int:
        return self.value(f"SELECT count(*) FROM {table}")  # noqa: S608 - table names are ours

    def tables(self) -> list[str]:
        return [name for (name,) in self.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]

    def dump(self) -> dict[str, list[tuple]]:
        """Every row of every table: equal dumps mean nothing was written."""
        with closing(self.connect()) as connection:
            return {table: sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)  # noqa: S608
                    for table in self.tables()}

    def file_bytes(self) -> bytes:
        """The database as stored on disk, including the WAL and shared-memory files."""
        return b"".join(p.read_bytes() for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
                        if p.exists())


def sign_up(client: TestClient, handle: str) -> dict[str, str]:
    """Register and use the token once, so its coarse last_used_at is set and later reads write nothing."""
    headers = register(client, handle)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    return headers
