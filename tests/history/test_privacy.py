"""The history is the worker's own: it is in their export, and deleting the account (either mode) removes it,
without touching anyone else's."""
from __future__ import annotations

import pytest

from tests.history.conftest import DAY1, DAY2, mturk_page, prolific_page

URL = "/api/v1/me/history"


def load(client, headers) -> None:
    for body in ({"platform": "mturk", "date": DAY2, "payload": mturk_page(DAY2, "final")},
                 {"platform": "prolific", "payload": prolific_page(2)}):
        assert client.post(URL, headers=headers, json=body).status_code == 200


def test_the_export_holds_the_whole_history_and_only_ones_own(client, alice, bob):
    load(client, alice)
    assert client.post(URL, headers=bob, json={"platform": "mturk", "date": DAY1,
                                               "payload": mturk_page(DAY1, "page2")}).status_code == 200
    document = client.get("/api/v1/me/export", headers=alice).json()
    history = document["history"]
    assert len(history) == 11
    listed = {i["id"]: i for i in client.get(URL, headers=alice).json()["items"]}
    assert {i["id"]: i for i in history} == listed  # every column the list shows
    order = [(i["work_date"], i["id"]) for i in history]
    assert order == sorted(order)  # oldest first, like the rest of the export
    bobs = {r["assignment_id"] for r in mturk_page(DAY1, "page2")["results"]}
    assert not bobs & {i["assignment_id"] for i in history}
    rejected = next(i for i in history if i["requester_feedback"] == "Answers did not match the audio.")
    assert rejected["state"] == "rejected" and rejected["platform"] == "mturk"
    assert client.get("/api/v1/me/export", headers=bob).json()["history"][0]["assignment_id"] in bobs


def test_the_export_schema_documents_the_history(client):
    schemas = client.get("/schema/openapi.json").json()["components"]["schemas"]
    assert "history" in schemas["WorkerExport"]["properties"] and "history" in schemas["WorkerExport"]["required"]
    assert {"assignment_id", "state", "work_date", "requester_feedback"} <= set(schemas["HistoryItemOut"]["properties"])


@pytest.mark.parametrize("mode", ["keep", "delete"])
def test_deleting_the_account_deletes_the_history(client, alice, bob, db, mode):
    load(client, alice)
    load(client, bob)
    alice_id = client.get("/api/v1/me", headers=alice).json()["id"]
    bob_rows = db.rows("SELECT * FROM work_history WHERE worker_id <> ? ORDER BY id", alice_id)
    assert db.value("SELECT count(*) FROM work_history WHERE worker_id = ?", alice_id) == 11 and len(bob_rows) == 11
    assert client.delete("/api/v1/me", headers=alice, params={"reviews": mode}).status_code == 204
    assert db.value("SELECT count(*) FROM work_history WHERE worker_id = ?", alice_id) == 0
    assert db.rows("SELECT * FROM work_history ORDER BY id") == bob_rows
    assert len(client.get(URL, headers=bob).json()["items"]) == 11
