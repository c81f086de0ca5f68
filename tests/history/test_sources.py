"""Certificates say where each fact comes from (issue 18 item 4): history read from the platform's own pages is
"platform_page", items sent as they are "self_reported"; the signed certificate counts each, or leaves the
self-reported ones out, as the worker chooses."""
from __future__ import annotations

from typing import Any

from server.certificate.view import certificate_view
from tests.helpers import Db
from tests.history.conftest import DAY1
from tests.history.test_import_api import an_item, mturk, upload

CERTIFICATE = "/api/v1/me/certificate.json"
PERIOD = {"from": "2026-10-01", "to": "2026-11-30"}


def sources(db: Db) -> dict[str, str]:
    return dict(db.rows("SELECT assignment_id, source FROM work_history"))


def made_up(count: int) -> dict[str, Any]:
    """What an attacker types: big approved tasks from a famous name."""
    return {"items": [an_item(assignment_id=f"3FAKE{i:05d}", requester_id="AGOOGLE1", requester_name="Google LLC",
                              title="Consulting", reward_cents=1_000_000, state="approved", work_date="2026-10-28")
                      for i in range(count)]}


def signed(client, headers, **params: str) -> dict[str, Any]:
    response = client.get(CERTIFICATE, headers=headers, params={**PERIOD, **params})
    assert response.status_code == 200, response.text
    return response.json()


def certificate(client, headers, **params: str) -> dict[str, Any]:
    return signed(client, headers, **params)["credentialSubject"]


def test_the_certificate_counts_hand_entered_work_apart_or_leaves_it_out(client, alice, db):
    page = upload(client, alice, mturk(DAY1, "page1"))
    from_pages = page["added"]
    assert from_pages > 0
    upload(client, alice, made_up(50))
    stored = sources(db)
    assert sum(source == "platform_page" for source in stored.values()) == from_pages
    assert sum(source == "self_reported" for source in stored.values()) == 50

    labelled = certificate(client, alice)
    assert labelled["schemaVersion"] == "1.1"
    assert labelled["sources"] == {"platformPages": from_pages, "extensionTimings": 0, "selfReported": 50}
    assert labelled["tasksRecorded"] == from_pages + 50 and labelled["choices"]["selfReported"] == "label"

    omitted = certificate(client, alice, self_reported="omit")
    assert omitted["sources"] == {"platformPages": from_pages, "extensionTimings": 0, "selfReported": 0}
    assert omitted["tasksRecorded"] == from_pages and omitted["choices"]["selfReported"] == "omit"
    assert all(entry["tasksRecorded"] <= from_pages for entry in omitted["platforms"])

    # What a reader of the certificate (page or PDF) is told.
    said = dict(certificate_view(signed(client, alice)).facts)["Where the records come from"]
    assert said == (f"{from_pages:,} from the platform's own history pages, 0 timed by the extension, "
                    "50 self-reported (sent as typed items, not platform pages)")
    said = dict(certificate_view(signed(client, alice, self_reported="omit")).facts)["Where the records come from"]
    assert said.endswith("self-reported tasks left out")


def test_a_row_is_as_good_as_its_latest_values(client, alice, db):
    upload(client, alice, mturk(DAY1, "page1"))
    some = sorted(sources(db))[0]
    # Items that change a row read from a page make it self-reported ...
    upload(client, alice, {"items": [an_item(assignment_id=some, work_date=DAY1, reward_cents=99_999,
                                             state="approved")]})
    assert sources(db)[some] == "self_reported"
    # ... and the platform's page read again makes it captured again.
    upload(client, alice, mturk(DAY1, "page1"))
    assert sources(db)[some] == "platform_page"
    # Items that change nothing leave it so.
    unchanged = db.rows("SELECT requester_id, requester_name, title, reward_cents, currency, state, task_id "
                        "FROM work_history WHERE assignment_id = ?", some)[0]
    upload(client, alice, {"items": [an_item(assignment_id=some, work_date=DAY1, requester_id=unchanged[0],
                                             requester_name=unchanged[1], title=unchanged[2],
                                             reward_cents=unchanged[3], currency=unchanged[4], state=unchanged[5],
                                             task_id=unchanged[6])]})
    assert sources(db)[some] == "platform_page"


def test_an_unknown_choice_is_refused_naming_it(client, alice):
    response = client.get(CERTIFICATE, headers=alice, params={**PERIOD, "self_reported": "hide"})
    assert response.status_code == 400  # a bad query parameter, as every certificate option
    assert response.json()["field"] == "self_reported"
