"""The history parsers against the constructed pages of tests/fixtures/history/ and their broken variants."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import msgspec
import pytest

from scrapers.model import HistoryItem, PayloadError
from scrapers.mturk_history import parse_status_details
from scrapers.prolific_history import parse_submissions
from server.history.service import merge
from tests.history.conftest import FIXTURES, mturk_page, prolific_page

D1, D2 = date(2026, 10, 27), date(2026, 10, 28)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def error_of(call, *args) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        call(*args)
    return caught.value


# --- MTurk status_details ---------------------------------------------------------------------------------


def test_a_day_of_two_pages_reads_every_task_and_says_when_more_follow():
    first = parse_status_details((FIXTURES / "mturk_status_details_2026-10-27_page1.json").read_bytes(), D1)
    second = parse_status_details(mturk_page("2026-10-27", "page2"), D1)
    assert (first.page_number, first.total_results, first.has_more, len(first.items)) == (1, 25, True, 20)
    assert (second.page_number, second.total_results, second.has_more, len(second.items)) == (2, 25, False, 5)
    items = first.items + second.items
    assert len({i.assignment_id for i in items}) == 25
    assert all(i.platform == "mturk" and i.work_date == D1 and i.bonus_cents == 0 for i in items)
    assert all(i.started_at is None and i.ended_at is None for i in items)
    survey = items[0]
    assert survey.title == "Short survey about your shopping habits (about 10 minutes)"
    assert (survey.requester_id, survey.requester_name) == ("A1PSYLAB7UCSD2", "Cognition and Perception Lab")
    assert (survey.reward_cents, survey.currency, survey.state) == (150, "USD", "approved")
    assert survey.task_id == "3FB2C6FF8114B7AEBC918379F79A19" and survey.requester_feedback == ""
    assert items[1].reward_cents == 5  # $0.05, not 4 cents
    assert items[4].requester_feedback == "Thanks for the careful work!"
    # Approved and Paid are both approved; Pending and Submitted both pending.
    assert [i.state for i in second.items] == ["pending", "approved", "approved", "approved", "approved"]
    assert [i.state for i in first.items[18:20]] == ["rejected", "pending"]
    assert first.items[18].requester_feedback == "Failed the attention check."


@pytest.mark.parametrize(("page_number", "on_page", "total", "more"), [
    (1, 20, 25, True), (2, 5, 25, False), (2, 20, 40, False), (1, 20, 20, False), (1, 20, None, False),
    (1, 0, 25, False), (1, 12, 25, False),  # a short page is the last one, whatever the total says
    (2, 25, 60, True),  # longer pages: counted by their own length
])
def test_more_pages_follow_only_after_a_full_page_short_of_the_total(page_number, on_page, total, more):
    page = mturk_page("2026-10-27", "page1")
    results = (page["results"] * 2)[:on_page]
    body = {"page_number": page_number, "num_results": on_page, "results": results}
    if total is not None:
        body["total_num_results"] = total
    assert parse_status_details(body, D1).has_more is more


def test_a_bare_list_is_read_without_paging():
    page = parse_status_details(json.dumps(mturk_page("2026-10-27", "page2")["results"]), D1)
    assert len(page.items) == 5 and page.has_more is False and page.total_results is None


def test_the_partial_day_fetched_again_later_moves_states_forward():
    early = parse_status_details(mturk_page("2026-10-28", "partial"), D2).items
    late = parse_status_details(mturk_page("2026-10-28", "final"), D2).items
    assert [i.assignment_id for i in early] == [i.assignment_id for i in late]
    assert [i.state for i in early] == ["pending", "pending", "approved", "pending", "pending", "pending", "approved",
                                        "pending"]
    assert [i.state for i in late] == ["approved", "rejected", "approved", "approved", "approved", "returned",
                                       "approved", "approved"]
    # The merge rule on top: the later page decides, the earlier one (arriving after it) undoes nothing.
    for old, new in zip(early, late, strict=True):
        stored = merge(None, old)
        assert merge(stored, new)["state"] == new.state
        decided = merge(None, new)
        assert merge(decided, old)["state"] == new.state
        assert merge(decided, old)["requester_feedback"] == new.requester_feedback
    assert late[1].requester_feedback == "Answers did not match the audio."


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda r: r.update(state="Expired"), "results[3].state", "unknown state"),
    (lambda r: r.update(state=3), "results[3].state", "must be a string"),
    (lambda r: r.pop("state"), "results[3].state", "is required"),
    (lambda r: r["reward"].update(amount_in_dollars="a dollar"), "results[3].reward.amount_in_dollars", "number"),
    (lambda r: r["reward"].update(amount_in_dollars=-0.1), "results[3].reward.amount_in_dollars", "negative"),
    (lambda r: r["reward"].update(currency_code="dollars"), "results[3].reward.currency_code", "ISO 4217"),
    (lambda r: r.update(reward=0.5), "results[3].reward", "must be an object"),
    (lambda r: r.pop("reward"), "results[3].reward", "is required"),
    (lambda r: r.pop("assignment_id"), "results[3].assignment_id", "is required"),
    (lambda r: r.update(assignment_id="has spaces in it"), "results[3].assignment_id", "an id"),
    (lambda r: r.pop("requester_id"), "results[3].requester_id", "is required"),
    (lambda r: r.update(title="   "), "results[3].title", "must not be empty"),
    (lambda r: r.update(requester_feedback=["x"]), "results[3].requester_feedback", "must be a string"),
])
def test_a_bad_result_names_its_field(change, field, words):
    page = mturk_page("2026-10-27", "page1")
    change(page["results"][3])
    error = error_of(parse_status_details, page, D1)
    assert error.field == field and words in error.message, (error.field, error.message)


def test_bad_containers_and_pager_fields_are_payload_errors():
    assert error_of(parse_status_details, b"{not json", D1).field == "payload"
    assert error_of(parse_status_details, {"page_number": 1}, D1).field == "results"
    assert error_of(parse_status_details, {"results": {}}, D1).field == "results"
    assert error_of(parse_status_details, {"results": [], "page_number": 0}, D1).field == "page_number"
    assert error_of(parse_status_details, {"results": [], "total_num_results": "many"}, D1).field == "total_num_results"
    assert error_of(parse_status_details, {"results": ["x"]}, D1).field == "results[0]"


def test_case_spacing_unknown_fields_and_long_text_are_tolerated():
    page = mturk_page("2026-10-27", "page2")
    result = page["results"][0]
    result.update(state="  APPROVED ", unexpected={"nested": [1, 2]}, title="Survey " * 200, requester_name="R" * 300)
    result["reward"]["amount_in_dollars"] = "0.29"
    item = parse_status_details(page, D1).items[0]
    assert item.state == "approved" and item.reward_cents == 29
    assert len(item.title) == 500 and item.title.endswith("…")
    assert len(item.requester_name) == 200
    # What the parser gives is a valid wire item (the struct's own limits).
    msgspec.json.decode(msgspec.json.encode(item), type=HistoryItem)


# --- Prolific submissions ---------------------------------------------------------------------------------


def test_the_first_prolific_page_reads_finished_submissions_and_its_next_link():
    page = parse_submissions((FIXTURES / "prolific_submissions_page1.json").read_bytes())
    assert (page.page_number, page.total_results, page.has_more) == (1, 8, True)
    states = [i.state for i in page.items]
    assert states == ["approved", "pending", "returned", "rejected"]  # the ACTIVE one is left out, no error
    approved, awaiting, returned, rejected = page.items
    assert approved.platform == "prolific" and approved.assignment_id == prolific_page(1)["results"][0]["id"]
    assert (approved.requester_id, approved.requester_name) == ("60a1b2c3d4e5f60718293a4b",
                                                                "Dr Amara Okafor, University of Leeds")
    assert approved.title == "Attitudes towards remote work (15 minutes)"
    assert (approved.reward_cents, approved.bonus_cents, approved.currency) == (225, 50, "GBP")
    assert approved.started_at == utc("2026-10-27T09:02:11.123+00:00")
    assert approved.ended_at == utc("2026-10-27T09:16:40.456+00:00") and approved.work_date == D1
    assert approved.task_id == prolific_page(1)["results"][0]["study_id"]
    assert (awaiting.reward_cents, awaiting.currency) == (150, "GBP")  # {amount, currency} form
    # Returned without completed_at: ended = started + time_taken; the day is the start's.
    assert returned.started_at == utc("2026-10-27T11:00:00+00:00") and returned.ended_at == utc("2026-10-27T11:04:00+00:00")
    assert returned.work_date == D1
    # Rejected with only completed_at and time_taken (1080 s): started = completed - 18 minutes.
    assert rejected.ended_at == utc("2026-10-28T08:30:00+00:00") and rejected.started_at == utc("2026-10-28T08:12:00+00:00")
    assert rejected.work_date == D2


def test_the_last_prolific_page_has_no_next_link_and_converts_zones():
    page = parse_submissions(prolific_page(2))
    assert (page.page_number, page.total_results, page.has_more) == (2, 8, False)
    screened, timed_out, approved = page.items
    assert (screened.state, screened.reward_cents) == ("screened_out", 10)  # the submission's own reward wins
    assert timed_out.state == "returned" and timed_out.ended_at is None and timed_out.work_date == date(2026, 10, 29)
    assert approved.bonus_cents == 100  # 25 + 75
    assert approved.started_at == utc("2026-10-29T17:10:00+00:00") and approved.work_date == date(2026, 10, 29)


def test_participant_ids_are_never_kept():
    page = parse_submissions(prolific_page(1))
    assert b"5f0c0ffee0ddba11c0ffee00" not in msgspec.json.encode(page)


@pytest.mark.parametrize(("status", "state"), [
    ("APPROVED", "approved"), ("AWAITING REVIEW", "pending"), ("AWAITING_REVIEW", "pending"),
    ("awaiting-review", "pending"), ("PROCESSING", "pending"), ("REJECTED", "rejected"), ("RETURNED", "returned"),
    ("TIMED-OUT", "returned"), ("TIMED_OUT", "returned"), ("SCREENED OUT", "screened_out"),
    ("SCREENED_OUT", "screened_out"), ("ACTIVE", None), ("RESERVED", None),
])
def test_prolific_statuses(status, state):
    body = prolific_page(2)
    body["results"][2]["status"] = status
    items = parse_submissions(body).items
    assert (items[2].state if len(items) == 3 else None) == state


def test_a_skipped_submission_needs_nothing_else():
    assert parse_submissions([{"id": "x1", "status": "ACTIVE"}]).items == []


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda s: s.update(status="PAID OUT"), "results[1].status", "unknown status"),
    (lambda s: s.pop("status"), "results[1].status", "is required"),
    (lambda s: s.pop("id"), "results[1].id", "is required"),
    (lambda s: s["study"]["researcher"].pop("id"), "results[1].study.researcher.id", "is required"),
    (lambda s: s["study"].pop("researcher"), "results[1].study.researcher.id", "is required"),
    (lambda s: s["study"].pop("name"), "results[1].study.name", "is required"),
    (lambda s: (s.pop("reward"), s["study"].pop("reward")), "results[1].reward", "is required"),
    (lambda s: s.update(reward={"amount": "lots"}), "results[1].reward.amount", "number"),
    (lambda s: s.update(reward=[1]), "results[1].reward", "not a list"),
    (lambda s: s.update(bonus_payments=[10, -5]), "results[1].bonus_payments[1]", "negative"),
    (lambda s: s.update(bonus_payments=5), "results[1].bonus_payments", "must be a list"),
    (lambda s: s.update(started_at=None, completed_at=None), "results[1].completed_at", "is required"),
    (lambda s: s.update(completed_at="yesterday"), "results[1].completed_at", "ISO 8601"),
    (lambda s: s.update(started_at=1700000000), "results[1].started_at", "must be a string"),
    (lambda s: s.update(completed_at="2026-10-27T09:00:00Z"), "results[1].completed_at", "before started_at"),
    (lambda s: s.update(time_taken=-3), "results[1].time_taken", "negative"),
])
def test_a_bad_submission_names_its_field(change, field, words):
    body = prolific_page(1)
    change(body["results"][1])
    error = error_of(parse_submissions, body)
    assert error.field == field and words in error.message, (error.field, error.message)


def test_prolific_containers_and_alternative_shapes():
    submission = {"id": "s1", "status": "APPROVED", "study_name": "Study", "researcher_id": "5f1e2d3c4b5a69788796a5b4",
                  "researcher_name": "Lab", "reward": 120, "currency": "usd", "bonus": {"amount": 30},
                  "completed_at": "2026-10-30T10:00:00", "time_taken": 600.4}
    bare = parse_submissions(json.dumps([submission]).encode())
    assert bare.has_more is False and bare.total_results is None
    (item,) = bare.items
    assert (item.title, item.requester_id, item.requester_name) == ("Study", "5f1e2d3c4b5a69788796a5b4", "Lab")
    assert (item.reward_cents, item.currency, item.bonus_cents) == (120, "USD", 30)
    assert item.ended_at == utc("2026-10-30T10:00:00+00:00")  # no zone: UTC
    assert item.started_at == utc("2026-10-30T09:50:00+00:00")  # 600.4 s rounds to 600
    drf = parse_submissions({"results": [submission], "next": "https://example.org/x?page=4", "count": 70})
    assert (drf.has_more, drf.page_number, drf.total_results) == (True, 3, 70)
    last = parse_submissions({"results": [], "next": None, "_links": {"next": {"href": None}}})
    assert last.has_more is False and last.items == []
    assert error_of(parse_submissions, {"results": [], "_links": {"next": {"href": 3}}}).field == "_links.next.href"
    assert error_of(parse_submissions, {"results": [], "meta": {"count": "x"}}).field == "meta.count"
    assert error_of(parse_submissions, "[").field == "payload"
    assert error_of(parse_submissions, 42).field == "payload"
