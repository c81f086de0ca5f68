"""/listen's list is built once per platform and filter set and kept (server/listen/items.py, issue 16): kept
lists must never hide a change — a review, a newly recorded task — from the next read."""
from __future__ import annotations

from litestar.testing import TestClient

from tests.api.conftest import a_review, a_task
from tests.helpers import sign_up

SPEECH = "/api/v1/speech"


def script(client: TestClient, **params: str) -> str:
    response = client.get(SPEECH, params={"platform": "mturk", "format": "text", **params})
    assert response.status_code == 200, response.text
    return response.text


def test_the_kept_list_follows_every_change(client: TestClient) -> None:
    alice = sign_up(client, "alice")
    assert client.post("/api/v1/annotate", json={"platform": "mturk", "tasks": [a_task()]}).status_code == 200
    first = script(client)
    assert "Survey about shopping" in first
    assert script(client) == first  # kept: the same list, nothing changed
    engine = client.app.state.engine.sync_engine
    from sqlalchemy import event  # noqa: PLC0415

    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert script(client) == first
        assert not any("task_types" in statement for statement in statements)  # answered from the kept list
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    # A newly recorded task shows at once.
    assert client.post("/api/v1/annotate", json={"platform": "mturk", "tasks": [
        a_task(title="Label street photos", reward_cents=200)]}).status_code == 200
    second = script(client)
    assert "Label street photos" in second and second != first
    # A review that measures a task's pay shows at once.
    review = a_review(worked_seconds=60, outcome="approved")
    assert client.post("/api/v1/reviews", json=review, headers=alice).status_code == 201
    third = script(client)
    assert third != second
    # Another filter set is another list.
    assert script(client, min_hourly="1000") != third
