"""Helpers for the Turkopticon-compatible API tests: reviews through the API, imported reviews through SQL,
the reconstructed Turkopticon response shapes, and a shape comparison that minds key order and types."""
from __future__ import annotations

import itertools
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from server.compat.mapping import ReviewFacts
from server.settings import Settings
from tests import database
from tests.conftest import register

# Copies of ../shared/fixtures/turkopticon (see README.txt there: reconstructed from Turkopticon's code).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "turkopticon"  # copies of ../shared/fixtures


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def same_shape(actual: Any, expected: Any, path: str = "$", skip: frozenset[str] = frozenset()) -> None:
    """Same keys in the same order, same list lengths, same JSON types (int is not float), all the way down."""
    if path in skip:
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict), (path, actual)
        assert list(actual) == list(expected), (path, list(actual), list(expected))
        for key in expected:
            same_shape(actual[key], expected[key], f"{path}.{key}", skip)
    elif isinstance(expected, list):
        assert isinstance(actual, list), (path, actual)
        assert len(actual) == len(expected), (path, actual, expected)
        for index, (a, e) in enumerate(zip(actual, expected)):
            same_shape(a, e, f"{path}[{index}]", skip)
    else:
        assert type(actual) is type(expected), (path, actual, expected)


def sql_time(moment: datetime) -> str:
    """A datetime as SQLAlchemy stores it (naive UTC; text in SQLite)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


_handles = itertools.count(1)


def post_review(client: TestClient | httpx.Client, requester: str = "AREQ1", *, name: str = "Shop Lab",
                task: tuple[str, int] | None = ("Survey A", 150), platform: str = "mturk", **body: Any) -> dict[str, Any]:
    """A review by a new worker (one review per worker per task), through POST /api/v1/reviews."""
    headers = register(client, f"compat-{next(_handles)}")
    payload = {"platform": platform, "requester_id": requester, "requester_name": name, **body}
    if task is not None:
        payload["task"] = {"title": task[0], "reward_cents": task[1]}
    response = client.post("/api/v1/reviews", headers=headers, json=payload)
    assert response.status_code == 201, response.text
    return response.json()


class Sql(database.Sql):
    """Direct writes to the test database: imported reviews (as a community import would store them) and odd rows."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._external = itertools.count(1)

    def source(self, name: str = "peer-community") -> int:
        existing = self.value("SELECT id FROM sources WHERE name = ?", name)
        if existing:
            return existing
        return self.run("INSERT INTO sources (name, kind, created_at) VALUES (?, 'fairfinder', ?)", name,
                        sql_time(datetime.now(timezone.utc)))

    def requester(self, external_id: str, name: str = "", platform: str = "mturk") -> int:
        existing = self.value("SELECT id FROM requesters WHERE platform = ? AND external_id = ?", platform, external_id)
        if existing:
            return existing
        return self.run("INSERT INTO requesters (platform, external_id, name, is_demo, first_seen_at) VALUES (?, ?, ?, ?, ?)",
                        platform, external_id, name, False, sql_time(datetime.now(timezone.utc)))

    def task_type(self, requester_id: int, title: str, reward_cents: int) -> int:
        existing = self.value("SELECT id FROM task_types WHERE requester_id = ? AND title_key = ? AND reward_cents = ?",
                              requester_id, title.lower(), reward_cents)
        if existing:
            return existing
        return self.run("INSERT INTO task_types (requester_id, title, title_key, reward_cents, currency, is_demo, first_seen_at)"
                        " VALUES (?, ?, ?, ?, 'USD', ?, ?)", requester_id, title, title.lower(), reward_cents, False,
                        sql_time(datetime.now(timezone.utc)))

    def imported_review(self, requester: str, facts: ReviewFacts, *, updated_at: datetime | None = None,
                        task_title: str = "Survey A") -> int:
        requester_id = self.requester(requester)
        task_type_id = self.task_type(requester_id, task_title, facts.reward_cents) if facts.reward_cents is not None else None
        moment = sql_time(updated_at or datetime.now(timezone.utc))
        return self.run(
            "INSERT INTO imported_reviews (source_id, external_id, requester_id, task_type_id, rating_pay, rating_fairness,"
            " rating_speed, rating_communication, worked_seconds, outcome, approval_seconds, bonus_cents, flags, comment,"
            " created_at, updated_at, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?)",
            self.source(), f"ext-{next(self._external)}", requester_id, task_type_id, facts.pay, facts.fairness, facts.speed,
            facts.communication, facts.worked_seconds, facts.outcome, facts.approval_seconds, facts.bonus_cents,
            json.dumps(list(facts.flags)), moment, moment, moment)

    def age_review(self, table: str, review_id: int, updated_at: datetime) -> None:
        assert table in ("reviews", "imported_reviews")
        self.run(f"UPDATE {table} SET updated_at = ? WHERE id = ?", sql_time(updated_at), review_id)  # noqa: S608


@pytest.fixture
def sql(settings: Settings) -> Sql:
    return Sql(settings.database_url)


def recompute(client: TestClient) -> None:
    """Recompute every aggregate, and each source's from its imported reviews, as an import of reviews does
    (server/community/importer.py): imported reviews written straight into the table above count in the
    requester's figures only then."""
    from sqlalchemy import select  # noqa: PLC0415

    from server.community.importer import derive_source_stats  # noqa: PLC0415
    from server.db.engine import write_transaction  # noqa: PLC0415
    from server.db.models import ImportedReview, Source  # noqa: PLC0415
    from server.stats.refresh import rebuild_all  # noqa: PLC0415

    async def run() -> None:
        async with client.app.state.sessionmaker() as session, write_transaction(session):
            await rebuild_all(session)
            for source in list(await session.scalars(select(Source))):
                requesters = set(await session.scalars(select(ImportedReview.requester_id)
                                                       .where(ImportedReview.source_id == source.id)))
                await derive_source_stats(session, source, sorted(requesters))

    with client.portal() as portal:
        portal.call(run)


def shown_attrs(client: TestClient, requester: str) -> dict[str, str]:
    """TO1 attrs as the requester's means on /api/v1/requesters give them (one definition, issue 18)."""
    from server.compat.mapping import TO1_ATTRS, rating_string  # noqa: PLC0415

    scores = client.get(f"/api/v1/requesters/mturk/{requester}").json()["scores"]
    return {attr: rating_string(scores[dimension]["mean"]) for attr, dimension in TO1_ATTRS}
