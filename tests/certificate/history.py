"""A worker's history written straight into the database, as the import stores it, and a small record of
real-looking tasks the certificate tests share."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone


from tests.helpers import Db, stamp


def add_history(db: Db, worker: int, assignment: str, title: str, state: str, day: date, *, reward: int = 100,
                bonus: int = 0, currency: str = "USD", platform: str = "mturk",
                requester: tuple[str, str] = ("AREQ1", "Shop Lab"),
                feedback: str = "", start: datetime | None = None, minutes: int | None = None) -> int:
    now = stamp(datetime.now(timezone.utc))
    started = stamp(start) if start is not None else None
    ended = stamp(start + timedelta(minutes=minutes)) if start is not None and minutes is not None else None
    return int(db.run(
        "INSERT INTO work_history (worker_id, platform, assignment_id, task_id, requester_id, requester_name, title, "
        "reward_cents, bonus_cents, currency, state, work_date, started_at, ended_at, requester_feedback, imported_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        worker, platform, assignment, "T" + assignment, requester[0], requester[1], title, reward, bonus, currency,
        state, day, started, ended, feedback, now, now))


D1, D2, D3 = date(2026, 1, 12), date(2026, 1, 13), date(2026, 2, 2)


def at(day: date, hh: int, mm: int) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=timezone.utc)


def record(db: Db, worker: int) -> dict[str, int]:
    """Alice's record; returns the ids of the rows with feedback.

    MTurk (USD): 12 Jan  survey approved $1.00 10:00-10:10; image tagging approved $0.50 10:12-10:17 (2 min search);
                         transcription rejected $0.80 10:20-10:25 (3 min search), feedback "Too many errors".
                 13 Jan  receipts approved $0.20 +$0.05 bonus, feedback "Great work, thank you!" (untimed);
                         survey pending $2.00 (untimed).
    Prolific (GBP): 2 Feb study approved £1.50 + £0.50 bonus 09:00-09:20, feedback "Very thoughtful answers".
    """
    add_history(db, worker, "A1", "Short survey about shopping habits", "approved", D1, reward=100, start=at(D1, 10, 0),
                minutes=10)
    add_history(db, worker, "A2", "Image tagging: label the animals", "approved", D1, reward=50, start=at(D1, 10, 12),
                minutes=5, requester=("AREQ2", "Vision Co"))
    rejected = add_history(db, worker, "A3", "Transcribe a 2 minute audio clip", "rejected", D1, reward=80,
                           start=at(D1, 10, 20), minutes=5, requester=("AREQ3", "Audio Lab"),
                           feedback="Too many errors")
    receipts = add_history(db, worker, "A4", "Transcribe data from receipts", "approved", D2, reward=20, bonus=5,
                           requester=("AREQ4", "Receipt Hog"), feedback="Great work, thank you!")
    add_history(db, worker, "A5", "Academic survey on sleep (10 minutes)", "pending", D2, reward=200)
    study = add_history(db, worker, "P1", "A study about decision making", "approved", D3, reward=150, bonus=50,
                        currency="GBP", platform="prolific", requester=("60abc", "Oxford Decision Lab"),
                        start=at(D3, 9, 0), minutes=20, feedback="Very thoughtful answers")
    return {"rejected": rejected, "receipts": receipts, "study": study}
