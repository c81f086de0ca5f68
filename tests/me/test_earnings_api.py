"""GET /api/v1/me/earnings on the worked example of docs/earnings.md, built through the real API and tables."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient

from server.me.summary import MAX_ROWS
from tests.api.conftest import BAD_AUTH, assert_error
from tests.helpers import Db
from tests.me.example import (BAD, DAY, PERIOD, SHOP, WEEK, add_history, add_timing, at, days, worked_example,
                              worker_id)

URL = "/api/v1/me/earnings"


def get(client: TestClient, headers: dict[str, str], **params: object) -> dict:
    response = client.get(URL, params={**PERIOD, **params}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


def test_worked_example(client: TestClient, db: Db, alice: dict[str, str]) -> None:
    worked_example(client, db, alice)
    body = get(client, alice)
    assert body["period"] == {"from": "2026-01-12", "to": "2026-01-18", "time_zone": "UTC", "gap_minutes": 10}
    [usd] = body["currencies"]
    assert usd["currency"] == "USD"
    assert usd["totals"] == {
        "tasks": {"approved": 1, "pending": 1, "rejected": 1, "returned": 1, "screened_out": 0},
        "cents": {"approved": 100, "pending": 50, "rejected": 40, "returned": 300, "screened_out": 0},
        "earned_cents": 100, "approval_rate": 0.5}
    assert usd["hourly"] == {"without_unpaid": 600.0, "with_unpaid": 300.0, "paid_seconds": 900.0,
                             "work_seconds": 1500.0, "search_seconds": 300.0, "unpaid_seconds": 900.0,
                             "timed_tasks": 4, "tasks": 4}
    # every day of the period, zeros included
    assert [row["day"] for row in usd["by_day"]] == days(WEEK, 7)
    by_day = {row["day"]: row for row in usd["by_day"]}
    assert by_day[DAY.isoformat()] == {"day": "2026-01-14", "tasks": 4, "earned_cents": 100, "pending_cents": 50,
                                       "rejected_cents": 40, "hourly_without_unpaid": 600.0,
                                       "hourly_with_unpaid": 300.0, "work_seconds": 1500.0}
    assert by_day["2026-01-13"] == {"day": "2026-01-13", "tasks": 0, "earned_cents": 0, "pending_cents": 0,
                                    "rejected_cents": 0, "hourly_without_unpaid": None, "hourly_with_unpaid": None,
                                    "work_seconds": 0.0}
    assert usd["by_week"] == [{"week_start": "2026-01-12", **{k: v for k, v in by_day["2026-01-14"].items()
                                                              if k != "day"}}]
    # Shop Lab earned most. Its hourly with unpaid time counts the 3 minutes searching before its pending task,
    # not Bad Lab's returned task in between: $1.50 / 18 min = $5.00 an hour.
    assert usd["by_requester"] == [
        {"platform": "mturk", "requester_id": SHOP[0], "requester_name": "Shop Lab", "tasks": 2, "approved": 1,
         "rejected": 0, "earned_cents": 100, "pending_cents": 50, "approval_rate": 1.0, "hourly_without_unpaid": 600.0,
         "hourly_with_unpaid": 500.0},
        {"platform": "mturk", "requester_id": BAD[0], "requester_name": "Bad Lab", "tasks": 2, "approved": 0,
         "rejected": 1, "earned_cents": 0, "pending_cents": 0, "approval_rate": 0.0, "hourly_without_unpaid": None,
         "hourly_with_unpaid": 0.0},
    ]
    task_types = [(row["title"], row["reward_cents"], row["tasks"], row["earned_cents"]) for row in usd["by_task_type"]]
    assert task_types[0] == ("Survey about shopping", 80, 1, 100)
    assert sorted(task_types[1:]) == [("Survey about shopping", 50, 1, 0), ("Tag photos", 40, 1, 0),
                                      ("Transcribe receipts", 300, 1, 0)]
    assert usd["more"] == {"by_requester": 0, "by_task_type": 0}
    history = body["history"]["platforms"]
    assert list(history) == ["mturk"] and history["mturk"]["items"] == 3
    assert history["mturk"]["last_imported_at"] is not None


def test_search_gaps_follow_gap_minutes(client: TestClient, db: Db, alice: dict[str, str]) -> None:
    worked_example(client, db, alice)
    none = get(client, alice, gap_minutes="0")["currencies"][0]["hourly"]
    assert none["search_seconds"] == 0 and none["with_unpaid"] == round(150 * 3600 / 1500, 2)
    everything = get(client, alice, gap_minutes="120")["currencies"][0]["hourly"]
    assert everything["search_seconds"] == 300 + 3600  # the hour's break is now searching too
    assert everything["unpaid_seconds"] == 600 + 300 + 3600
    assert get(client, alice, gap_minutes="120")["period"]["gap_minutes"] == 120


def test_time_zone_moves_timed_work_to_its_local_day(client: TestClient, db: Db, alice: dict[str, str]) -> None:
    """A timing without a history row counts on the day it ended where the worker is; history rows keep the
    platform's day."""
    worker = worker_id(client, alice)
    add_timing(client, alice, "LATE", SHOP, "Late survey", 200, at(23, 0), at(23, 30), outcome="approved")
    add_history(db, worker, "H1", SHOP, "Imported survey", 70, "approved")
    utc = {row["day"]: row["tasks"] for row in get(client, alice)["currencies"][0]["by_day"] if row["tasks"]}
    assert utc == {"2026-01-14": 2}
    berlin = get(client, alice, tz="Europe/Berlin")
    assert berlin["period"]["time_zone"] == "Europe/Berlin"
    local = {row["day"]: row["tasks"] for row in berlin["currencies"][0]["by_day"] if row["tasks"]}
    assert local == {"2026-01-14": 1, "2026-01-15": 1}


def test_default_period_is_the_last_45_days(client: TestClient, db: Db, alice: dict[str, str]) -> None:
    zone = "Pacific/Kiritimati"  # UTC+14: its today is often not UTC's
    today = datetime.now(ZoneInfo(zone)).date()
    response = client.get(URL, params={"tz": zone}, headers=alice)
    assert response.status_code == 200, response.text
    period = response.json()["period"]
    assert period == {"from": (today - timedelta(days=44)).isoformat(), "to": today.isoformat(), "time_zone": zone,
                      "gap_minutes": 10}
    assert response.json()["currencies"] == [] and response.json()["history"] == {"platforms": {}}
    only_to = client.get(URL, params={"to": "2026-01-18"}, headers=alice).json()["period"]
    assert only_to["from"] == "2025-12-05"


def test_currencies_are_separate_blocks(client: TestClient, db: Db, alice: dict[str, str]) -> None:
    worker = worker_id(client, alice)
    imported = datetime(2026, 1, 20, 8, 0, tzinfo=timezone.utc)
    add_history(db, worker, "P1", ("PROLAB", "Prolific Lab"), "Study on memory", 450, "approved", currency="GBP",
                platform="prolific", bonus=50, imported_at=imported)
    add_history(db, worker, "M1", SHOP, "Survey about shopping", 80, "approved",
                imported_at=imported - timedelta(days=1))
    add_history(db, worker, "M2", SHOP, "Survey about shopping", 80, "approved", imported_at=imported)
    body = get(client, alice)
    assert [c["currency"] for c in body["currencies"]] == ["GBP", "USD"]
    gbp, usd = body["currencies"]
    assert gbp["totals"]["earned_cents"] == 500 and usd["totals"]["earned_cents"] == 160
    assert gbp["by_requester"][0]["platform"] == "prolific"
    assert gbp["hourly"]["without_unpaid"] is None  # no timing: money, but no hours
    assert body["history"]["platforms"] == {"mturk": {"items": 2, "last_imported_at": "2026-01-20T08:00:00Z"},
                                            "prolific": {"items": 1, "last_imported_at": "2026-01-20T08:00:00Z"}}


def test_lists_keep_the_best_earning_100(client: TestClient, db: Db, alice: dict[str, str]) -> None:
    worker = worker_id(client, alice)
    for n in range(MAX_ROWS + 3):
        add_history(db, worker, f"R{n}", (f"AREQ{n:03d}", f"Lab {n}"), f"Task {n}", 10 + n, "approved")
    usd = get(client, alice)["currencies"][0]
    assert len(usd["by_requester"]) == MAX_ROWS and len(usd["by_task_type"]) == MAX_ROWS
    assert usd["more"] == {"by_requester": 3, "by_task_type": 3}
    earned = [row["earned_cents"] for row in usd["by_requester"]]
    assert earned == sorted(earned, reverse=True) and earned[0] == 10 + MAX_ROWS + 2


def test_bob_never_sees_alices_work(client: TestClient, db: Db, alice: dict[str, str], bob: dict[str, str]) -> None:
    worked_example(client, db, alice)
    body = get(client, bob)
    assert body["currencies"] == [] and body["history"] == {"platforms": {}}
    assert get(client, alice)["currencies"][0]["totals"]["earned_cents"] == 100


@pytest.mark.parametrize("headers,code", list(BAD_AUTH.values()), ids=list(BAD_AUTH))
def test_needs_a_token(client: TestClient, headers: dict[str, str], code: str) -> None:
    assert_error(client.get(URL, headers=headers), 401, code)


def test_revoked_token_is_refused(client: TestClient, alice: dict[str, str]) -> None:
    issued = client.post("/api/v1/me/tokens", headers=alice, json={"label": "phone"}).json()
    headers = {"Authorization": f"Bearer {issued['token']}"}
    assert client.get(URL, headers=headers).status_code == 200
    assert client.delete(f"/api/v1/me/tokens/{issued['token_info']['id']}", headers=alice).status_code == 204
    assert_error(client.get(URL, headers=headers), 401, "invalid_token")


@pytest.mark.parametrize("params,field", [
    ({"tz": "Mars/Olympus_Mons"}, "tz"),
    ({"tz": "../../etc/passwd"}, "tz"),
    ({"tz": "x" * 150}, "tz"),
    ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
    ({"from": "2020-01-01", "to": "2026-01-01"}, "from"),  # over three years
    ({"from": "14/01/2026"}, "from"),
    ({"from": "2026-02-30"}, "from"),
    ({"to": "9999-12-31"}, "to"),
    ({"from": "0001-01-01"}, "from"),
    ({"gap_minutes": "121"}, "gap_minutes"),
    ({"gap_minutes": "-1"}, "gap_minutes"),
    ({"gap_minutes": "ten"}, "gap_minutes"),
    ({"gap_minutes": "٣"}, "gap_minutes"),  # a digit, but not an ASCII one
])
def test_bad_query_is_a_400_naming_every_bad_parameter(client: TestClient, db: Db, alice: dict[str, str], params: dict, field: str) -> None:
    worked_example(client, db, alice)
    before = db.dump()
    # A bad query parameter is a 400 everywhere (server/errors.py, docs/api.md), with every problem in `errors`.
    body = assert_error(client.get(URL, params={**PERIOD, **params}, headers=alice), 400, "invalid_parameter", field)
    assert field in body["message"]
    assert body["errors"][0]["field"] == field and body["errors"][0]["message"] == body["message"]
    assert db.dump() == before


def test_every_bad_parameter_is_listed(client: TestClient, alice: dict[str, str]) -> None:
    body = assert_error(client.get(URL, params={"from": "soon", "tz": "Mars/Base", "gap_minutes": "ten"},
                                   headers=alice), 400, "invalid_parameter", "from")
    assert [e["field"] for e in body["errors"]] == ["from", "tz", "gap_minutes"]
    assert body["message"].endswith("(and 2 more problems: see `errors`)")


def test_three_years_is_allowed(client: TestClient, alice: dict[str, str]) -> None:
    start = date(2023, 1, 1)
    end = start + timedelta(days=3 * 365)  # 1096 days, one leap day among them
    body = get(client, alice, **{"from": start.isoformat(), "to": end.isoformat()})
    assert body["period"]["from"] == "2023-01-01" and body["currencies"] == []


def test_overly_long_parameters_are_refused(client: TestClient, alice: dict[str, str]) -> None:
    response = client.get(URL, params={"from": "2" * 500}, headers=alice)
    assert 400 <= response.status_code < 500 and response.json()["status"] == response.status_code


def test_in_the_openapi_schema(client: TestClient) -> None:
    schema = client.get("/schema/openapi.json").json()
    operation = schema["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "tz", "gap_minutes"}
    assert {"400", "401"} <= set(operation["responses"]) and "422" not in operation["responses"]
    assert not any(path == "/me" or path.startswith("/me/") for path in schema["paths"])  # the HTML pages stay out


def test_timings_after_the_period_do_not_count(client: TestClient, db: Db, alice: dict[str, str]) -> None:
    worked_example(client, db, alice)
    add_timing(client, alice, "NEXT", SHOP, "Survey about shopping", 80, at(10, 0, DAY + timedelta(days=7)),
               at(10, 5, DAY + timedelta(days=7)), outcome="approved")
    usd = get(client, alice)["currencies"][0]
    assert usd["hourly"]["tasks"] == 4
    assert datetime.now(timezone.utc).date() > DAY  # the example lies in the past (timings refuse the future)
