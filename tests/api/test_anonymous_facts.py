"""Anonymous reads never rewrite shared facts (issue 18 item 3): recording never-seen tasks is bounded per caller
(server/tasks/budget.py), and requester names follow what most sources say (server/domain/names.py)."""
from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.settings import Settings
from tests.api.conftest import a_review, a_task
from tests.conftest import settle_recording
from tests.helpers import Db, sign_up

PER_ADDRESS = 10
PER_ACCOUNT = 30


@pytest.fixture
def bounded(settings: Settings) -> Iterator[TestClient]:
    """The app with rate limits on and small recording budgets (requests themselves are not limited here)."""
    limited = msgspec.structs.replace(
        settings, rate_limits_enabled=True, rate_limit_ip=(100_000, 60.0), rate_limit_writes=(100_000, 60.0),
        rate_limit_register=(100, 60.0), record_anonymous_rows=(PER_ADDRESS, 3600.0),
        record_anonymous_total=(PER_ADDRESS * 2, 3600.0), record_account_rows=(PER_ACCOUNT, 3600.0))
    with TestClient(app=create_app(limited), raise_server_exceptions=False) as client:
        client.event_hooks["response"].append(lambda response: settle_recording(client, response))
        yield client


def made_up_page(start: int, count: int) -> dict:
    return {"platform": "mturk", "tasks": [
        a_task(requester_id=f"AFLOOD{i:05d}", requester_name=f"Fake {i}", title=f"Task {i}") for i in
        range(start, start + count)]}


def rows(db: Db) -> int:
    return db.count("requesters") + db.count("task_types")


def test_a_flood_of_anonymous_first_views_cannot_fill_the_database(bounded, settings):
    db = Db(settings.database_url)
    for start in range(0, 500, 100):
        response = bounded.post("/api/v1/annotate", json=made_up_page(start, 100))
        assert response.status_code == 200  # a read stays a read: every task is annotated
        assert len(response.json()["tasks"]) == 100
    # 500 made-up tasks of 500 requesters would be 1,000 rows; the address's budget is PER_ADDRESS.
    assert 0 < rows(db) <= PER_ADDRESS
    # A signed-in worker's views are recorded on their own budget, not the anonymous one.
    alice = sign_up(bounded, "alice")
    before = rows(db)
    assert bounded.post("/api/v1/annotate", json=made_up_page(1000, 10), headers=alice).status_code == 200
    assert rows(db) - before == 20


def test_tasks_past_the_budget_are_recorded_at_a_later_view(bounded, settings):
    db = Db(settings.database_url)
    alice = sign_up(bounded, "alice")
    bounded.post("/api/v1/annotate", json=made_up_page(0, 3))  # 6 rows of the anonymous 10
    bounded.post("/api/v1/annotate", json=made_up_page(3, 3))  # 4 left: 2 tasks and their requesters
    assert db.count("task_types") == 5
    bounded.post("/api/v1/annotate", json=made_up_page(3, 3), headers=alice)
    assert db.count("task_types") == 6


def test_an_anonymous_page_does_not_keep_a_requester_name_against_signed_in_workers(client, db):
    # The first writer named it: anonymous, and hostile.
    client.post("/api/v1/annotate", json={"platform": "mturk", "tasks": [
        a_task(requester_name="SCAM - DO NOT WORK FOR THEM")]})
    assert db.rows("SELECT name FROM requesters") == [("SCAM - DO NOT WORK FOR THEM",)]
    # Many more anonymous pages with other names change nothing on their own weight against one account ...
    alice, bob = sign_up(client, "alice"), sign_up(client, "bob")
    assert client.post("/api/v1/reviews", headers=alice, json=a_review(requester_name="Shop Lab")).status_code == 201
    assert db.rows("SELECT name FROM requesters") == [("Shop Lab",)]
    for _ in range(5):
        client.post("/api/v1/annotate", json={"platform": "mturk", "tasks": [a_task(requester_name="Evil Name")]})
    assert client.get("/api/v1/requesters/mturk/AREQ1").json()["name"] == "Shop Lab"
    # ... while the accounts that see a new name move it (a requester that renamed itself).
    for headers in (alice, bob):
        client.post("/api/v1/annotate", json={"platform": "mturk", "tasks": [a_task(requester_name="Shop Lab Inc")]},
                    headers=headers)
    assert client.get("/api/v1/requesters/mturk/AREQ1").json()["name"] == "Shop Lab Inc"
