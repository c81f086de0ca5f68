"""Requester summaries (one and batch), and aggregates that follow reviews and timings."""
from __future__ import annotations

import pytest

from tests.api.conftest import a_review, a_task, a_timing, assert_error, sign_up

EMPTY_SCORE = {"score": None, "mean": None, "n": 0}


def seen(client, *tasks):
    response = client.post("/api/v1/annotate", json={"platform": tasks[0]["platform"], "tasks": list(tasks)})
    assert response.status_code == 200, response.text
    return response.json()["tasks"]


def test_one_requester(client):
    seen(client, a_task(requester_name="Shop Lab"))
    response = client.get("/api/v1/requesters/mturk/AREQ1")
    assert response.status_code == 200
    assert response.json() == {
        "platform": "mturk", "id": "AREQ1", "name": "Shop Lab", "reviews": 0,
        "scores": {"pay": EMPTY_SCORE, "fairness": EMPTY_SCORE, "speed": EMPTY_SCORE, "communication": EMPTY_SCORE},
        "rejections": 0, "blocks": 0, "approval_seconds": None, "median_hourly_cents": None,
        "recent": {"reviews": 0, "rejections": 0, "blocks": 0}, "flags": [], "imported": {},
        "evidence": {"accounts": 0, "weight": 0.0, "blocks": 0.0},
    }


@pytest.mark.parametrize("path", ["/api/v1/requesters/mturk/ANOBODY", "/api/v1/requesters/prolific/AREQ1",
                                  "/api/v1/requesters/mturk/areq1"])
def test_one_requester_not_found(client, path):
    seen(client, a_task())
    assert_error(client.get(path), 404, "not_found")


def test_batch_leaves_unknown_ids_out(client):
    seen(client, a_task(requester_id="A1"), a_task(requester_id="A2"), a_task(requester_id="A3"))
    response = client.get("/api/v1/requesters", params={"platform": "mturk", "ids": "A1, A2,A2,,AUNKNOWN"})
    assert response.status_code == 200
    body = response.json()
    assert sorted(body) == ["A1", "A2"]
    assert body["A1"]["id"] == "A1" and body["A1"]["platform"] == "mturk"
    # another platform has no such requesters
    assert client.get("/api/v1/requesters", params={"platform": "prolific", "ids": "A1"}).json() == {}


def test_batch_of_100(client):
    ids = [f"A{i:03d}" for i in range(100)]
    for start in range(0, 100, 50):
        seen(client, *[a_task(requester_id=i) for i in ids[start:start + 50]])
    response = client.get("/api/v1/requesters", params={"platform": "mturk", "ids": ",".join(ids)})
    assert response.status_code == 200
    assert sorted(response.json()) == ids


@pytest.mark.parametrize(("params", "code", "field"), [
    ({"platform": "mturk", "ids": ",".join(f"A{i}" for i in range(101))}, "too_many_ids", "ids"),
    ({"platform": "mturk", "ids": ""}, "invalid_parameter", "ids"),
    ({"platform": "mturk", "ids": " , ,"}, "invalid_parameter", "ids"),
    ({"platform": "mturk", "ids": "x" * 13_001}, "invalid_parameter", "ids"),
    ({"platform": "m", "ids": "A1"}, "invalid_parameter", "platform"),
    ({"platform": "mturk"}, None, None),
    ({"ids": "A1"}, None, None),
])
def test_batch_bad_parameters(client, params, code, field):
    body = assert_error(client.get("/api/v1/requesters", params=params), 400, code, field)
    assert body["code"] in {"too_many_ids", "invalid_parameter", "bad_request"}


def test_duplicate_ids_count_once_toward_the_limit(client):
    seen(client, a_task(requester_id="A1"))
    response = client.get("/api/v1/requesters", params={"platform": "mturk", "ids": ",".join(["A1"] * 150)})
    assert response.status_code == 200
    assert list(response.json()) == ["A1"]


# ------------------------------------------------------------------------------------------------
# Aggregates move with every write, and move back


def requester(client):
    return client.get("/api/v1/requesters/mturk/AREQ1").json()


def annotation(client):
    return seen(client, a_task())[0]


def test_aggregates_follow_reviews_and_timings(client, db):
    workers = [sign_up(client, f"worker{i}") for i in range(4)]
    annotation(client)  # the first view records the task (in the background); the next ones carry its id
    initial = annotation(client)
    initial_requester = requester(client)
    assert initial["hourly"]["basis"] == "unknown" and initial["hourly"]["n"] == 0
    assert initial_requester["reviews"] == 0

    rejected = client.post("/api/v1/reviews", headers=workers[0], json=a_review(
        outcome="rejected", worked_seconds=300, ratings={"pay": 2}, flags=["broken"])).json()
    now = requester(client)
    assert now["reviews"] == 1 and now["rejections"] == 1 and now["blocks"] == 0
    assert now["scores"]["pay"]["n"] == 1 and now["scores"]["pay"]["mean"] == 2
    assert now["recent"] == {"reviews": 1, "rejections": 1, "blocks": 0}
    task = annotation(client)
    assert task["hourly"]["basis"] == "task" and task["hourly"]["n"] == 1
    assert task["hourly"]["duration_seconds"] is not None
    assert task["requester"] == now
    assert task["flags"] == ["broken"]  # one report out of one review
    # one account's report shows the flag, but one account alone never makes a task "avoid" (issue 18)
    assert task["hourly"]["band"] != "avoid"

    blocked = client.post("/api/v1/reviews", headers=workers[1], json=a_review(
        outcome="blocked", task=None, worked_seconds=None, ratings={})).json()
    now = requester(client)
    assert now["reviews"] == 2 and now["rejections"] == 1 and now["blocks"] == 1

    timing = client.post("/api/v1/timings", headers=workers[2], json=a_timing(outcome="approved")).json()
    task = annotation(client)
    assert task["hourly"]["basis"] == "task" and task["hourly"]["n"] == 2
    assert task["hourly"]["median_rate"] == 300  # rejected → 0 ¢/h, approved 100 ¢ in 10 min → 600 ¢/h
    assert requester(client)["median_hourly_cents"] == 300

    # the batch shows the same summary as the single read and annotate
    batch = client.get("/api/v1/requesters", params={"platform": "mturk", "ids": "AREQ1"}).json()
    assert batch["AREQ1"] == requester(client) == annotation(client)["requester"]

    # an edit moves them too
    client.patch(f"/api/v1/reviews/{rejected['id']}", headers=workers[0], json={"outcome": "approved", "flags": []})
    now = requester(client)
    assert now["rejections"] == 0 and now["blocks"] == 1
    assert annotation(client)["flags"] == []

    # and deleting everything brings them back to where they started
    assert client.delete(f"/api/v1/reviews/{rejected['id']}", headers=workers[0]).status_code == 204
    assert client.delete(f"/api/v1/reviews/{blocked['id']}", headers=workers[1]).status_code == 204
    assert client.delete(f"/api/v1/me/timings/{timing['id']}", headers=workers[2]).status_code == 204
    # The name a signed-in reviewer gave stays their vote (server/domain/names.py); the page named no one.
    assert initial_requester["name"] == "" and requester(client)["name"] == "Shop Lab"
    assert requester(client) == {**initial_requester, "name": "Shop Lab"}
    assert annotation(client) == {**initial, "requester": {**initial["requester"], "name": "Shop Lab"}}
    assert db.count("requester_stats") == 0
    assert db.count("task_type_stats") == 0
    assert db.rows("SELECT n_completed, approved, decided FROM platform_stats") == [(0, 0, 0)]


def test_two_blocks_mean_avoid(client):
    for i in range(2):
        headers = sign_up(client, f"worker{i}")
        client.post("/api/v1/reviews", headers=headers, json=a_review(outcome="blocked"))
    now = requester(client)
    assert now["blocks"] == 2
    assert annotation(client)["hourly"]["band"] == "avoid"


def test_requester_review_without_task_counts_for_the_requester_only(client):
    headers = sign_up(client, "worker1")
    client.post("/api/v1/reviews", headers=headers, json=a_review(task=None, outcome="rejected", ratings={"pay": 1}))
    assert requester(client)["reviews"] == 1
    assert requester(client)["rejections"] == 1
    assert annotation(client)["hourly"]["basis"] == "unknown"
