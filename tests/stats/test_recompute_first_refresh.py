"""One number from a recompute on (issue 18 item 5): `fairfinder recompute` — which `fairfinder migrate` and
`fairfinder restore` also run after an upgrade, such as to migration 0009 that created `account_standing` empty —
stores every account's standing before it computes the aggregates, so the scheduler's first refresh-recent pass
(standing, then recompute) changes no figure.

The database here is what a database whose scheduler never ran holds, or (downgraded to 0008 and migrated) what
an upgrade across 0009 goes through: aggregates computed from reviews and timings of accounts of
several ages and activity, with no standing stored (each account weighed by its age alone). Before the fix the
first pass stored the standing, accounts weighed differently (activity lifts them, disagreement lowers them) and the
requesters' figures moved (tests/api/test_first_answer.py is the demo's version of this)."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import sqlalchemy as sa
from alembic import command as alembic

from litestar.testing import TestClient

from server.app import create_app
from server.db.migrate import alembic_config, current_revision, head_revision
from server.jobs import refresh_recent
from server.settings import Settings
from tests.api.conftest import a_review, a_timing
from tests.conftest import ROOT, backdate_account, register
from tests.helpers import Db, stamp, worker_id

STATS = ("SELECT requester_id, reviews, summary, ratings, median_hourly_cents, recent FROM requester_stats "
         "ORDER BY requester_id")
TYPE_STATS = "SELECT task_type_id, samples, reviews, summary FROM task_type_stats ORDER BY task_type_id"
PLATFORM_STATS = "SELECT platform, n_completed, sum_log_seconds, approved, decided, ratings FROM platform_stats"


class Case(NamedTuple):
    accounts: tuple[tuple[str, int, int, int], ...]  # (handle, age in days, pay stars or 0: no review, seconds)
    requesters: int
    kinds: tuple[str, ...]  # task types per requester
    timings: int  # per account and task type


CASES = {
    # Every age step of server/domain/weights.py, reviews and timings, and one account whose times the others
    # never confirm (its agreement, on 6 task types, lowers its weight). Before the fix the first pass moved every
    # hourly by 5 or 6 cents ($4.60/h → $4.55/h) and the requesters' pay mean from 3.45 to 2.96.
    "ages and activity": Case((("week", 10, 1, 240), ("month", 40, 2, 540), ("quarter", 120, 5, 840),
                               ("years", 800, 3, 360), ("hasty", 200, 4, 60)), 3, ("Short", "Long"), 2),
    # The aggregates made with the standing move a task type's typical time across the ×2.5 line of an
    # account's agreement (server/domain/weights.py `agrees`): its weight changes once more, so one rebuild after
    # storing the standing is not enough (found with the pure functions): with a single rebuild the first pass
    # moved hourlies by 19 to 41 cents ($1.27/h → $1.08/h) and requesters' median rate from $2.32 to $1.20.
    "agreement moved by the rebuild": Case((("young", 10, 0, 300), ("young-slow", 10, 0, 1500),
                                            ("old-slow", 800, 0, 1500), ("old", 800, 0, 200)), 5, ("Rate",), 1),
}


def _tasks(case: Case) -> list[tuple[str, str, str, int, float]]:
    """(requester id, requester name, title, reward, duration factor) of every task type of the case."""
    return [(f"AREQ{n}", f"Lab {n}", f"{kind} task of lab {n}", 50 + 25 * n, 1 + 0.1 * (len(case.kinds) * n + k))
            for n in range(case.requesters) for k, kind in enumerate(case.kinds)]


def _evidence(client: TestClient, settings: Settings, case: Case) -> None:
    now = datetime.now(timezone.utc)  # the test run's clock (tests/clock.py)
    for handle, days, stars, seconds in case.accounts:
        headers = register(client, handle)
        backdate_account(settings.database_url, worker_id(client, headers), stamp(now - timedelta(days=days)))
        for n, (requester_id, name, title, reward, factor) in enumerate(_tasks(case)):
            if stars and n % len(case.kinds) == 0:  # one review per requester
                review = a_review(requester_id=requester_id, requester_name=name,
                                  task={"title": title, "reward_cents": reward}, worked_seconds=round(seconds * factor),
                                  ratings={"pay": stars, "fairness": 6 - stars, "speed": 3, "communication": None})
                response = client.post("/api/v1/reviews", headers=headers, json=review)
                assert response.status_code == 201, response.text
            for k in range(case.timings):
                start = now - timedelta(days=3, hours=k + 2 * n)
                timing = a_timing(requester_id=requester_id, requester_name=name, title=title, reward_cents=reward,
                                  assignment_id=f"A{handle}{n}{k}", accepted_at=start.isoformat(),
                                  ended_at=(start + timedelta(seconds=round(seconds * factor) + 30 * k)).isoformat())
                response = client.post("/api/v1/timings", headers=headers, json=timing)
                assert response.status_code == 201, response.text


def _cli(settings: Settings, data_dir: Path, command: str) -> None:
    """`fairfinder recompute` or `migrate` as an operator runs it: its own process, on the test run's clock."""
    env = {**os.environ, "FAIRFINDER_DATA_DIR": str(data_dir), "DATABASE_URL": settings.database_url,
           "FAIRFINDER_SECRET": settings.secret}
    done = subprocess.run([sys.executable, "-m", "server.cli", command], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _figures(settings: Settings, case: Case) -> dict[str, Any]:
    """The stored aggregates, and what a freshly started server answers from them."""
    db = Db(settings.database_url)
    tasks = _tasks(case)
    with TestClient(app=create_app(settings)) as fresh:
        answers = fresh.get("/api/v1/requesters", params={"platform": "mturk", "ids": ",".join(
            sorted({requester_id for requester_id, *_ in tasks}))})
        assert answers.status_code == 200, answers.text
        page = {"platform": "mturk", "tasks": [{"platform": "mturk", "requester_id": requester_id, "title": title,
                                                "reward_cents": reward} for requester_id, _, title, reward, _ in tasks]}
        annotated = fresh.post("/api/v1/annotate", json=page)
        assert annotated.status_code == 200, annotated.text
    return {"requester_stats": db.rows(STATS), "task_type_stats": db.rows(TYPE_STATS),
            "platform_stats": db.rows(PLATFORM_STATS), "requesters": answers.json(),
            "annotate": [(t["hourly"], t["requester"]) for t in annotated.json()["tasks"]]}


@pytest.mark.parametrize("command", ["recompute", "migrate"])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_first_refresh_after_recompute_changes_no_figure(client: TestClient, settings: Settings,
                                                             tmp_path: Path, case: Case, command: str) -> None:
    _evidence(client, settings, case)
    db = Db(settings.database_url)
    # What any database whose scheduler never ran holds: no standing stored.
    assert db.value("SELECT COUNT(*) FROM account_standing") == 0
    if command == "migrate":
        # A database from before migration 0009 (no account_standing table), upgraded by `fairfinder migrate`:
        # 0009 recomputes on the accounts' age alone, then the command recomputes under the new rules.
        alembic.downgrade(alembic_config(settings.database_url), "0008")
        assert "account_standing" not in sa.inspect(db.engine).get_table_names()
    _cli(settings, tmp_path, command)
    assert current_revision(settings.database_url) == head_revision()
    assert db.value("SELECT COUNT(*) FROM account_standing") == db.value("SELECT COUNT(*) FROM workers") \
        == len(case.accounts)
    assert db.value("SELECT MIN(requesters) FROM account_standing") == case.requesters
    # every account's times were set beside at least two others' on every task type
    assert db.value("SELECT MIN(compared) FROM account_standing") == len(_tasks(case))
    recomputed = _figures(settings, case)
    assert len(recomputed["requester_stats"]) == case.requesters

    with client.portal() as portal:
        outcome = portal.call(refresh_recent, client.app.state.sessionmaker, None)
    assert outcome.status == "ok", outcome.message
    assert outcome.counts == {"requesters": 0}, outcome.message  # no account's weight changed: nothing to redo
    assert _figures(settings, case) == recomputed
