"""POST /api/v1/me/history: raw MTurk and Prolific pages and normalized items, idempotent re-import, states that
only move forward, times copied from the worker's timings, and bad input that changes nothing."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import event

from tests.api.conftest import BAD_AUTH, a_timing, assert_error
from tests.helpers import Db
from tests.history.conftest import DAY1, DAY2, mturk_page, prolific_page

URL = "/api/v1/me/history"


def mturk(day: str, part: str, **changes: Any) -> dict[str, Any]:
    return {"platform": "mturk", "source": "status_details", "date": day, "payload": mturk_page(day, part), **changes}


def prolific(number: int, **changes: Any) -> dict[str, Any]:
    return {"platform": "prolific", "source": "submissions", "payload": prolific_page(number), **changes}


def an_item(**changes: Any) -> dict[str, Any]:
    return {"platform": "mturk", "assignment_id": "3ITEMASSIGN1", "task_id": "3ITEMHIT1", "requester_id": "AREQ1",
            "requester_name": "Shop Lab", "title": "Survey about shopping", "reward_cents": 100, "currency": "USD",
            "state": "pending", "work_date": "2026-10-30", **changes}


def upload(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(URL, headers=headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def counts(result: dict[str, Any]) -> tuple[int, int, int, int]:
    return result["received"], result["added"], result["updated"], result["unchanged"]


def history(db: Db, *columns: str) -> dict[str, tuple]:
    """assignment_id -> the chosen columns, for every stored row."""
    rows = db.rows(f"SELECT assignment_id, {', '.join(columns)} FROM work_history")  # noqa: S608 - our columns
    return {row[0]: tuple(row[1:]) for row in rows}


def test_a_day_of_two_pages_is_stored_and_reimporting_it_changes_nothing(client, alice, db):
    first = upload(client, alice, mturk(DAY1, "page1"))
    assert counts(first) == (20, 20, 0, 0)
    assert first["page"] == {"page_number": 1, "total_results": 25, "has_more": True}
    second = upload(client, alice, mturk(DAY1, "page2"))
    assert counts(second) == (5, 5, 0, 0)
    assert second["page"] == {"page_number": 2, "total_results": 25, "has_more": False}
    assert db.count("work_history") == 25
    stored = history(db, "state", "reward_cents", "currency", "work_date", "requester_name", "title")
    first_result = mturk_page(DAY1, "page1")["results"][0]
    row = stored[first_result["assignment_id"]]
    assert row == ("approved", 150, "USD", row[3], "Cognition and Perception Lab", first_result["title"])
    assert str(row[3]) == DAY1  # a date on PostgreSQL, its ISO text on SQLite
    assert sorted({row[0] for row in stored.values()}) == ["approved", "pending", "rejected"]

    before = db.dump()
    again = [upload(client, alice, mturk(DAY1, part)) for part in ("page1", "page2")]
    assert [counts(r) for r in again] == [(20, 0, 0, 20), (5, 0, 0, 5)]
    assert db.dump() == before  # not even updated_at moved


def test_a_partial_day_then_the_final_page_updates_only_what_changed(client, alice, db):
    assert counts(upload(client, alice, mturk(DAY2, "partial"))) == (8, 8, 0, 0)
    stamps = history(db, "updated_at", "imported_at")
    final = upload(client, alice, mturk(DAY2, "final"))
    # Two assignments were already Approved (and Paid is approved too): unchanged; six moved forward.
    assert counts(final) == (8, 0, 6, 2)
    results = mturk_page(DAY2, "final")["results"]
    stored = history(db, "state", "requester_feedback", "updated_at", "imported_at")
    assert [stored[r["assignment_id"]][0] for r in results] == ["approved", "rejected", "approved", "approved",
                                                                "approved", "returned", "approved", "approved"]
    assert stored[results[1]["assignment_id"]][1] == "Answers did not match the audio."
    for i, result in enumerate(results):
        key = result["assignment_id"]
        assert stored[key][3] == stamps[key][1]  # imported_at never moves
        assert (stored[key][2] == stamps[key][0]) is (i in (2, 6))  # updated_at moved only where something changed


def test_an_older_page_after_a_newer_one_does_not_undo_decisions(client, alice, db):
    upload(client, alice, mturk(DAY2, "final"))
    before = db.dump()
    stale = upload(client, alice, mturk(DAY2, "partial"))
    assert counts(stale) == (8, 0, 0, 8)
    assert db.dump() == before  # states stay decided, the feedback stays, nothing is rewritten


def test_a_decision_can_be_reversed_but_never_undone_to_pending(client, alice, db):
    upload(client, alice, {"items": [an_item(state="rejected", requester_feedback="Wrong answers.")]})
    reversed_ = upload(client, alice, {"items": [an_item(state="approved")]})
    assert counts(reversed_) == (1, 0, 1, 0)
    assert history(db, "state", "requester_feedback")["3ITEMASSIGN1"] == ("approved", "Wrong answers.")
    assert counts(upload(client, alice, {"items": [an_item(state="pending")]})) == (1, 0, 0, 1)
    assert history(db, "state")["3ITEMASSIGN1"] == ("approved",)


def test_the_items_form_merges_values_as_documented(client, alice, db):
    started, ended = "2026-10-30T09:00:00Z", "2026-10-30T09:20:00+00:00"
    first = upload(client, alice, {"items": [an_item(bonus_cents=40, started_at=started, ended_at=ended,
                                                     requester_feedback="Thanks!")]})
    assert counts(first) == (1, 1, 0, 0) and first["page"] is None
    # A later page without bonus, times, task id, name or feedback (as MTurk's pages come) erases none of them,
    # while the title and reward take the new values.
    bare = an_item(title="Survey about shopping (v2)", reward_cents=120, requester_name="", task_id=None)
    assert counts(upload(client, alice, {"items": [bare]})) == (1, 0, 1, 0)
    row = history(db, "title", "reward_cents", "bonus_cents", "requester_name", "task_id", "requester_feedback",
                  "started_at", "ended_at")["3ITEMASSIGN1"]
    assert row[:6] == ("Survey about shopping (v2)", 120, 40, "Shop Lab", "3ITEMHIT1", "Thanks!")
    assert row[6] is not None and row[7] is not None
    # A bigger bonus and new feedback replace; other zones are stored as UTC.
    assert counts(upload(client, alice, {"items": [bare | {"bonus_cents": 90, "requester_feedback": "Bonus sent.",
                                                          "started_at": "2026-10-30T11:00:00+02:00"}]})) == (1, 0, 1, 0)
    listed = client.get(URL, headers=alice).json()["items"][0]
    assert (listed["bonus_cents"], listed["requester_feedback"]) == (90, "Bonus sent.")
    assert listed["started_at"] == "2026-10-30T09:00:00Z"
    # The same key twice in one upload: the second is merged onto the first.
    two = upload(client, alice, {"items": [an_item(assignment_id="3TWICE", state="pending"),
                                           an_item(assignment_id="3TWICE", state="approved")]})
    assert counts(two) == (2, 1, 1, 0) and history(db, "state")["3TWICE"] == ("approved",)


def test_prolific_pages_are_imported_with_paging_and_times(client, alice, db):
    first = upload(client, alice, prolific(1))
    assert counts(first) == (4, 4, 0, 0)  # the ACTIVE submission is not counted or stored
    assert first["page"] == {"page_number": 1, "total_results": 8, "has_more": True}
    second = upload(client, alice, prolific(2))
    assert counts(second) == (3, 3, 0, 0) and second["page"]["has_more"] is False
    stored = history(db, "platform", "state", "reward_cents", "bonus_cents", "currency")
    assert sorted(v[1] for v in stored.values()) == ["approved", "approved", "pending", "rejected", "returned",
                                                     "returned", "screened_out"]
    assert {v[0] for v in stored.values()} == {"prolific"} and {v[4] for v in stored.values()} == {"GBP"}
    assert counts(upload(client, alice, prolific(1))) == (4, 0, 0, 4)
    # A platform's payload may also come as the JSON text itself.
    as_text = upload(client, alice, {"platform": "prolific", "payload": json.dumps(prolific_page(2))})
    assert counts(as_text) == (3, 0, 0, 3)


def test_times_of_a_matching_timing_are_copied_into_the_history(client, alice, db):
    page = mturk_page(DAY1, "page2")
    assignment = page["results"][0]["assignment_id"]
    other = page["results"][1]["assignment_id"]
    timing = a_timing(assignment_id=assignment, accepted_at="2026-10-27T10:00:00Z", ended_at="2026-10-27T10:07:30Z")
    assert client.post("/api/v1/timings", headers=alice, json=timing).status_code == 201
    # A timing with the same assignment id on another platform is not the same task.
    elsewhere = a_timing(platform="prolific", requester_id="5f1e2d3c4b5a69788796a5b4", assignment_id=other)
    assert client.post("/api/v1/timings", headers=alice, json=elsewhere).status_code == 201
    upload(client, alice, mturk(DAY1, "page2"))
    listed = {i["assignment_id"]: i for i in client.get(URL, headers=alice).json()["items"]}
    assert (listed[assignment]["started_at"], listed[assignment]["ended_at"]) == ("2026-10-27T10:00:00Z",
                                                                                  "2026-10-27T10:07:30Z")
    assert listed[other]["started_at"] is None and listed[other]["ended_at"] is None
    # The hours stay when the raw timing goes (timings are purged after a year).
    timing_id = db.value("SELECT id FROM timings WHERE assignment_id = ?", assignment)
    assert client.delete(f"/api/v1/me/timings/{timing_id}", headers=alice).status_code == 204
    assert counts(upload(client, alice, mturk(DAY1, "page2"))) == (5, 0, 0, 5)
    kept = {i["assignment_id"]: i for i in client.get(URL, headers=alice).json()["items"]}
    assert kept[assignment]["started_at"] == "2026-10-27T10:00:00Z"


def test_a_timing_recorded_after_the_import_is_copied_at_the_next_import(client, alice, db):
    upload(client, alice, {"items": [an_item()]})
    body = a_timing(assignment_id="3ITEMASSIGN1", accepted_at="2026-10-30T08:00:00Z", ended_at="2026-10-30T08:05:00Z")
    assert client.post("/api/v1/timings", headers=alice, json=body).status_code == 201
    assert counts(upload(client, alice, {"items": [an_item()]})) == (1, 0, 1, 0)
    assert history(db, "started_at")["3ITEMASSIGN1"][0] is not None
    # Times the history has of its own are never overwritten by a timing.
    upload(client, alice, {"items": [an_item(assignment_id="3OWN", started_at="2026-10-30T07:00:00Z",
                                             ended_at="2026-10-30T07:01:00Z")]})
    body = a_timing(assignment_id="3OWN", accepted_at="2026-10-30T09:00:00Z", ended_at="2026-10-30T09:05:00Z")
    assert client.post("/api/v1/timings", headers=alice, json=body).status_code == 201
    assert counts(upload(client, alice, {"items": [an_item(assignment_id="3OWN")]})) == (1, 0, 0, 1)


def test_a_big_upload_takes_a_few_statements_not_one_per_item(client, alice, db):
    items = [an_item(assignment_id=f"3BULK{i:04d}", title=f"Label image {i}") for i in range(500)]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = client.app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert counts(upload(client, alice, {"items": items})) == (500, 500, 0, 0)
        added = len(statements)
        statements.clear()
        moved = upload(client, alice, {"items": [item | {"state": "approved"} for item in items]})
        assert counts(moved) == (500, 0, 500, 0)
        updated = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert added <= 12 and updated <= 12, (added, updated)
    assert db.count("work_history") == 500
    assert db.value("SELECT count(*) FROM work_history WHERE state = 'approved'") == 500
    too_many = client.post(URL, headers=alice, json={"items": [*items, an_item(assignment_id="3ONEMORE")]})
    assert_error(too_many, 422, "invalid_field", "items")


# --- bad input changes nothing ----------------------------------------------------------------------------


def _broken(day: str, part: str, index: int, **result: Any) -> dict[str, Any]:
    body = mturk(day, part)
    body["payload"]["results"][index].update(result)
    return body


def _today(days: int = 0) -> str:
    return (datetime.now(timezone.utc).date() + timedelta(days=days)).isoformat()


def bad_uploads() -> dict[str, tuple[Any, str, str]]:
    """Built when a test runs, not when the module is imported: "two days ahead" must be ahead of the clock the
    request meets, also when the run crosses midnight (tests/clock.py)."""
    return {
        "unknown_state": (_broken(DAY1, "page1", 19, state="Expired"), "invalid_payload", "payload.results[19].state"),
        "bad_reward": (_broken(DAY1, "page1", 7, reward={"amount_in_dollars": "free"}), "invalid_payload",
                       "payload.results[7].reward.amount_in_dollars"),
        "missing_assignment": (_broken(DAY1, "page2", 2, assignment_id=None), "invalid_payload",
                               "payload.results[2].assignment_id"),
        "not_json_text": ({"platform": "mturk", "date": DAY1, "payload": "{oops"}, "invalid_payload", "payload"),
        "bad_prolific_status": ({"platform": "prolific", "payload": {"results": [
            {**prolific_page(1)["results"][0], "status": "WHATEVER"}]}}, "invalid_payload", "payload.results[0].status"),
        "missing_date": (mturk(DAY1, "page1", date=None), "invalid_field", "date"),
        "future_date": (mturk(DAY1, "page1", date=_today(2)), "invalid_field", "date"),
        "ancient_date": (mturk(DAY1, "page1", date="2004-12-31"), "invalid_field", "date"),
        "not_a_date": (mturk(DAY1, "page1", date="27/10/2026"), "invalid_field", "date"),
        "wrong_source": (mturk(DAY1, "page1", source="submissions"), "invalid_field", "source"),
        "unknown_platform": (mturk(DAY1, "page1", platform="toloka"), "invalid_field", "platform"),
        "no_payload": ({"platform": "mturk", "date": DAY1}, "invalid_field", "payload"),
        "no_platform": ({"payload": mturk_page(DAY1, "page1")}, "invalid_field", "platform"),
        "prolific_with_date": (prolific(1, date=DAY1), "invalid_field", "date"),
        "future_prolific_submission": ({"platform": "prolific", "payload": [
            {**prolific_page(1)["results"][0], "completed_at": _today(3) + "T10:00:00Z"}]}, "invalid_field", "payload"),
        "items_and_payload": ({"items": [an_item()], "payload": mturk_page(DAY1, "page1")}, "invalid_field", "payload"),
        "unknown_key": ({"items": [an_item()], "extra": 1}, "invalid_field", "extra"),
        "item_state": ({"items": [an_item(), an_item(assignment_id="3B", state="paid")]}, "invalid_field",
                       "items[1].state"),
        "item_future_day": ({"items": [an_item(work_date=_today(2))]}, "invalid_field", "items[0].work_date"),
        "item_ancient_day": ({"items": [an_item(work_date="1999-01-01")]}, "invalid_field", "items[0].work_date"),
        "item_naive_time": ({"items": [an_item(started_at="2026-10-30T10:00:00")]}, "invalid_field",
                            "items[0].started_at"),
        "item_ends_first": ({"items": [an_item(started_at="2026-10-30T10:00:00Z", ended_at="2026-10-30T09:00:00Z")]},
                            "invalid_field", "items[0].ended_at"),
        "item_negative_reward": ({"items": [an_item(reward_cents=-1)]}, "invalid_field", "items[0].reward_cents"),
        "item_unknown_field": ({"items": [an_item(participant="x")]}, "invalid_field", "items[0].participant"),
        "item_nul_title": ({"items": [an_item(title="a\u0000b")]}, "invalid_field", "items[0].title"),
    }


BAD = sorted(bad_uploads())


@pytest.mark.parametrize("case", BAD)
def test_bad_uploads_are_refused_with_the_field_and_change_nothing(client, alice, db, case):
    upload(client, alice, mturk(DAY2, "partial"))  # something there to be left alone
    body, code, field = bad_uploads()[case]
    before = db.dump()
    response = client.post(URL, headers=alice, json=body)
    error = assert_error(response, 422, code, field)
    assert error["message"].startswith(field), error
    assert db.dump() == before


def test_a_body_that_is_not_json_or_is_missing_is_a_400(client, alice, db):
    before = db.dump()
    assert_error(client.post(URL, headers={**alice, "Content-Type": "application/json"}, content=b"{"), 400)
    assert_error(client.post(URL, headers=alice), 400, "missing_body")
    assert db.dump() == before


@pytest.mark.parametrize("case", sorted(BAD_AUTH))
def test_every_route_needs_a_valid_token(client, alice, db, case):
    upload(client, alice, mturk(DAY2, "partial"))
    headers, code = BAD_AUTH[case]
    before = db.dump()
    for method, path, body in (("POST", URL, mturk(DAY1, "page1")), ("GET", URL, None), ("DELETE", URL, None),
                               ("DELETE", f"{URL}/1", None)):
        response = client.request(method, path, headers=headers, json=body)
        assert_error(response, 401, code)
    assert db.dump() == before
