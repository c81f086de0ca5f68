"""Work history counts toward a task's typical bonus only as captured from the platform's own pages (issue 18
item 7, docs/figures.md "Bonuses"), through the real app: Prolific's submissions pages, as the extension sends
them, move annotate's typical bonus; the same bonuses typed in (self-reported items) do not; deleting the
history takes them out again."""
from __future__ import annotations

import copy
from typing import Any

from tests.api.conftest import a_task, a_timing, sign_up
from tests.history.conftest import prolific_page

# The approved submission of the recorded Prolific page (tests/fixtures/history/prolific_submissions_page1.json):
# its study, researcher and reward are the task's.
RECORDED = prolific_page(1)["results"][0]
STUDY = RECORDED["study"]
TASK = {"platform": "prolific", "requester_id": STUDY["researcher"]["id"], "title": STUDY["name"],
        "reward_cents": 225, "currency": "GBP"}


def annotation(client) -> dict[str, Any]:
    response = client.post("/api/v1/annotate", json={"platform": "prolific", "tasks": [a_task(**TASK)]})
    assert response.status_code == 200, response.text
    return response.json()["tasks"][0]["hourly"]


def captured_page(bonus: int) -> dict[str, Any]:
    """A page of Prolific's submissions as the extension captures it: the recorded approved submission, paid
    `bonus` pence of bonus (the recorded shape: `bonus_payments`)."""
    submission = copy.deepcopy(RECORDED)
    submission["bonus_payments"] = [bonus]
    page = prolific_page(1)
    page["results"], page["meta"], page["_links"]["next"]["href"] = [submission], {"count": 1}, None
    return {"platform": "prolific", "source": "submissions", "payload": page}


def self_reported(bonus: int) -> dict[str, Any]:
    return {"items": [{"platform": "prolific", "assignment_id": RECORDED["id"], "task_id": STUDY["id"],
                       "requester_id": STUDY["researcher"]["id"], "requester_name": "", "title": STUDY["name"],
                       "reward_cents": 225, "bonus_cents": bonus, "currency": "GBP", "state": "approved",
                       "work_date": "2026-10-27"}]}


def upload(client, headers: dict[str, str], body: dict[str, Any]) -> None:
    response = client.post("/api/v1/me/history", headers=headers, json=body)
    assert response.status_code == 200, response.text


def test_captured_history_bonuses_count_and_self_reported_ones_do_not(client, db):
    annotation(client)
    for handle, assignment in (("ann", "S1"), ("ben", "S2")):  # two workers timed it: 15 minutes, no bonus known
        response = client.post("/api/v1/timings", headers=sign_up(client, handle), json=a_timing(
            **TASK, assignment_id=assignment, ended_at="2026-01-10T10:15:00Z", outcome="approved"))
        assert response.status_code == 201, response.text
    before = annotation(client)
    assert before["basis"] == "task" and before["typical_bonus_cents"] is None and before["bonus"] == ""

    # Two accounts type in big bonuses for it: self-reported history never counts.
    for handle in ("cat", "dan"):
        upload(client, sign_up(client, handle), self_reported(5_000))
    assert db.value("SELECT count(*) FROM work_history WHERE source = 'self_reported'") == 2
    assert annotation(client) == before

    # Two accounts' histories, captured from Prolific's own pages, show 50p and 30p bonuses for it.
    eve, fay = sign_up(client, "eve"), sign_up(client, "fay")
    upload(client, eve, captured_page(50))
    upload(client, fay, captured_page(30))
    assert db.value("SELECT count(*) FROM work_history WHERE source = 'platform_page'") == 2
    after = annotation(client)
    # ann and ben: none; eve's 50 counts no higher than fay's 30: (0 + 0 + 30 + 30) / 4
    assert after["typical_bonus_cents"] == 15
    assert after["bonus"].startswith("with typical bonuses of £0.15; ")
    assert after["cents_per_hour"] > before["cents_per_hour"]

    # fay deletes the task from her history: eve's bonus alone no longer counts
    [item_id] = [row[0] for row in db.rows("SELECT id FROM work_history WHERE bonus_cents = 30")]
    assert client.delete(f"/api/v1/me/history/{item_id}", headers=fay).status_code == 204
    assert annotation(client)["typical_bonus_cents"] is None
    # captured again, then all of it deleted: the same
    upload(client, fay, captured_page(30))
    assert annotation(client)["typical_bonus_cents"] == 15
    assert client.delete("/api/v1/me/history", headers=fay).status_code == 204
    assert annotation(client)["typical_bonus_cents"] is None
