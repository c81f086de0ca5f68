"""POST /api/v1/annotate: a page of tasks in, one annotation per task out, in page order."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.helpers import group_id
from tests.api.conftest import BAD_AUTH, a_task, assert_error, sign_up

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "scrapers"
MTURK_SEARCH = json.loads((FIXTURES / "mturk_search.json").read_text())
MTURK_HTML = (FIXTURES / "mturk_hitset_table.html").read_text()
PROLIFIC_STUDIES = json.loads((FIXTURES / "prolific_studies.json").read_text())

MTURK_TASKS = [
    ("A2P2MT8IK72CVZ", "Short survey about everyday choices (~ 10 minutes)", 150, "3MQJWSYXOHGDXJ3GAF96UH2MB215O3"),
    ("A1BCDEFGHIJKL9", "Tag objects in street photos 10-15 min", 29, "3XJOUITW8XUMP4QBRS6HEUPMJ9ETQ2"),
    ("A3NEWFIELDS0042", "Transcribe a short audio clip", 5, "3K8CQCU3KE20HR83QPYH5MBUQ7DWB1"),
    ("A9MINIMAL", "Find the company website", 10, "3OMINIMALFIELDSONLYXXXXXXXXXX1"),
]
PROLIFIC_TASKS = [
    ("5f1e2d3c4b5a69788796a5b4", "Memory and music listening", 225, "GBP"),
    ("60aa11bb22cc33dd44ee55ff", "Video call interview about remote work (camera on)", 800, "USD"),
    ("60aa11bb22cc33dd44ee5600", "Quick opinion poll (about 3 minutes)", 50, "GBP"),
]


def annotate(client, body, headers=None, expected=200):
    response = client.post("/api/v1/annotate", json=body, headers=headers or {})
    assert response.status_code == expected, response.text
    return response.json()


def page(*tasks, **extra):
    return {"platform": "mturk", "tasks": list(tasks), **extra}


# ------------------------------------------------------------------------------------------------
# Happy paths and where filters come from


def test_anonymous_uses_default_filters(client):
    body = annotate(client, page(a_task()))
    assert body["platform"] == "mturk"
    assert body["filters_from"] == "default"
    assert body["target_cents_per_hour"] == 725
    [task] = body["tasks"]
    assert task["index"] == 0
    assert task["title"] == "Survey about shopping"
    assert task["requester_id"] == "AREQ1"
    assert task["reward_cents"] == 100 and task["currency"] == "USD"
    assert task["hourly"]["basis"] == "unknown" and task["hourly"]["band"] == "unknown"
    assert task["hourly"]["label"] == "unknown"
    assert task["requester"]["reviews"] == 0
    assert task["flags"] == []
    assert task["verdict"] == {"hidden": False, "reasons": [], "included": False}


def test_signed_in_uses_saved_filters(client, alice):
    assert annotate(client, page(a_task()), alice)["filters_from"] == "saved"
    client.put("/api/v1/me/filters", headers=alice, json={"target_cents_per_hour": 1500})
    body = annotate(client, page(a_task()), alice)
    assert body["filters_from"] == "saved"
    assert body["target_cents_per_hour"] == 1500


@pytest.mark.parametrize("signed_in", [False, True])
def test_filters_in_the_request_win(client, alice, signed_in):
    client.put("/api/v1/me/filters", headers=alice, json={"target_cents_per_hour": 1500})
    body = annotate(client, page(a_task(), filters={"target_cents_per_hour": 2000}), alice if signed_in else None)
    assert body["filters_from"] == "request"
    assert body["target_cents_per_hour"] == 2000


def test_empty_page(client):
    assert annotate(client, page())["tasks"] == []


def test_stated_duration_gives_an_estimate(client):
    [task] = annotate(client, page(a_task(stated_seconds=600)))["tasks"]
    assert task["hourly"]["basis"] == "stated"
    assert task["hourly"]["cents_per_hour"] > 0
    # the requester's own statement is shown as their claim, and never earns "good" (issue 18)
    assert task["hourly"]["label"].startswith("claims $") and task["hourly"]["label"].endswith("/h")
    assert task["hourly"]["rests_on"] == "the requester's claim"
    assert task["hourly"]["band"] != "good"


def test_page_order_is_kept_for_100_tasks(client):
    rng = random.Random(7)
    tasks = [a_task(requester_id=f"AR{rng.randrange(12)}", title=f"Task number {i}", reward_cents=rng.randrange(1, 500),
                    hit_set_id=group_id(f"H{i}")) for i in range(100)]
    rng.shuffle(tasks)
    body = annotate(client, page(*tasks))
    assert [t["index"] for t in body["tasks"]] == list(range(100))
    assert [(t["title"], t["requester_id"], t["reward_cents"], t["hit_set_id"]) for t in body["tasks"]] == [
        (t["title"], t["requester_id"], t["reward_cents"], t["hit_set_id"]) for t in tasks]
    # Never seen before: answered at once, recorded in the background, so no task type id yet.
    assert {t["task_type_id"] for t in body["tasks"]} == {None}
    # the same page again, now all recorded: same order, 100 task types; and they stay the same
    again = annotate(client, page(*tasks))
    assert [t["index"] for t in again["tasks"]] == list(range(100))
    assert len({t["task_type_id"] for t in again["tasks"]}) == 100 and None not in {t["task_type_id"] for t in again["tasks"]}
    assert {**again, "tasks": [{**t, "task_type_id": None} for t in again["tasks"]]} == body  # same figures as the first view
    third = annotate(client, page(*tasks))
    assert [t["task_type_id"] for t in third["tasks"]] == [t["task_type_id"] for t in again["tasks"]]


def test_same_task_twice_on_a_page(client):
    annotate(client, page(a_task(hit_set_id=group_id("H1")), a_task(requester_id="AOTHER"), a_task(hit_set_id=group_id("H2"))))
    body = annotate(client, page(a_task(hit_set_id=group_id("H1")), a_task(requester_id="AOTHER"), a_task(hit_set_id=group_id("H2"))))
    first, other, third = body["tasks"]
    assert first["task_type_id"] == third["task_type_id"] != other["task_type_id"]
    assert first["task_type_id"] is not None
    assert (first["hit_set_id"], third["hit_set_id"]) == (group_id("H1"), group_id("H2"))


def test_101_tasks_are_refused(client, db):
    before = db.dump()
    body = page(*[a_task(title=f"Task {i}") for i in range(101)])
    error = assert_error(client.post("/api/v1/annotate", json=body), 422, "too_many_tasks", "tasks")
    assert error["message"] == "tasks: must hold at most 100 items; it holds 101"  # the limit, as docs/api.md says
    assert db.dump() == before


# ------------------------------------------------------------------------------------------------
# Raw platform payloads


def _summary(tasks):
    return [(t["requester_id"], t["title"], t["reward_cents"], t["hit_set_id"]) for t in tasks]


def test_raw_mturk_search_json(client):
    body = annotate(client, {"platform": "mturk", "raw": MTURK_SEARCH})
    assert _summary(body["tasks"]) == MTURK_TASKS
    assert all(t["currency"] == "USD" for t in body["tasks"])
    # the same payload as JSON text
    text = annotate(client, {"platform": "mturk", "raw": json.dumps(MTURK_SEARCH)})
    assert _summary(text["tasks"]) == MTURK_TASKS


def test_raw_mturk_hitset_table_html(client):
    body = annotate(client, {"platform": "mturk", "raw_html": MTURK_HTML})
    assert _summary(body["tasks"]) == MTURK_TASKS


def test_raw_prolific_json(client):
    body = annotate(client, {"platform": "prolific", "raw": PROLIFIC_STUDIES})
    assert [(t["requester_id"], t["title"], t["reward_cents"], t["currency"]) for t in body["tasks"]] == PROLIFIC_TASKS


def test_raw_tasks_are_recorded(client):
    annotate(client, {"platform": "mturk", "raw": MTURK_SEARCH})
    response = client.get("/api/v1/requesters/mturk/A2P2MT8IK72CVZ")
    assert response.status_code == 200
    assert response.json()["name"] == "Decision Lab @ Example University"


def _mturk_with(**changes):
    first = {**MTURK_SEARCH["results"][0], **changes}
    return {**MTURK_SEARCH, "results": [first, *MTURK_SEARCH["results"][1:]]}


BAD_RAW = [
    ({"platform": "mturk", "raw": _mturk_with(title=5)}, "raw.results[0].title"),
    ({"platform": "mturk", "raw": _mturk_with(requester_id="bad id with spaces")}, "raw.results[0].requester_id"),
    ({"platform": "mturk", "raw": _mturk_with(monetary_reward={"amount_in_dollars": "lots"})}, "raw.results[0]"),
    ({"platform": "mturk", "raw": _mturk_with(monetary_reward={"amount_in_dollars": -1})}, "raw.results[0]"),
    ({"platform": "mturk", "raw": {"results": "none"}}, "raw.results"),
    ({"platform": "mturk", "raw": {"page": 1}}, "raw."),
    ({"platform": "mturk", "raw": 5}, "raw."),
    ({"platform": "mturk", "raw": "{not json"}, "raw."),
    ({"platform": "mturk", "raw": "[" * 5000}, "raw."),
    ({"platform": "mturk", "raw_html": "<html><body>no table</body></html>"}, "raw_html."),
    ({"platform": "mturk", "raw_html": '<div data-react-class="HitSetTable" data-react-props="{oops"></div>'},
     "raw_html."),
    ({"platform": "prolific", "raw": {"results": [{"name": 5}]}}, "raw.results[0]"),
    ({"platform": "prolific", "raw": {"results": [{**PROLIFIC_STUDIES["results"][0], "reward": "free"}]}},
     "raw.results[0]"),
]


@pytest.mark.parametrize(("body", "field_prefix"), BAD_RAW)
def test_malformed_raw_is_refused(client, db, body, field_prefix):
    before = db.dump()
    error = assert_error(client.post("/api/v1/annotate", json=body), 422, "invalid_payload")
    assert error["field"].startswith(field_prefix), error
    assert error["message"].startswith(error["field"]), error
    assert db.dump() == before


def test_too_many_raw_tasks(client, db):
    results = [{**MTURK_SEARCH["results"][0], "hit_set_id": group_id(f"HIT{i}"), "title": f"Task {i}"} for i in range(101)]
    before = db.dump()
    assert_error(client.post("/api/v1/annotate", json={"platform": "mturk", "raw": {"results": results}}),
                 422, "too_many_tasks", "raw")
    assert db.dump() == before


@pytest.mark.parametrize(("body", "field"), [
    ({"platform": "prolific", "raw_html": "<html></html>"}, "raw_html"),
])
def test_raw_without_a_parser(client, body, field):
    assert_error(client.post("/api/v1/annotate", json=body), 422, "unsupported_payload", field)


# ------------------------------------------------------------------------------------------------
# Filter verdicts


def test_block_rule_hides_a_task_with_reason(client, alice):
    saved = client.put("/api/v1/me/filters", headers=alice, json={"block": [{"pattern": "ABLOCKED", "note": "rejects"}]})
    assert saved.status_code == 200
    body = annotate(client, page(a_task(requester_id="ABLOCKED"), a_task()), alice)
    blocked, shown = body["tasks"]
    assert blocked["verdict"]["hidden"] is True
    assert blocked["verdict"]["reasons"][0]["code"] == "blocked"
    assert "ABLOCKED" in blocked["verdict"]["reasons"][0]["message"]
    assert shown["verdict"] == {"hidden": False, "reasons": [], "included": False}
    # the same rule sent with the request works for anonymous callers too
    anonymous = annotate(client, page(a_task(requester_id="ABLOCKED"),
                                      filters={"block": [{"pattern": "ablock*", "match": "wildcard"}]}))
    assert anonymous["tasks"][0]["verdict"]["hidden"] is True
    assert [r["code"] for r in anonymous["tasks"][0]["verdict"]["reasons"]] == ["blocked"]


def test_other_filters_give_reasons(client):
    filters = {"min_reward_cents": 200, "keywords_exclude": ["shopping"]}
    [task] = annotate(client, page(a_task(), filters=filters))["tasks"]
    assert task["verdict"]["hidden"] is True
    codes = {r["code"] for r in task["verdict"]["reasons"]}
    assert "keyword_excluded" in codes
    assert len(codes) >= 2


# ------------------------------------------------------------------------------------------------
# Bad input


BAD_BODIES = [
    ({"tasks": [a_task()]}, None),  # no platform
    (page(a_task(), platform="MTurk"), "platform"),
    ({"platform": "mturk", "tasks": {"0": a_task()}}, "tasks"),
    (page(a_task(reward_cents=-1)), "tasks[0].reward_cents"),
    (page(a_task(reward_cents="1 dollar")), "tasks[0].reward_cents"),
    (page(a_task(title="")), "tasks[0].title"),
    (page(a_task(), a_task(title="   ")), "tasks[1].title"),
    (page(a_task(requester_id=" ")), "tasks[0].requester_id"),
    (page(a_task(currency="dollar")), "tasks[0].currency"),
    (page(a_task(stated_seconds=0)), "tasks[0].stated_seconds"),
    (page(a_task(), {"platform": "mturk", "title": "no requester", "reward_cents": 1}), "tasks[1].requester_id"),
    (page(a_task(platform="prolific")), "tasks[0].platform"),
    (page(a_task(), raw=MTURK_SEARCH), "raw"),  # both tasks and raw
    (page(a_task(), raw_html=MTURK_HTML), "raw_html"),
    ({"platform": "mturk", "raw": MTURK_SEARCH, "raw_html": MTURK_HTML}, "raw_html"),
    ({"platform": "mturk"}, "tasks"),  # none of them
    ({"platform": "mturk", "raw_html": 5}, "raw_html"),
    (page(a_task(), page_number=2), None),  # unknown field
    (page(a_task(), filters={"target_cents_per_hour": 0}), "filters.target_cents_per_hour"),
    (page(a_task(), filters={"block": [{"pattern": " "}]}), "filters.block[0].pattern"),
    (page(a_task(), filters={"min_hourly": 900}), "filters.min_hourly"),  # unknown filter key
    (page(a_task(), filters="strict"), "filters"),
    ([a_task()], None),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_bad_input(client, db, body, field):
    before = db.dump()
    response = client.post("/api/v1/annotate", json=body)
    error = assert_error(response, 422, None, field)
    assert error["code"] == "invalid_field"
    if isinstance(body, dict) and "page_number" in body:
        assert "page_number" in error["message"]
    assert db.dump() == before


def test_both_tasks_and_raw_message(client):
    error = assert_error(client.post("/api/v1/annotate", json=page(a_task(), raw=MTURK_SEARCH)), 422, "invalid_field")
    assert "exactly one" in error["message"]


def test_body_over_1_mib(client, db):
    before = db.dump()
    body = json.dumps(page(a_task(description="d" * 1024 * 1024))).encode()
    assert len(body) > 1024 * 1024
    response = client.post("/api/v1/annotate", content=body, headers={"content-type": "application/json"})
    assert_error(response, 413, "payload_too_large")
    html = json.dumps({"platform": "mturk", "raw_html": MTURK_HTML + " " * (1024 * 1024)}).encode()
    response = client.post("/api/v1/annotate", content=html, headers={"content-type": "application/json"})
    assert_error(response, 413, "payload_too_large")
    assert db.dump() == before


@pytest.mark.parametrize("auth", [*BAD_AUTH, "revoked"])
def test_bad_token_is_refused_even_though_anonymous_works(client, db, revoked, auth):
    headers, code = (revoked, "invalid_token") if auth == "revoked" else BAD_AUTH[auth]
    if auth == "none":
        assert annotate(client, page(a_task()), headers)["filters_from"] == "default"
        return
    before = db.dump()
    assert_error(client.post("/api/v1/annotate", json=page(a_task(requester_id="ANEW")), headers=headers), 401, code)
    assert db.dump() == before


# ------------------------------------------------------------------------------------------------
# What annotate writes: unseen tasks, and nothing else


def test_unseen_tasks_and_requesters_are_recorded(client, db):
    assert_error(client.get("/api/v1/requesters/mturk/ANEW"), 404)
    annotate(client, page(a_task(requester_id="ANEW", requester_name="New Co", hit_set_id=group_id("H1"), stated_seconds=90),
                          a_task(requester_id="ANEW", title="Second task")))
    response = client.get("/api/v1/requesters/mturk/ANEW")
    assert response.status_code == 200
    assert response.json()["name"] == "New Co"
    assert db.rows("SELECT title, latest_hit_set_id, stated_seconds FROM task_types ORDER BY id") == [
        ("Survey about shopping", group_id("H1"), 90), ("Second task", None, None)]


def test_a_new_batch_id_of_a_known_task_type_is_stored(client, alice, db):
    annotate(client, page(a_task(hit_set_id=group_id("H1"))))
    # An anonymous page never rewrites a stored fact: the Accept link keeps pointing at the batch it had.
    annotate(client, page(a_task(hit_set_id=group_id("H2"))))
    assert db.rows("SELECT latest_hit_set_id FROM task_types") == [(group_id("H1"),)]
    # A signed-in worker's page moves it to the batch the platform lists now.
    annotate(client, page(a_task(hit_set_id=group_id("H2"))), headers=alice)
    assert db.rows("SELECT latest_hit_set_id FROM task_types") == [(group_id("H2"),)]
    assert db.count("task_types") == 1


def test_known_tasks_cause_no_write(client, alice, db):
    known = [a_task(hit_set_id=group_id("H1")), a_task(requester_id="AR2", title="Other", hit_set_id=group_id("H9")),
             {"platform": "mturk", "raw": MTURK_SEARCH}]
    annotate(client, page(*known[:2]))
    annotate(client, known[2])
    before = db.dump()
    writes = db.watch_writes()
    try:
        version = writes()
        annotate(client, page(*known[:2]))
        annotate(client, page(*known[:2]), alice)  # alice's token was already used: no last_used_at write either
        annotate(client, known[2])
        annotate(client, {"platform": "mturk", "raw_html": MTURK_HTML})
        # the stored batch id is one of those shown: nothing to update
        annotate(client, page(a_task(hit_set_id=group_id("H0")), a_task(hit_set_id=group_id("H1"))))
        assert writes() == version
        # the watcher does see a write when there is one
        annotate(client, page(a_task(requester_id="ABRANDNEW")))
        assert writes() != version
    finally:
        db.close()
    after = db.dump()
    for table in ("requesters", "task_types"):  # the one new task, and its requester, were added
        assert set(before[table]) < set(after[table])
        assert len(after[table]) == len(before[table]) + 1
    assert {t: rows for t, rows in after.items() if t not in ("requesters", "task_types")} == {
        t: rows for t, rows in before.items() if t not in ("requesters", "task_types")}


def test_a_page_of_known_tasks_is_answered_from_the_cache(client):
    """Annotate is lookups: once a page's tasks and their aggregates are cached, no SQL runs at all,
    and a write to one of its requesters is seen by the very next annotate."""
    from sqlalchemy import event  # noqa: PLC0415

    statements: list[str] = []
    engine = client.app.state.engine.sync_engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    body = page(a_task(), a_task(requester_id="AR2", title="Other", reward_cents=30))
    annotate(client, body)  # the first view records the tasks in the background
    first = annotate(client, body)  # the second loads their facts
    event.listen(engine, "before_cursor_execute", listener)
    try:
        again = annotate(client, body)
        assert statements == []
        assert again == first
    finally:
        event.remove(engine, "before_cursor_execute", listener)

    headers = sign_up(client, "cache-check")
    review = {"platform": "mturk", "requester_id": "AR2", "task": {"title": "Other", "reward_cents": 30},
              "worked_seconds": 600, "outcome": "approved", "ratings": {"pay": 2}}
    assert client.post("/api/v1/reviews", json=review, headers=headers).status_code == 201
    after = annotate(client, body)["tasks"]
    assert after[1]["hourly"]["basis"] == "task" and after[1]["requester"]["reviews"] == 1
    assert after[0]["requester"] == first["tasks"][0]["requester"]  # the other requester is untouched


def test_a_raw_page_with_nul_in_its_text_is_annotated_or_refused_never_a_5xx(client, db):
    """Platform pages are parsed, not validated by the request structs: a NUL in a scraped title or name must not
    reach the database (PostgreSQL cannot store it) nor crash annotate."""
    page = json.loads(json.dumps(MTURK_SEARCH))
    page["results"][0]["title"] = "Survey\u0000 about NUL"
    page["results"][0]["requester_name"] = "Lab\u0000"
    response = client.post("/api/v1/annotate", json={"platform": "mturk", "raw": page})
    assert response.status_code < 500, response.text
    stored = [cell for table in ("task_types", "requesters") for row in db.rows(f"SELECT * FROM {table}") for cell in row]  # noqa: S608
    assert not any(isinstance(cell, str) and "\x00" in cell for cell in stored)


# ------------------------------------------------------------------------------------------------
# Signed-in callers: their token and saved filters are kept briefly, and a write drops them at once


def test_a_revoked_token_and_new_saved_filters_count_at_the_very_next_annotate(client, alice):
    body = page(a_task(title="Audio transcription"))
    assert annotate(client, body, alice)["filters_from"] == "saved"
    assert annotate(client, body, alice)["tasks"][0]["verdict"]["hidden"] is False  # answered from the kept token
    saved = client.put("/api/v1/me/filters", headers=alice, json={"keywords_exclude": ["audio"]})
    assert saved.status_code == 200, saved.text
    assert annotate(client, body, alice)["tasks"][0]["verdict"]["hidden"] is True
    spare = client.post("/api/v1/me/tokens", headers=alice, json={"label": "spare"}).json()
    spare_headers = {"Authorization": f"Bearer {spare['token']}"}
    assert annotate(client, body, spare_headers)["filters_from"] == "saved"
    revoked = client.delete(f"/api/v1/me/tokens/{spare['token_info']['id']}", headers=alice)
    assert revoked.status_code == 204
    assert_error(client.post("/api/v1/annotate", json=body, headers=spare_headers), 401, "invalid_token")
