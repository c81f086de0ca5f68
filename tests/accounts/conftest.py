"""A small community for the account tests: a worker who will leave ("leaver") with data in every table
that can hold a worker's data, and another worker ("stayer") whose data must never show up in the
leaver's export nor be touched by the leaver's deletion."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from server.settings import Settings
from tests.accounts.helpers import register_worker, sql, value
from tests.helpers import check_response

LEAVER = "leaverhandle7"
STAYER = "stayerhandle3"
LEAVER_PLATFORM_ID = "A1LEAVERWORKERID"
STAYER_PLATFORM_ID = "A2STAYERWORKERID"


def checked(response: httpx.Response) -> None:
    """Never a 5xx or a stack trace; the API's own errors in its one shape (Turkopticon routes keep theirs)."""
    if response.request.url.path.startswith("/api/v1/"):
        check_response(response)
        return
    response.read()
    assert response.status_code < 500 and "Traceback" not in response.text, response.text


@pytest.fixture
def client(client: TestClient) -> TestClient:
    client.event_hooks["response"].append(checked)
    return client


def a_review(requester_id: str, title: str | None = "Survey about shopping", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"platform": "mturk", "requester_id": requester_id, "requester_name": f"Lab {requester_id}",
                            "ratings": {"pay": 4, "fairness": 5, "speed": 4, "communication": None},
                            "worked_seconds": 600, "outcome": "approved", "comment": "Fine work."}
    if title is not None:
        body["task"] = {"title": title, "reward_cents": 100}
    return {**body, **changes}


def a_timing(requester_id: str, title: str, assignment_id: str, minutes: int = 8, **changes: Any) -> dict[str, Any]:
    ended = datetime.now(timezone.utc) - timedelta(minutes=30)
    return {"platform": "mturk", "requester_id": requester_id, "requester_name": f"Lab {requester_id}", "title": title,
            "reward_cents": 100, "assignment_id": assignment_id, "accepted_at": (ended - timedelta(minutes=minutes)).isoformat(),
            "ended_at": ended.isoformat(), "outcome": "submitted", **changes}


def post(client: TestClient, path: str, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


@dataclass
class Community:
    leaver: dict[str, str]  # Authorization header of the leaver's first token
    leaver_id: int
    leaver_tokens: list[str]  # every token value the leaver was issued (one revoked)
    stayer: dict[str, str]
    stayer_id: int
    leaver_reviews: list[int]
    stayer_reviews: list[int]
    leaver_timings: list[int]
    stayer_timings: list[int]
    leaver_flag: int
    stayer_flag: int
    requesters: dict[str, int] = field(default_factory=dict)  # external id → row id

    def needles(self, settings: Settings) -> list[str]:
        """Strings only the leaver's data contains (besides the texts of reviews they may keep)."""
        hashes = [h for (h,) in sql(settings, "SELECT token_hash FROM tokens WHERE worker_id = ?", self.leaver_id)]
        hmacs = [h for (h,) in sql(settings, "SELECT id_hmac FROM worker_platform_ids WHERE worker_id = ?", self.leaver_id)]
        assert len(hashes) == 3 and len(hmacs) == 1
        return [LEAVER, LEAVER_PLATFORM_ID, *self.leaver_tokens, *hashes, *hmacs, "LEAVERMUTEREASON",
                "LEAVERFILTERWORD", "LEAVERASSIGN", "LEAVERFLAGNOTE"]


def build_community(client: TestClient, settings: Settings, *, leaver_new: bool = False,
                    leaver_role: str = "worker") -> Community:
    leaver, leaver_id, first_token = register_worker(
        client, LEAVER, platform_ids=[{"platform": "mturk", "worker_id": LEAVER_PLATFORM_ID}], new=leaver_new)
    stayer, stayer_id, _ = register_worker(
        client, STAYER, platform_ids=[{"platform": "mturk", "worker_id": STAYER_PLATFORM_ID}])
    sql(settings, "UPDATE workers SET role = ? WHERE id = ?", leaver_role, leaver_id)

    # The leaver: reviews (one edited, so it has history; one of a requester nobody else reviewed),
    # timings, saved filters, a second token and a revoked third.
    r1 = post(client, "/api/v1/reviews", leaver, a_review("AREQ1", comment="LEAVERCOMMENT one"))["id"]
    r2 = post(client, "/api/v1/reviews", leaver, a_review("AREQ2", None, comment="LEAVERCOMMENT whole",
                                                         ratings={"pay": 5, "fairness": 5}))["id"]
    edited = client.patch(f"/api/v1/reviews/{r1}", headers=leaver, json={"comment": "LEAVERCOMMENT edited",
                                                                         "ratings": {"pay": 5}})
    assert edited.status_code == 200, edited.text
    t1 = post(client, "/api/v1/timings", leaver, a_timing("AREQ3", "Tag photos", "LEAVERASSIGN1"))["id"]
    t2 = post(client, "/api/v1/timings", leaver, a_timing("AREQ1", "Survey about shopping", "LEAVERASSIGN2"))["id"]
    saved = client.put("/api/v1/me/filters", headers=leaver, json={"keywords_exclude": ["LEAVERFILTERWORD"]})
    assert saved.status_code == 200, saved.text
    second = post(client, "/api/v1/me/tokens", leaver, {"label": "phone"})
    third = post(client, "/api/v1/me/tokens", leaver, {"label": "old laptop"})
    revoked = client.delete(f"/api/v1/me/tokens/{third['token_info']['id']}", headers=leaver)
    assert revoked.status_code == 204

    # The stayer reviews and times the same requesters.
    s1 = post(client, "/api/v1/reviews", stayer, a_review("AREQ1", comment="STAYERCOMMENT",
                                                         ratings={"pay": 2, "fairness": 3}))["id"]
    st1 = post(client, "/api/v1/timings", stayer, a_timing("AREQ3", "Tag photos", "STAYERASSIGN", minutes=12))["id"]

    # Flags and moderation rows, written directly (their routes belong to the moderation feature).
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    leaver_flag = value(settings, "INSERT INTO review_flags (review_id, worker_id, reason, note, created_at) "
                                  "VALUES (?, ?, 'spam', 'LEAVERFLAGNOTE', ?) RETURNING id", s1, leaver_id, now)
    stayer_flag = value(settings, "INSERT INTO review_flags (review_id, worker_id, reason, note, created_at) "
                                  "VALUES (?, ?, 'fake', 'STAYERFLAGNOTE', ?) RETURNING id", r1, stayer_id, now)
    sql(settings, "UPDATE workers SET muted_until = ?, mute_reason = 'LEAVERMUTEREASON' WHERE id = ?",
        (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S.%f"), leaver_id)
    for action, moderator, review, worker, note in (
            ("mute", stayer_id, None, leaver_id, "mute of the leaver"),
            ("hold", None, r2, None, "automatic hold of the leaver's review"),
            ("restore", stayer_id, r2, None, "restore of the leaver's review"),
            ("hide", leaver_id, s1, None, "the leaver acting as a moderator"),
            ("mute", leaver_id, None, stayer_id, "the leaver muting the stayer")):
        sql(settings, "INSERT INTO moderation_actions (action, moderator_id, review_id, worker_id, note, created_at) "
                      "VALUES (?, ?, ?, ?, ?, ?)", action, moderator, review, worker, note, now)

    requesters = dict(sql(settings, "SELECT external_id, id FROM requesters"))
    return Community(
        leaver=leaver, leaver_id=leaver_id, leaver_tokens=[first_token, second["token"], third["token"]],
        stayer=stayer, stayer_id=stayer_id, leaver_reviews=[r1, r2], stayer_reviews=[s1],
        leaver_timings=[t1, t2], stayer_timings=[st1], leaver_flag=leaver_flag, stayer_flag=stayer_flag,
        requesters=requesters)


@pytest.fixture
def community(client: TestClient, settings: Settings) -> Community:
    return build_community(client, settings)
