"""The worked example of docs/earnings.md (tests/unit/test_earnings.py's four tasks of one morning), written the
way the server learns it: history rows (as the import stores them; written directly, so these tests do not
depend on the import endpoint) and the extension's timings (through POST /api/v1/timings), met on the
assignment id.

Wednesday 14 January 2026 (UTC), two requesters:
  10:00-10:10  Shop Lab  approved  $0.80 + $0.20 bonus  history + timing
  10:12-10:17  Bad Lab   returned  $3.00                timing only (returned work is no history row)
  10:20-10:25  Shop Lab  pending   $0.50                history + timing
  11:25-11:30  Bad Lab   rejected  $0.40                history + timing (after an hour's break)
Hourly: $1.50 pay / 15 min paid = $6.00 an hour while working; / (25 min work + 5 min searching) = $3.00.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from litestar.testing import TestClient

from tests.helpers import Db, stamp, worker_id

DAY = date(2026, 1, 14)
WEEK = date(2026, 1, 12)  # its Monday
PERIOD = {"from": "2026-01-12", "to": "2026-01-18"}
SHOP, BAD = ("AREQSHOP", "Shop Lab"), ("AREQBAD", "Bad Lab")


def at(hh: int, mm: int, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def add_history(db: Db, worker: int, assignment: str, requester: tuple[str, str], title: str, reward: int, state: str,
                day: date = DAY, bonus: int = 0, currency: str = "USD", platform: str = "mturk",
                imported_at: datetime | None = None) -> None:
    now = stamp(imported_at or datetime.now(timezone.utc))
    db.run("INSERT INTO work_history (worker_id, platform, assignment_id, task_id, requester_id, requester_name, "
           "title, reward_cents, bonus_cents, currency, state, work_date, requester_feedback, imported_at, updated_at) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)",
           worker, platform, assignment, "HIT" + assignment, requester[0], requester[1], title, reward, bonus, currency,
           state, day, now, now)


def add_timing(client: TestClient, headers: dict[str, str], assignment: str, requester: tuple[str, str], title: str,
               reward: int, start: datetime, end: datetime, outcome: str = "submitted", currency: str = "USD",
               platform: str = "mturk") -> dict[str, Any]:
    body = {"platform": platform, "requester_id": requester[0], "requester_name": requester[1], "title": title,
            "reward_cents": reward, "currency": currency, "assignment_id": assignment, "accepted_at": iso(start),
            "ended_at": iso(end), "outcome": outcome}
    response = client.post("/api/v1/timings", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def worked_example(client: TestClient, db: Db, headers: dict[str, str]) -> int:
    """Writes the four tasks for the worker of `headers`; returns the worker's id."""
    worker = worker_id(client, headers)
    add_history(db, worker, "A1", SHOP, "Survey about shopping", 80, "approved", bonus=20)
    add_timing(client, headers, "A1", SHOP, "Survey about shopping", 80, at(10, 0), at(10, 10))
    add_timing(client, headers, "A2", BAD, "Transcribe receipts", 300, at(10, 12), at(10, 17), outcome="returned")
    add_history(db, worker, "A3", SHOP, "Survey about shopping", 50, "pending")
    add_timing(client, headers, "A3", SHOP, "Survey about shopping", 50, at(10, 20), at(10, 25))
    add_history(db, worker, "A4", BAD, "Tag photos", 40, "rejected")
    add_timing(client, headers, "A4", BAD, "Tag photos", 40, at(11, 25), at(11, 30))
    return worker


def days(start: date, count: int) -> list[str]:
    return [(start + timedelta(days=n)).isoformat() for n in range(count)]
