"""API test helpers: every response is checked for leaks, and the database can be read back directly.

The `client` fixture of tests/conftest.py is wrapped so that *every* response of the API suite is
checked: no status >= 500 and no "Traceback" in the body. Tests then only assert what they are about.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from server.settings import Settings
from tests.helpers import Db, check_response, sign_up

@pytest.fixture
def client(client: TestClient) -> Iterator[TestClient]:
    client.event_hooks["response"].append(check_response)
    yield client


@pytest.fixture
def db(settings: Settings) -> Db:
    return Db(settings.database_url)


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
