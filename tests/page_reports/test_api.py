"""POST /api/v1/page-reports: exactly the documented shape is stored, once, as sent, and nothing about its sender;
every other body is a clear 4xx with a code that names the field and changes nothing (docs/page-reports.md)."""
from __future__ import annotations

import json
import string
from datetime import datetime, timezone
from typing import Any

import pytest
from litestar.testing import TestClient

from server.domain import page_shape as shape
from server.page_reports.routes import MAX_REPORT_BYTES
from tests.helpers import Db
from tests.page_reports.conftest import COLUMNS, PATH, a_report, account, as_sent, stored


def utc_day() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def test_a_good_report_is_stored_once_exactly_as_sent(client: TestClient, db: Db):
    report = a_report()
    before = utc_day()
    response = client.post(PATH, json=report)
    after = utc_day()
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"stored", "fingerprint", "day"}
    assert body["stored"] is True and body["day"] in {before, after}
    assert len(body["fingerprint"]) == 64 and set(body["fingerprint"]) <= set("0123456789abcdef")
    rows = stored(db)
    assert len(rows) == 1
    assert as_sent(rows[0]) == report
    assert rows[0]["day"] == body["day"] and rows[0]["fingerprint"] == body["fingerprint"]


def test_nothing_personal_is_stored_whoever_sends_it(client: TestClient, db: Db):
    """Every column is one the report itself fills (or its day and fingerprint): no address, token, account,
    browser string, origin or time of day, even when the request carries all of them."""
    worker = account(client, "reporter")
    token = worker["Authorization"].removeprefix("Bearer ")
    tokens_before = db.rows("SELECT id, last_used_at FROM tokens ORDER BY id")
    headers = {**worker, "Origin": "chrome-extension://abcdefghijklmnop", "X-Forwarded-For": "203.0.113.77",
               "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) SecretBrowser/1.2.3", "X-Request-ID": "trace-me-1234"}
    report = a_report(browser="chromium")
    response = client.post(PATH, json=report, headers=headers)
    assert response.status_code == 201, response.text
    [row] = stored(db)
    # Every column, each with the value it must hold.
    assert set(row) == COLUMNS
    assert row == {"id": row["id"], "day": response.json()["day"], "fingerprint": response.json()["fingerprint"],
                   "schema_version": 1, "platform": "mturk", "extension_version": "0.1.0", "browser": "chromium",
                   "page": "search", "problem": "no_tasks", "counts": report["counts"], "probes": report["probes"],
                   "elements": report["elements"]}
    text = json.dumps(row, default=str)
    for secret in (token, "reporter", "203.0.113.77", "testclient", "SecretBrowser", "abcdefghijklmnop",
                   "trace-me-1234", "T00:", "T23:"):
        assert secret not in text, secret
    # The route never reads the token: it is not even marked as used.
    assert db.rows("SELECT id, last_used_at FROM tokens ORDER BY id") == tokens_before


def test_an_unknown_or_revoked_token_does_not_matter(client: TestClient, db: Db):
    """Anonymous: a token is only a rate-limit key here, never checked or stored."""
    response = client.post(PATH, json=a_report(), headers={"Authorization": "Bearer ff_not-a-token"})
    assert response.status_code == 201, response.text
    assert len(stored(db)) == 1


def test_every_report_of_one_shape_gets_one_fingerprint(client: TestClient, db: Db):
    first = a_report()
    # Other counts, version and browser, the elements and classes in another order: the same shape.
    second = a_report(extension_version="0.2.0", browser="chromium",
                      counts={"rows_seen": 0, "tasks_read": 0, "data_items": 20},
                      elements=[{"tag": "li", "classes": ["list-item"], "testid": "study-#", "count": 3},
                                {"tag": "div", "classes": ["hit-card"], "testid": None, "count": 20}])
    # One more kind of element: another shape.
    third = a_report(elements=[*a_report()["elements"], {"tag": "span", "classes": [], "testid": None, "count": 1}])
    prints = [client.post(PATH, json=r).json()["fingerprint"] for r in (first, second, third)]
    assert prints[0] == prints[1] != prints[2]
    assert [as_sent(row) for row in stored(db)] == [first, second, third]


def element(**changes: Any) -> dict[str, Any]:
    return {"tag": "div", "classes": ["hit-card"], "testid": None, "count": 1, **changes}


def with_elements(*elements: dict[str, Any]) -> dict[str, Any]:
    return a_report(elements=list(elements))


def without(name: str) -> dict[str, Any]:
    report = a_report()
    del report[name]
    return report


BAD = {
    # (body, status, code, field)
    "unknown field": (a_report(url="https://worker.mturk.com/?q=x"), 422, "invalid_field", "url"),
    "missing field": (without("elements"), 422, "invalid_field", "elements"),
    "missing testid": (with_elements({"tag": "div", "classes": [], "count": 1}), 422, "invalid_field",
                       "elements[0].testid"),
    "another schema": (a_report(schema=2), 422, "invalid_field", "schema"),
    "unknown platform": (a_report(platform="upwork"), 422, "invalid_field", "platform"),
    "a page MTurk has not": (a_report(page="studies"), 422, "invalid_field", "page"),
    "a page Prolific has not": (a_report(platform="prolific", page="search"), 422, "invalid_field", "page"),
    "unknown problem": (a_report(problem="boom"), 422, "invalid_field", "problem"),
    "unknown browser": (a_report(browser="Mozilla/5.0"), 422, "invalid_field", "browser"),
    "version with text": (a_report(extension_version="1.0.0-beta; drop"), 422, "invalid_field", "extension_version"),
    "version too long": (a_report(extension_version="1.2.3.4.5"), 422, "invalid_field", "extension_version"),
    "version in other digits": (a_report(extension_version="١.٢"), 422, "invalid_field", "extension_version"),
    "negative count": (a_report(counts={"rows_seen": -1, "tasks_read": 0, "data_items": 0}), 422, "invalid_field",
                       "counts.rows_seen"),
    "count too big": (a_report(counts={"rows_seen": 0, "tasks_read": 0, "data_items": 100_001}), 422,
                      "invalid_field", "counts.data_items"),
    # (Litestar reads "27" as 27, as everywhere in the API; words are no number.)
    "count as words": (a_report(counts={"rows_seen": "27 tasks", "tasks_read": 0, "data_items": 0}), 422,
                       "invalid_field", "counts.rows_seen"),
    "fractional count": (a_report(counts={"rows_seen": 2.5, "tasks_read": 0, "data_items": 0}), 422,
                         "invalid_field", "counts.rows_seen"),
    "count with a worker id": (a_report(counts={"rows_seen": 0, "tasks_read": 0, "data_items": 0,
                                                "worker_id": "A2P2MT8IK72CVZ"}), 422, "invalid_field",
                               "counts.worker_id"),
    "probe name with spaces": (a_report(probes={"rows seen": 1}), 422, "invalid_field", "probes"),
    "probe name as selector": (a_report(probes={"li.hit-set-table-row": 1}), 422, "invalid_field", "probes"),
    "too many probes": (a_report(probes={f"p{i}": 1 for i in range(shape.MAX_PROBES + 1)}), 422, "invalid_field",
                        "probes"),
    "probe count too big": (a_report(probes={"rows": 10**9}), 422, "invalid_field", "probes.rows"),
    "too many elements": (with_elements(*[element(testid=f"t-{a}{b}") for a in string.ascii_lowercase
                                          for b in string.ascii_lowercase[:6]][:shape.MAX_ELEMENTS + 1]),
                          422, "invalid_field", "elements"),
    "too many classes": (with_elements(element(classes=[f"c-{c}" for c in "abcdefghi"])), 422, "invalid_field",
                         "elements[0].classes"),
    "an element's text": (with_elements(element(text="Transcribe this receipt")), 422, "invalid_field",
                          "elements[0].text"),
    "an element's id": (with_elements(element(id="hit-row-1")), 422, "invalid_field", "elements[0].id"),
    "upper-case tag": (with_elements(element(tag="DIV")), 422, "invalid_field", "elements[0].tag"),
    "tag with attributes": (with_elements(element(tag="a href")), 422, "invalid_field", "elements[0].tag"),
    "class with spaces (text)": (with_elements(element(classes=["Take this survey"])), 422, "invalid_field",
                                 "elements[0].classes[0]"),
    "e-mail as a class": (with_elements(element(classes=["worker@example.org"])), 422, "invalid_field",
                          "elements[0].classes[0]"),
    "URL as a testid": (with_elements(element(testid="https://app.prolific.com/studies?id=1")), 422,
                        "invalid_field", "elements[0].testid"),
    "query as a testid": (with_elements(element(testid="q=shopping")), 422, "invalid_field", "elements[0].testid"),
    "dotted name": (with_elements(element(classes=["a.b"])), 422, "invalid_field", "elements[0].classes[0]"),
    "name too long": (with_elements(element(classes=["x" * 49])), 422, "invalid_field", "elements[0].classes[0]"),
    "empty testid": (with_elements(element(testid="")), 422, "invalid_field", "elements[0].testid"),
    "name starting with a digit": (with_elements(element(classes=["1col"])), 422, "invalid_field",
                                   "elements[0].classes[0]"),
    "Prolific study id": (with_elements(element(testid="study-676eda540ac41cc075b4e578")), 422,
                          "looks_identifying", "elements[0].testid"),
    "MTurk worker id": (with_elements(element(classes=["ok", "worker-A2P2MT8IK72CVZ"])), 422, "looks_identifying",
                        "elements[0].classes[1]"),
    "MTurk HIT set id": (with_elements(element(testid="hit-3X9KGUZDX8JVQN1JDLGZ7XUX1HRKWQ")), 422,
                         "looks_identifying", "elements[0].testid"),
    "a number run": (with_elements(element(classes=["order-1234567"])), 422, "looks_identifying",
                     "elements[0].classes[0]"),
    "a reward in cents": (with_elements(element(classes=["reward-12345"])), 422, "looks_identifying",
                          "elements[0].classes[0]"),
    "a class listed twice": (with_elements(element(classes=["row", "row"])), 422, "invalid_field",
                             "elements[0].classes[1]"),
    "an element listed twice": (with_elements(element(classes=["a", "b"]), element(classes=["b", "a"])), 422,
                                "invalid_field", "elements[1]"),
    "negative element count": (with_elements(element(count=-1)), 422, "invalid_field", "elements[0].count"),
    "not an object": ([a_report()], 422, "invalid_field", None),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_report_is_refused_in_words_and_changes_nothing(client: TestClient, db: Db, case: str):
    body, status, code, field = BAD[case]
    before = db.dump()
    response = client.post(PATH, json=body)
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["code"] == code, answer
    assert answer.get("field") == field, answer
    if field:
        assert answer["message"].startswith(f"{field}: "), answer
    assert db.dump() == before


@pytest.mark.parametrize(("content", "headers", "status", "code"), [
    (b"{not json", {"content-type": "application/json"}, 400, "invalid_json"),
    (b"", {"content-type": "application/json"}, 400, "missing_body"),
    (json.dumps(a_report()).encode(), {"content-type": "text/plain"}, 415, "unsupported_media_type"),
    (b"schema=1&platform=mturk", {"content-type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
])
def test_an_unreadable_body_is_refused_and_changes_nothing(client: TestClient, db: Db, content: bytes,
                                                           headers: dict[str, str], status: int, code: str):
    before = db.dump()
    response = client.post(PATH, content=content, headers=headers)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert db.dump() == before


def letters(i: int, width: int = 2) -> str:
    out = ""
    for _ in range(width):
        i, rest = divmod(i, 26)
        out = string.ascii_lowercase[rest] + out
    return out


def largest_report() -> dict[str, Any]:
    """The largest report the extension can build: 150 kinds of element, each with the longest tag, 8 classes and
    a data-testid of 48 characters and the highest count, and 32 probes with the longest names."""
    name = "x" * (shape.MAX_NAME - 3) + "-"
    elements = [{"tag": "t" * (shape.MAX_TAG - 2) + letters(i), "classes": [name + letters(i * 8 + j) for j in range(8)],
                 "testid": name + letters(i), "count": shape.MAX_COUNT} for i in range(shape.MAX_ELEMENTS)]
    probes = {"p" * (shape.MAX_PROBE_NAME - 2) + letters(i): shape.MAX_COUNT for i in range(shape.MAX_PROBES)}
    counts = {"rows_seen": shape.MAX_COUNT, "tasks_read": shape.MAX_COUNT, "data_items": shape.MAX_COUNT}
    return a_report(extension_version="9999.9999.9999.9999", counts=counts, probes=probes, elements=elements)


def test_the_largest_report_the_extension_can_make_fits_the_limit(client: TestClient, db: Db):
    report = largest_report()
    size = len(json.dumps(report, separators=(",", ":")).encode())
    print(f"largest valid report: {size} bytes of compact JSON; the limit is {MAX_REPORT_BYTES}")
    assert size <= MAX_REPORT_BYTES
    response = client.post(PATH, json=report)
    assert response.status_code == 201, response.text
    assert as_sent(stored(db)[0]) == report


def test_an_oversized_body_is_a_413_naming_the_limit_and_changes_nothing(client: TestClient, db: Db):
    before = db.dump()
    padded = json.dumps(largest_report(), indent=4).encode() + b" " * MAX_REPORT_BYTES
    response = client.post(PATH, content=padded, headers={"content-type": "application/json"})
    assert response.status_code == 413, response.text
    answer = response.json()
    assert answer["code"] == "payload_too_large"
    assert f"{MAX_REPORT_BYTES} bytes" in answer["message"], answer
    assert db.dump() == before
    # The app-wide limit (1 MiB) still holds elsewhere: only this route is tighter.
    assert client.post("/api/v1/annotate", content=padded, headers={"content-type": "application/json"}
                       ).status_code != 413


@pytest.mark.parametrize("origin", ["chrome-extension://abcdefghijklmnopabcdefghijklmnop",
                                    "moz-extension://4b1e7d2a-0c51-4c1d-9a7e-3f0e2d1c9b8a"])
def test_extensions_may_post_from_their_origins(client: TestClient, db: Db, origin: str):
    preflight = client.options(PATH, headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                              "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204, preflight.text
    assert preflight.headers["access-control-allow-origin"] == origin
    assert "POST" in preflight.headers["access-control-allow-methods"]
    response = client.post(PATH, json=a_report(), headers={"Origin": origin})
    assert response.status_code == 201, response.text
    assert response.headers["access-control-allow-origin"] == origin
    assert len(stored(db)) == 1


def test_web_pages_may_not_post_reports(client: TestClient, db: Db):
    """Not an open path: another site's page cannot make a visitor's browser send reports."""
    preflight = client.options(PATH, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
                                              "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 403 and preflight.json()["code"] == "cors_refused"
    assert "access-control-allow-origin" not in preflight.headers
    # A "simple" cross-site post (no preflight) is not JSON, so it is refused before it is read.
    simple = client.post(PATH, content=json.dumps(a_report()), headers={"Origin": "https://evil.example",
                                                                        "content-type": "text/plain"})
    assert simple.status_code == 415
    assert stored(db) == []


def test_the_openapi_document_describes_the_route(client: TestClient):
    document = client.get("/schema/openapi.json").json()
    operation = document["paths"][PATH]["post"]
    assert {"201", "400", "413", "415", "422", "429"} <= set(operation["responses"])
    assert "security" not in operation or operation["security"] == []
    admin = document["paths"]["/api/v1/admin/page-reports"]["get"]
    assert {"200", "401", "403"} <= set(admin["responses"])
