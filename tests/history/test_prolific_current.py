"""Prolific submissions in the current item shape (submission_reward, submission_bonuses, submission_adjustments,
screened_out_payments, returned_at, time_taken as text) beside the older one: the parser, then the real API and
the earnings it feeds (docs/earnings.md)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient

from scrapers.model import PayloadError
from scrapers.prolific_history import parse_submissions
from tests.helpers import Db
from tests.history.conftest import fixture, prolific_page

CURRENT = "prolific_submissions_current.json"
DAY = date(2026, 11, 3)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def current() -> Any:
    return fixture(CURRENT)


def test_the_current_shape_reads_rewards_bonuses_adjustments_and_screen_out_payments():
    page = parse_submissions(current())
    assert (page.page_number, page.total_results, page.has_more) == (1, 6, False)  # next.href null: no more
    approved, pending, returned, screened, rejected = page.items  # ACTIVE left out
    assert [i.state for i in page.items] == ["approved", "pending", "returned", "screened_out", "rejected"]
    # Two bonuses (40 + 10) and an adjustment (25) are money the work paid on top of its reward.
    assert (approved.reward_cents, approved.bonus_cents, approved.currency) == (180, 75, "GBP")
    assert approved.task_id == "66a0b1c2d3e4f5a6b7c8d901"  # study.id: no study_id at the top
    assert (approved.requester_id, approved.requester_name) == ("60b1c2d3e4f5a6b7c8d9e0f1", "Wellbeing Lab")
    assert (pending.reward_cents, pending.bonus_cents) == (95, 0)
    # Returned work ends at returned_at; so does rejected work in this shape.
    assert (returned.started_at, returned.ended_at) == (utc("2026-11-03T09:30:00"), utc("2026-11-03T09:34:00"))
    assert rejected.ended_at == utc("2026-11-03T10:05:00") and rejected.work_date == DAY
    # A screen-out was paid its screening payment (14p), not the study's £4.50.
    assert (screened.reward_cents, screened.bonus_cents) == (14, 0)
    assert screened.started_at == utc("2026-11-03T09:40:00") and screened.ended_at == utc("2026-11-03T09:41:30")
    assert all(i.platform == "prolific" and i.work_date == DAY for i in page.items)


@pytest.mark.parametrize(("text", "seconds"), [
    ("869", 869), ("869.4", 869), ("00:14:29", 869), ("00:14:29.600000", 870), ("14:29", 869),
    ("1 02:00:00", 93600), ("PT14M29S", 869), ("pt1h", 3600), ("P1DT1S", 86401),
])
def test_time_taken_as_text_fills_a_missing_start(text, seconds):
    body = current()
    item = body["results"][1]
    item.pop("started_at")
    item["time_taken"] = text
    pending = parse_submissions(body).items[1]
    assert pending.ended_at == utc("2026-11-03T09:27:30")
    assert (pending.ended_at - pending.started_at).total_seconds() == seconds


@pytest.mark.parametrize("text", ["about 14 minutes", "", "P", "PT", "12:99:99:99"])
def test_time_taken_in_an_unknown_form_is_ignored_not_an_error(text):
    body = current()
    body["results"][1]["time_taken"] = text
    pending = parse_submissions(body).items[1]
    assert (pending.started_at, pending.ended_at) == (utc("2026-11-03T09:20:00"), utc("2026-11-03T09:27:30"))


def test_a_screen_out_without_a_payment_list_keeps_its_reward_and_other_states_add_screen_out_payments():
    body = current()
    body["results"][3].pop("screened_out_payments")
    body["results"][0]["screened_out_payments"] = [{"amount": 5, "currency": "GBP"}]
    items = parse_submissions(body).items
    assert items[3].reward_cents == 450
    assert items[0].bonus_cents == 80


def test_a_negative_total_of_extras_lowers_the_reward_by_exactly_that_much():
    body = current()
    body["results"][1]["submission_adjustments"] = [{"amount": -20, "currency": "GBP"}]
    body["results"][0]["submission_adjustments"] = [{"amount": -60, "currency": "GBP"}]  # bonuses 50 - 60 = -10
    items = parse_submissions(body).items
    assert (items[1].reward_cents, items[1].bonus_cents) == (75, 0)
    assert (items[0].reward_cents, items[0].bonus_cents) == (170, 0)
    body["results"][0]["submission_adjustments"] = [{"amount": -1000, "currency": "GBP"}]
    assert parse_submissions(body).items[0].reward_cents == 0


def test_the_older_shape_still_reads_the_same_way():
    page = parse_submissions(prolific_page(1))
    assert [(i.reward_cents, i.bonus_cents) for i in page.items][0] == (225, 50)


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda s: s.update(submission_reward={"currency": "GBP"}), "results[0].submission_reward.amount", "is required"),
    (lambda s: s.update(submission_reward={"amount": "lots", "currency": "GBP"}),
     "results[0].submission_reward.amount", "number"),
    (lambda s: s.update(submission_bonuses=[{"amount": 10, "currency": "USD"}]),
     "results[0].submission_bonuses[0].currency", "the reward is in GBP"),
    (lambda s: s.update(submission_bonuses=[{"amount": -10, "currency": "GBP"}]),
     "results[0].submission_bonuses[0].amount", "negative"),
    (lambda s: s.update(submission_adjustments={"amount": 10}), "results[0].submission_adjustments", "must be a list"),
    (lambda s: s.update(submission_adjustments=[{"currency": "GBP"}]),
     "results[0].submission_adjustments[0].amount", "is required"),
    (lambda s: s.update(screened_out_payments=[{"amount": True}]),
     "results[0].screened_out_payments[0].amount", "boolean"),
    (lambda s: s.update(returned_at="2026-11-03T08:00:00Z", completed_at=None), "results[0].returned_at",
     "before started_at"),
    (lambda s: s.update(time_taken=[12]), "results[0].time_taken", "must be a number"),
])
def test_a_bad_current_item_names_its_field(change, field, words):
    body = current()
    change(body["results"][0])
    with pytest.raises(PayloadError) as caught:
        parse_submissions(body)
    assert caught.value.field == field and words in caught.value.message, (caught.value.field, caught.value.message)


# --- through the real API ---------------------------------------------------------------------------------


def test_both_shapes_import_through_the_api_and_the_earnings_count_bonuses_and_screen_outs(
        client: TestClient, db: Db, alice: dict[str, str]) -> None:
    answer = client.post("/api/v1/me/history", headers=alice,
                         json={"platform": "prolific", "source": "submissions", "payload": current()})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["received"], answer.json()["added"]) == (5, 5)
    older = client.post("/api/v1/me/history", headers=alice,
                        json={"platform": "prolific", "source": "submissions", "payload": prolific_page(2)})
    assert older.status_code == 200, older.text
    stored = {row[0]: row[1:] for row in db.rows(
        "SELECT assignment_id, state, reward_cents, bonus_cents FROM work_history WHERE platform = 'prolific'")}
    assert stored["6a10c2e4f1b2a3c4d5e6f701"] == ("approved", 180, 75)
    assert stored["6a10c2e4f1b2a3c4d5e6f704"] == ("screened_out", 14, 0)
    assert len(stored) == 8  # 5 current + 3 older

    response = client.get("/api/v1/me/earnings", headers=alice,
                          params={"from": "2026-11-03", "to": "2026-11-03", "tz": "UTC", "gap_minutes": 10})
    assert response.status_code == 200, response.text
    [gbp] = response.json()["currencies"]
    totals = gbp["totals"]
    assert totals["cents"] == {"approved": 255, "pending": 95, "rejected": 120, "returned": 300, "screened_out": 14}
    assert totals["earned_cents"] == 255 + 14  # approved with its bonuses and adjustment, plus what the screen-out paid
    hourly = gbp["hourly"]
    # Paid work: 12 + 7.5 + 1.5 minutes for 255 + 95 + 14 pence. All work adds the returned 4 and rejected 5 minutes;
    # searching: 8 + 2.5 + 6 minutes (the 18.5 minutes before the rejected task are a break).
    assert (hourly["paid_seconds"], hourly["work_seconds"], hourly["search_seconds"]) == (1260.0, 1800.0, 990.0)
    assert hourly["without_unpaid"] == float(round(Decimal(364 * 3600) / 1260, 2))
    assert hourly["with_unpaid"] == float(round(Decimal(364 * 3600) / 2790, 2))
