"""Helpers of the moderation tests: accounts with roles and ages, reviews, the requester's figures, and
direct SQL (to set roles and age accounts as time would)."""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from litestar.testing import TestClient

from server.db.engine import create_engine, session_factory
from server.settings import Settings
from tests.api.conftest import a_review
from tests.helpers import check_response, stamp
from tests.conftest import register
from tests.database import Sql


@pytest.fixture
def client(client: TestClient) -> Iterator[TestClient]:
    """Every response checked: no 5xx, no stack trace, errors in the one JSON shape."""
    client.event_hooks["response"].append(check_response)
    yield client


def sql(settings: Settings, query: str, *params: Any) -> list[tuple]:
    return Sql(settings.database_url).execute(query, *params)


def account(client: TestClient, handle: str, role: str = "worker", *, new: bool = False) -> dict[str, str]:
    """A worker account (established unless `new`) with a role; returns its Authorization header."""
    headers = register(client, handle, new=new)
    if role != "worker":
        sql(client.app.state.settings, "UPDATE workers SET role = ? WHERE handle = ?", role, handle)
    return headers


def age_account(settings: Settings, handle: str, age: timedelta) -> None:
    moment = datetime.now(timezone.utc) - age
    sql(settings, "UPDATE workers SET created_at = ? WHERE handle = ?", stamp(moment), handle)


def review(client: TestClient, headers: dict[str, str], expect: int = 201, **changes: Any) -> dict[str, Any]:
    response = client.post("/api/v1/reviews", headers=headers, json=a_review(**changes))
    assert response.status_code == expect, response.text
    return response.json()


def stars(value: int, requester_id: str = "AREQ1", **changes: Any) -> dict[str, Any]:
    """Review fields giving `value` stars on every dimension, a requester-level review (no task)."""
    return {"requester_id": requester_id, "task": None, "worked_seconds": None, "outcome": "approved",
            "ratings": {"pay": value, "fairness": value, "speed": value, "communication": value}, **changes}


def summary(client: TestClient, requester_id: str = "AREQ1") -> dict[str, Any]:
    response = client.get(f"/api/v1/requesters/mturk/{requester_id}")
    assert response.status_code == 200, response.text
    return response.json()


def means(client: TestClient, requester_id: str = "AREQ1") -> dict[str, float | None]:
    return {d: s["mean"] for d, s in summary(client, requester_id)["scores"].items()}


def run_job(settings: Settings, job: Any) -> Any:
    """Run a scheduler job function against the test database, as the scheduler would."""
    async def go() -> Any:
        engine = create_engine(settings.database_url)
        try:
            return await job(session_factory(engine))
        finally:
            await engine.dispose()
    return asyncio.run(go())


def queue(client: TestClient, headers: dict[str, str], kind: str = "flagged", **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/moderation/queue", headers=headers, params={"kind": kind, **params})
    assert response.status_code == 200, response.text
    return response.json()


def decide(client: TestClient, headers: dict[str, str], review_id: int, action: str, note: str = "",
           expect: int = 200) -> dict[str, Any]:
    response = client.post(f"/api/v1/moderation/reviews/{review_id}/decision", headers=headers,
                           json={"action": action, "note": note})
    assert response.status_code == expect, response.text
    return response.json()


def flag(client: TestClient, headers: dict[str, str], review_id: int, reason: str = "spam", note: str = "",
         expect: int = 201) -> dict[str, Any]:
    response = client.post(f"/api/v1/reviews/{review_id}/flags", headers=headers, json={"reason": reason, "note": note})
    assert response.status_code == expect, response.text
    return response.json()


def log(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/moderation/log", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]
