"""API test helpers: every response is checked for leaks, and the database can be read back directly.

The `client` fixture of tests/conftest.py is wrapped so that *every* response of the API suite is
checked: no status >= 500 and no "Traceback" in the body. Tests then only assert what they are about.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from server.settings import Settings
from tests.conftest import register

# Tables whose rows tests compare before and after a refused request.
TABLES = (
    "workers", "worker_platform_ids", "tokens", "requesters", "task_types", "reviews", "review_revisions",
    "timings", "task_type_stats", "requester_stats", "platform_stats", "saved_filters",
)


def check_response(response: httpx.Response) -> None:
    """Invariants of every response: never a 5xx, never a stack trace, errors in the one JSON shape."""
    response.read()
    text = response.text
    assert "Traceback" not in text, text
    assert response.status_code < 500, f"{response.request.method} {response.request.url}: {text}"
    if response.status_code >= 400:
        body = response.json()
        assert set(body) <= {"status", "code", "message", "field"}, body
        assert body["status"] == response.status_code, body
        assert isinstance(body["code"], str) and body["code"], body
        assert isinstance(body["message"], str) and body["message"], body
        assert "field" not in body or isinstance(body["field"], str), body


@pytest.fixture
def client(client: TestClient) -> Iterator[TestClient]:
    client.event_hooks["response"].append(check_response)
    yield client


class Db:
    """Direct, read-only access to the test's SQLite file (a separate connection, as an outsider sees it)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def rows(self, sql: str, *params: Any) -> list[tuple]:
        with self.connect() as connection:
            return connection.execute(sql, params).fetchall()

    def value(self, sql: str, *params: Any) -> Any:
        rows = self.rows(sql, *params)
        return rows[0][0] if rows else None

    def count(self, table: str) -> int:
        return self.value(f"SELECT count(*) FROM {table}")  # noqa: S608 - table names are ours

    def dump(self) -> dict[str, list[tuple]]:
        """Every row of every table: equal dumps mean nothing was written."""
        with self.connect() as connection:
            return {t: sorted(connection.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}  # noqa: S608

    def file_bytes(self) -> bytes:
        """The database as stored on disk, including the WAL and shared-memory files."""
        return b"".join(p.read_bytes() for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
                        if p.exists())


@pytest.fixture
def db(settings: Settings) -> Db:
    path = settings.sqlite_path()
    assert path is not None
    return Db(path)


def sign_up(client: TestClient, handle: str) -> dict[str, str]:
    """Register and use the token once, so its coarse last_used_at is set and later reads write nothing."""
    headers = register(client, handle)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    return headers


@pytest.fixture
def alice(client: TestClient) -> dict[str, str]:
    return sign_up(client, "alice")


@pytest.fixture
def bob(client: TestClient) -> dict[str, str]:
    return sign_up(client, "bob")


@pytest.fixture
def revoked(client: TestClient) -> dict[str, str]:
    """Auth headers of a token that was issued and then revoked."""
    headers = sign_up(client, "revoker")
    issued = client.post("/api/v1/me/tokens", headers=headers, json={"label": "to revoke"})
    assert issued.status_code == 201
    old = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert client.delete(f"/api/v1/me/tokens/{issued.json()['token_info']['id']}", headers=headers).status_code == 204
    return old


# Authorization headers that must all be refused where a token is required.
BAD_AUTH = {
    "none": ({}, "unauthorized"),
    "malformed_scheme": ({"Authorization": "Token abc"}, "unauthorized"),
    "bearer_without_value": ({"Authorization": "Bearer "}, "unauthorized"),
    "unknown_token": ({"Authorization": "Bearer ff_not-a-token"}, "invalid_token"),
}


def auth_cases(revoked_headers: dict[str, str]) -> list[tuple[dict[str, str], str]]:
    return [*BAD_AUTH.values(), (revoked_headers, "invalid_token")]


def assert_error(response: httpx.Response, status: int, code: str | None = None, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        assert body.get("field") == field, body
    return body


# ------------------------------------------------------------------------------------------------
# Request bodies


def a_task(**changes: Any) -> dict[str, Any]:
    return {"platform": "mturk", "requester_id": "AREQ1", "title": "Survey about shopping", "reward_cents": 100,
            **changes}


def a_review(**changes: Any) -> dict[str, Any]:
    return {"platform": "mturk", "requester_id": "AREQ1", "requester_name": "Shop Lab",
            "task": {"title": "Survey about shopping", "reward_cents": 100},
            "ratings": {"pay": 4, "fairness": 5, "speed": 3, "communication": None},
            "worked_seconds": 600, "outcome": "approved", "comment": "Fine.", **changes}


def a_timing(**changes: Any) -> dict[str, Any]:
    return {"platform": "mturk", "requester_id": "AREQ1", "title": "Survey about shopping", "reward_cents": 100,
            "assignment_id": "ASSIGN1", "accepted_at": "2026-01-10T10:00:00Z", "ended_at": "2026-01-10T10:10:00Z",
            "outcome": "submitted", **changes}
