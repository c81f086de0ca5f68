"""Demo data: the 27-task HIT dashboard printed in "Inclusief platformwerk" (2023), plus generated
reviews and timings so that bands and hourly figures show. Everything here is marked is_demo and is
never exported. Requester IDs are made up (the book prints names only) and start with "ADEMO"; HIT group ids are
made up too and start with "3DEMO". Both follow the platform's id rules (scrapers/ids.py), so pages link them.
"""
from __future__ import annotations

import base64
import hashlib
import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapers.durations import stated_seconds_from_text
from scrapers.model import Task
from server.db.models import Requester, Review, TaskType, Timing, Worker, WorkHistoryItem, utcnow
from server.stats.standing import rebuild_with_standing
from server.tasks.records import record_tasks

SEED_FILE = "seed_hitfinder_dashboard.tsv"
DEMO_WORKERS = 40
# The demo community's workers joined long before their work (dated up to 120 days back): they are established
# accounts, so the demo's figures are what such a community shows (a worker created today would count as new).
DEMO_ACCOUNT_AGE = timedelta(days=365)
RANDOM_SEED = 2018
# The demo worker whose own record fills /me and the certificate after `make run` (README: `fairfinder sign-in-link
# demo-me`). Its history and timings have a random sequence of their own, so the rest of the demo data is unchanged.
DEMO_ME = "demo-me"
DEMO_ME_DAYS = 30

# What workers would report about some of the book's tasks (by a word in the title).
TITLE_FLAGS = {
    "adult content": ["adult_content"],
    "Create an account": ["personal_data", "download_or_install"],
    "Take a photo": ["webcam_or_phone", "needs_sight"],
    "speak with AI": ["needs_hearing", "webcam_or_phone"],
    "Write short tags": ["writing_required"],
    "Find Products": ["needs_sight"],
}
COMMENTS = [
    "Took longer than the title says.",
    "Quick and paid the same day.",
    "Attention checks everywhere, but fair.",
    "Survey crashed at the end; returned it.",
    "Good communication when I emailed about a broken link.",
    "",
]


def demo_requester_id(name: str) -> str:
    digest = base64.b32encode(hashlib.sha256(name.encode()).digest()).decode()
    return "ADEMO" + digest[:9]


def demo_group_id(requester_name: str, title: str) -> str:
    """A made-up MTurk HIT group id for a demo task, valid by scrapers/ids.py's rule (30 upper-case letters and
    digits; base32 has only those), so /listen links the task like any other: "3DEMO" and 25 of a digest."""
    digest = base64.b32encode(hashlib.sha256(f"{requester_name}\t{title}".encode()).digest()).decode()
    return "3DEMO" + digest[:25]


def read_seed_tasks() -> list[Task]:
    text = resources.files("server.data").joinpath(SEED_FILE).read_text(encoding="utf-8")
    tasks = []
    for line in text.splitlines()[1:]:
        if not line.strip():
            continue
        requester, title, price = line.split("\t")
        price = price.replace("\\$", "").replace("$", "").strip()
        title = title.replace("\\$", "$")
        tasks.append(Task(
            platform="mturk", requester_id=demo_requester_id(requester), requester_name=requester, title=title,
            reward_cents=int(Decimal(price) * 100), stated_seconds=stated_seconds_from_text(title),
            hit_set_id=demo_group_id(requester, title),
        ))
    return tasks


async def database_is_empty(session: AsyncSession) -> bool:
    return (await session.scalar(select(func.count()).select_from(Requester))) == 0


async def seed_demo(session: AsyncSession, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Insert the demo tasks, workers, reviews and timings, then rebuild aggregates. One transaction."""
    rng = random.Random(RANDOM_SEED)
    tasks = read_seed_tasks()
    recorded = await record_tasks(session, tasks, is_demo=True, in_transaction=True)
    now = utcnow()
    workers = [Worker(handle=f"demo-worker-{i:02d}", role="worker", is_demo=True, created_at=now - DEMO_ACCOUNT_AGE)
               for i in range(DEMO_WORKERS)]
    session.add_all(workers)
    await session.flush()
    reviews = timings = 0
    for done, (task, requester, task_type) in enumerate(zip(tasks, recorded.requesters, recorded.task_types), 1):
        # A typical duration per task: the stated one when the title gives it (often optimistic), else
        # something between one and twelve minutes.
        typical = (task.stated_seconds or rng.uniform(60, 720)) * rng.uniform(0.9, 1.6)
        flags = next((f for word, f in TITLE_FLAGS.items() if word.lower() in task.title.lower()), [])
        approval = rng.choice([0.99, 0.97, 0.9, 0.75])
        for worker in rng.sample(workers, rng.randint(8, 20)):
            seconds = max(20.0, rng.lognormvariate(math.log(typical), 0.35))
            returned = rng.random() < 0.08
            outcome = "returned" if returned else ("approved" if rng.random() < approval else "rejected")
            ended = now - timedelta(days=rng.uniform(1, 120))
            session.add(Timing(worker_id=worker.id, task_type_id=task_type.id, accepted_at=ended - timedelta(seconds=seconds),
                               ended_at=ended, seconds=seconds, outcome="returned" if returned else "submitted", is_demo=True))
            timings += 1
            if returned or rng.random() < 0.7:
                rating = lambda base: max(1, min(5, round(rng.gauss(base, 0.8))))  # noqa: E731
                pay_base = 1 + 4 * min(1.0, task.reward_cents * 3600 / seconds / 1200)
                session.add(Review(
                    worker_id=worker.id, requester_id=requester.id, task_type_id=task_type.id,
                    rating_pay=rating(pay_base), rating_fairness=rating(5 if outcome != "rejected" else 2),
                    rating_speed=rating(4), rating_communication=rng.choice([None, rating(3.5)]),
                    worked_seconds=round(seconds), outcome=outcome,
                    approval_seconds=round(rng.uniform(3600, 3 * 86400)) if outcome == "approved" else None,
                    flags=[f for f in flags if rng.random() < 0.8], comment=rng.choice(COMMENTS), is_demo=True,
                    created_at=ended, updated_at=ended,
                ))
                reviews += 1
        if progress:
            progress(done, len(tasks))
    history = await seed_demo_history(session, tasks, recorded.task_types, now)
    await session.flush()
    # The accounts' standing before the aggregates (server/stats/standing.py), as `fairfinder recompute` does: the
    # figures the demo stores are those the scheduler's first refresh-recent pass keeps (issue 18 item 5).
    await rebuild_with_standing(session, now=now)
    return {"tasks": len(tasks), "workers": len(workers), "reviews": reviews, "timings": timings + history,
            "history items of demo-me": history}


async def seed_demo_history(session: AsyncSession, tasks: list[Task], task_types: list[TaskType],
                            now: datetime) -> int:
    """The demo worker `demo-me`: about three weeks of MTurk work in the last DEMO_ME_DAYS days, as the extension
    would have recorded it (a timing per task, with its assignment id) and a history sync would have imported it
    (a history row per task: approved, pending for the last three days, a few rejected or returned). Returns how
    many tasks. Dated back from `now`; runs in the caller's transaction."""
    rng = random.Random(RANDOM_SEED + 1)
    worker = Worker(handle=DEMO_ME, role="worker", is_demo=True, created_at=now - timedelta(days=DEMO_ME_DAYS + 10))
    session.add(worker)
    await session.flush()
    typical = {task_type.id: (task.stated_seconds or 240) * rng.uniform(1.0, 1.5)
               for task, task_type in zip(tasks, task_types)}
    pairs = list(zip(tasks, task_types))
    done = 0
    for days_ago in range(DEMO_ME_DAYS, 0, -1):
        if rng.random() < 0.3:  # days off
            continue
        moment = (now - timedelta(days=days_ago)).replace(hour=rng.randint(8, 18), minute=rng.randint(0, 59),
                                                           second=0, microsecond=0)
        for _ in range(rng.randint(3, 8)):
            task, task_type = rng.choice(pairs)
            seconds = max(30.0, rng.lognormvariate(math.log(typical[task_type.id]), 0.3))
            accepted, ended = moment, moment + timedelta(seconds=seconds)
            moment = ended + timedelta(seconds=rng.uniform(30, 420))  # searching for the next task
            returned = rng.random() < 0.05
            if returned:
                state = "returned"
            elif days_ago <= 3:
                state = "pending"
            else:
                state = "rejected" if rng.random() < 0.04 else "approved"
            done += 1
            assignment = f"DEMO{done:06d}"
            session.add(Timing(worker_id=worker.id, task_type_id=task_type.id, assignment_id=assignment,
                               accepted_at=accepted, ended_at=ended, seconds=seconds,
                               outcome="returned" if returned else "submitted", is_demo=True, created_at=ended))
            session.add(WorkHistoryItem(
                worker_id=worker.id, platform="mturk", assignment_id=assignment, requester_id=task.requester_id,
                requester_name=task.requester_name, title=task.title, reward_cents=task.reward_cents,
                bonus_cents=5 if state == "approved" and rng.random() < 0.1 else 0, currency=task.currency,
                state=state, work_date=accepted.date(), imported_at=now, updated_at=now,
                requester_feedback="Thank you, great work." if state == "approved" and rng.random() < 0.05 else ""))
    return done
