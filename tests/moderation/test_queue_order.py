"""The moderation queue's held and hidden lists and the moderation log are newest first as documented
(docs/moderation.md): by time, then id, not by id alone. The rows here are dated so that id order and time order
disagree (as demo, imported or late-written rows can), and each list is read page by page through the API."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.helpers import stamp
from tests.moderation.conftest import account, decide, review, sql

TITLES = ("Label photos of birds", "Transcribe a receipt", "Rate search results", "Sort customer emails")


def every_page(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = client.get(path, headers=headers, params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


def dated_reviews(client: TestClient, status: str) -> list[int]:
    """Four reviews by four accounts; the later the id, the OLDER its date. Returns the ids in id order."""
    ids = []
    for n, title in enumerate(TITLES):
        made = review(client, account(client, f"{status}-author-{n}"), task={"title": title, "reward_cents": 100})
        ids.append(made["id"])
    start = datetime.now(timezone.utc) - timedelta(days=1)
    for n, review_id in enumerate(ids):
        sql(client.app.state.settings, "UPDATE reviews SET status = ?, created_at = ? WHERE id = ?",
            status, stamp(start - timedelta(hours=n)), review_id)
    return ids


@pytest.mark.parametrize("kind", ["held", "hidden"])
def test_held_and_hidden_queues_are_newest_first_by_time(client: TestClient, kind: str) -> None:
    moderator = account(client, f"moderator-{kind}", "moderator")
    ids = dated_reviews(client, kind)
    listed = [item["review"]["id"] for item in every_page(client, moderator, "/api/v1/moderation/queue", kind=kind)]
    assert listed == ids  # the first id is the newest review: id order and time order disagree on purpose
    assert listed != sorted(ids, reverse=True)
    created = [item["review"]["created_at"] for item in every_page(client, moderator, "/api/v1/moderation/queue", kind=kind)]
    assert created == sorted(created, reverse=True)


def test_moderation_log_is_newest_first_by_time(client: TestClient) -> None:
    moderator = account(client, "moderator-log", "moderator")
    ids = dated_reviews(client, "visible")
    for review_id in ids:
        decide(client, moderator, review_id, "hide", "off topic")
    actions = sql(client.app.state.settings, "SELECT id FROM moderation_actions ORDER BY id")
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    for n, (action_id,) in enumerate(actions):  # the first action written is dated the latest
        sql(client.app.state.settings, "UPDATE moderation_actions SET created_at = ? WHERE id = ?",
            stamp(start - timedelta(minutes=n)), action_id)
    listed = [entry["id"] for entry in every_page(client, moderator, "/api/v1/moderation/log")]
    assert listed == [action_id for (action_id,) in actions]
    assert len(listed) == len(ids)
