"""Evidence weighted by who gives it, through the real app (issue 18 item 2): a figure from one timing says so
and is never "good"; one fresh account cannot move a band; titles that read the same are one task type."""
from __future__ import annotations

from typing import Any

from tests.api.conftest import a_review, a_task, a_timing, sign_up
from tests.conftest import register

TARGET_BANDS = {"good", "ok", "low", "avoid", "unknown"}


def annotation(client, **task: Any) -> dict[str, Any]:
    response = client.post("/api/v1/annotate", json={"platform": "mturk", "tasks": [a_task(**task)]})
    assert response.status_code == 200, response.text
    [found] = response.json()["tasks"]
    assert found["hourly"]["band"] in TARGET_BANDS
    return found


def timed(client, headers: dict[str, str], seconds: int, assignment: str, **changes: Any) -> None:
    minutes, rest = divmod(seconds, 60)
    response = client.post("/api/v1/timings", headers=headers, json=a_timing(
        assignment_id=assignment, accepted_at="2026-01-10T10:00:00Z",
        ended_at=f"2026-01-10T10:{minutes:02d}:{rest:02d}Z", outcome="approved", **changes))
    assert response.status_code == 201, response.text


def test_a_figure_from_one_timing_says_so_and_is_never_good(client):
    annotation(client)  # the task is seen
    timed(client, sign_up(client, "quick"), 30, "A1")  # $1.00 in 30 s: $120/h by the number alone
    hourly = annotation(client)["hourly"]
    assert hourly["basis"] == "task" and hourly["n"] == 1 and hourly["accounts"] == 1
    assert hourly["rests_on"] == "1 timing"
    assert hourly["cents_per_hour"] > 725  # the number clears the target ...
    assert hourly["band"] == "ok"  # ... but one worker's timing never makes "good"

    # a second worker: the figure says it rests on two accounts
    timed(client, sign_up(client, "quick2"), 30, "A2")
    two = annotation(client)["hourly"]
    assert two["n"] == 2 and two["accounts"] == 2 and two["rests_on"] == "2 timings from 2 accounts"


def test_one_fresh_account_cannot_move_a_band(client):
    annotation(client)
    for i in range(3):  # three established workers: 10 minutes for $1.00, $6/h: "low"
        timed(client, sign_up(client, f"regular{i}"), 600, f"R{i}")
    before = annotation(client)
    assert before["hourly"]["band"] == "low" and before["hourly"]["accounts"] == 3

    fresh = register(client, "fresh", new=True)
    timed(client, fresh, 20, "F1")  # a 20-second timing would make it $180/h
    response = client.post("/api/v1/reviews", headers=fresh, json=a_review(
        outcome="blocked", flags=["broken"], ratings={"pay": 1}, worked_seconds=20))
    assert response.status_code == 201, response.text
    after = annotation(client)
    assert after["hourly"]["band"] == before["hourly"]["band"]  # neither "good" nor "avoid"
    assert after["hourly"]["cents_per_hour"] == before["hourly"]["cents_per_hour"]
    assert after["hourly"]["accounts"] == 3  # kept, not counted until its eighth day

    # the same fresh account under a look-alike title (Cyrillic "а", a zero-width space, another case)
    # reaches the same task type, with the same figures
    twin = annotation(client, title="SURVEY \u0430bout\u200b shopping.")
    assert twin["hourly"] == after["hourly"]


def test_titles_that_read_the_same_are_one_task_type(client):
    annotation(client)
    titles = ["Survey about shopping", "survey about shopping.", "Survey\u200b about  shopping",
              "Ｓｕｒｖｅｙ about shopping", "Survey аbout shopping"]  # fullwidth, Cyrillic а
    for i, title in enumerate(titles):
        timed(client, sign_up(client, f"worker{i}"), 600, f"T{i}", title=title)
    for title in titles:
        hourly = annotation(client, title=title)["hourly"]
        assert hourly["n"] == len(titles) and hourly["accounts"] == len(titles)
    # a different title stays a different task type
    assert annotation(client, title="Survey about shopping habits")["hourly"]["basis"] != "task"
