"""A corpus of hostile input for every write route and the query-parameter reads.

Each case gets a clear 4xx with a machine code and leaves every table as it was, or is stored inert and
given back exactly as sent (as plain text in JSON, escaped in HTML pages). The routes under attack:
register, reviews (create, edit, flag), timings, saved filters, tokens and annotate.
"""
from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from litestar.testing import TestClient

from server.domain.names import clean_name
from tests.conftest import LiveServer
from tests.helpers import Db, sign_up
from tests.database import Sql

pytestmark = pytest.mark.database  # starts its own server: runs on SQLite and on PostgreSQL

JSON = {"content-type": "application/json"}
XSS = "<script>alert(1)</script>"
SQL_META = ["' OR 1=1 --", '"; DROP TABLE reviews; --', "%", "_", "\\"]
# Plain text a worker may well write: right-to-left override, a 4-byte emoji, combining marks, a zero-width joiner.
# Ids as the platforms write them (scrapers/ids.py): an MTurk HIT group id is 30 upper-case letters and digits, a
# requester id "A" and then 1 to 63 of them. Padded with zeros so that each stays recognizable.
HIT1 = "3HIT1".ljust(30, "0")
HIT_XSS = "3XSS".ljust(30, "0")
ODD_TEXT = ["abc \u202e evil.exe \u202c", "pays \U0001F4B8 well \U0001F600", "Cafe\u0301 \u0938\u094d\u0924", "a\u200db"]


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def a_review(**changes: Any) -> dict[str, Any]:
    return {"platform": "mturk", "requester_id": "AREQ1", "requester_name": "Shop Lab",
            "task": {"title": "Survey about shopping", "reward_cents": 100, "hit_set_id": HIT1},
            "ratings": {"pay": 4, "fairness": 5}, "worked_seconds": 600, "outcome": "approved",
            "comment": "Fine.", **changes}


def a_timing(**changes: Any) -> dict[str, Any]:
    ended = now() - timedelta(hours=1)
    return {"platform": "mturk", "requester_id": "AREQ1", "requester_name": "Shop Lab", "title": "Survey about shopping",
            "reward_cents": 100, "hit_set_id": HIT1, "assignment_id": "ASSIGN1",
            "accepted_at": iso(ended - timedelta(minutes=10)), "ended_at": iso(ended), "outcome": "submitted", **changes}


def a_task(**changes: Any) -> dict[str, Any]:
    return {"platform": "mturk", "requester_id": "AREQ2", "requester_name": "Other Lab", "title": "Tag images",
            "reward_cents": 50, **changes}


# Every write route, with a valid body whose one string value "@@" the cases below replace.
ROUTES: dict[str, tuple[str, str, str | None, dict[str, Any]]] = {
    "register": ("POST", "/api/v1/workers", None, {"handle": "carol", "token_label": "@@"}),
    "review": ("POST", "/api/v1/reviews", "alice", a_review(requester_id="AREQ9", comment="@@")),
    "edit": ("PATCH", "/api/v1/reviews/{review}", "alice", {"comment": "@@", "bonus_cents": 10}),
    "flag": ("POST", "/api/v1/reviews/{review}/flags", "bob", {"reason": "other", "note": "@@"}),
    "timing": ("POST", "/api/v1/timings", "alice", a_timing(title="@@")),
    "filters": ("PUT", "/api/v1/me/filters", "alice", {"keywords_include": ["@@"], "min_hourly_cents": 900}),
    "token": ("POST", "/api/v1/me/tokens", "alice", {"label": "@@"}),
    "annotate": ("POST", "/api/v1/annotate", "alice", {"platform": "mturk", "tasks": [a_task(title="@@")]}),
}
BODY_ROUTES = [name for name in ROUTES if name != "token"]  # a token's body is optional
# Where each route's answer gives the "@@" slot back.
ECHO = {
    "register": lambda body: body["token_info"]["label"],
    "review": lambda body: body["comment"],
    "edit": lambda body: body["comment"],
    "flag": lambda body: body["note"],
    "timing": lambda body: body["title"],
    "filters": lambda body: body["keywords_include"][0],
    "token": lambda body: body["token_info"]["label"],
    "annotate": lambda body: body["tasks"][0]["title"],
}


class Writer:
    """Alice with a review, Bob who may flag it, and the database read back directly."""

    def __init__(self, api: TestClient, snapshot: Db) -> None:
        self.api = api
        self.db = snapshot
        self.alice = sign_up(api, "alice")
        self.bob = sign_up(api, "bob")
        created = api.post("/api/v1/reviews", headers=self.alice, json=a_review())
        assert created.status_code == 201, created.text
        self.review = created.json()["id"]

    def send(self, route: str, content: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        method, path, who, _ = ROUTES[route]
        auth = {"alice": self.alice, "bob": self.bob, None: {}}[who]
        return self.api.request(method, path.format(review=self.review), content=content,
                                headers={**JSON, **auth, **(headers or {})})

    def body(self, route: str, value: str = "ok") -> bytes:
        """The route's valid body with `value` in its string slot (already JSON-escaped text, or raw bytes)."""
        return json.dumps(ROUTES[route][3]).replace('"@@"', json.dumps(value)).encode()


@pytest.fixture
def writer(api: TestClient, snapshot: Db) -> Writer:
    return Writer(api, snapshot)


def assert_refused(response: httpx.Response, status: int, code: str | None = None, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["code"] and body["message"], body
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        assert body.get("field") == field, body
    return body


def with_slot(route: str, raw: bytes) -> bytes:
    """The route's valid body with raw bytes (not JSON-escaped) in its string slot."""
    return json.dumps(ROUTES[route][3]).encode().replace(b'"@@"', b'"' + raw + b'"')


# ------------------------------------------------------------------------------------------------
# The valid bodies are valid: every refusal below is about the one thing each case changes.


@pytest.mark.parametrize("route", list(ROUTES))
def test_the_valid_bodies_are_accepted(writer, route):
    response = writer.send(route, writer.body(route, "fine"))
    assert response.status_code in (200, 201), response.text
    assert ECHO[route](response.json()) == "fine"


# ------------------------------------------------------------------------------------------------
# Sizes and shapes


@pytest.mark.parametrize("route", list(ROUTES))
def test_a_body_over_the_limit_is_413(writer, settings, route):
    before = writer.db.dump()
    filler = "x" * (settings.max_body_bytes + 1)
    assert_refused(writer.send(route, writer.body(route, filler)), 413, "payload_too_large")
    assert writer.db.dump() == before


@pytest.mark.parametrize("shape", ["arrays", "objects", "in_a_field"])
@pytest.mark.parametrize("route", list(ROUTES))
def test_json_nested_ten_thousand_deep_is_400(writer, route, shape):
    deep = {"arrays": b"[" * 10_000 + b"]" * 10_000,
            "objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
            "in_a_field": with_slot(route, b"@@").replace(b'"@@"', b"[" * 10_000 + b"]" * 10_000)}[shape]
    before = writer.db.dump()
    assert_refused(writer.send(route, deep), 400, "invalid_json")
    assert writer.db.dump() == before


@pytest.mark.parametrize("route", BODY_ROUTES)
def test_an_empty_body_is_400(writer, route):
    before = writer.db.dump()
    assert_refused(writer.send(route, b""), 400, "missing_body")
    assert_refused(writer.send(route, b"", headers={"content-type": ""}), 400, "missing_body")
    assert writer.db.dump() == before


NOT_JSON_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz",
                  "application/xml", "application/jsonx"]


@pytest.mark.parametrize("route", list(ROUTES))
def test_a_body_that_is_not_declared_json_is_415(writer, route):
    """Valid JSON sent as another media type: refused, not parsed as JSON anyway."""
    before = writer.db.dump()
    answers = {content_type: writer.send(route, writer.body(route), headers={"content-type": content_type})
               for content_type in NOT_JSON_TYPES}
    assert {kind: (r.status_code, r.json().get("code")) for kind, r in answers.items()} == {
        kind: (415, "unsupported_media_type") for kind in NOT_JSON_TYPES}
    assert writer.db.dump() == before
    accepted = writer.send(route, writer.body(route), headers={"content-type": "application/json; charset=utf-8"})
    assert accepted.status_code in (200, 201), accepted.text


# ------------------------------------------------------------------------------------------------
# Unicode


BAD_UNICODE = {
    "lone_high_surrogate": b"a\\ud800b",
    "lone_low_surrogate": b"\\udfff",
    "reversed_pair": b"\\ude00\\ud83d",
    "invalid_utf8_byte": b"caf\xe9",
    "lone_continuation_byte": b"\x80",
    "overlong_slash": b"\xc0\xaf",
    "truncated_emoji": b"\xf0\x9f\x98",
    "utf16_surrogate_as_utf8": b"\xed\xa0\x80",
}


@pytest.mark.parametrize("case", list(BAD_UNICODE))
@pytest.mark.parametrize("route", list(ROUTES))
def test_text_that_is_not_unicode_is_400(writer, route, case):
    before = writer.db.dump()
    assert_refused(writer.send(route, with_slot(route, BAD_UNICODE[case])), 400, "invalid_json")
    assert writer.db.dump() == before


@pytest.mark.parametrize("text", ODD_TEXT)
def test_odd_but_valid_text_is_kept_exactly(writer, text):
    api, alice, bob = writer.api, writer.alice, writer.bob
    created = api.post("/api/v1/reviews", headers=alice, json=a_review(
        requester_id="AODD1", requester_name=text, task={"title": text, "reward_cents": 5}, comment=text))
    assert created.status_code == 201, created.text
    got = api.get(f"/api/v1/reviews/{created.json()['id']}").json()
    for review in (created.json(), got):
        assert (review["task"]["title"], review["comment"]) == (text, text)
        # A requester's shown name is a vote as it reads (server/domain/names.py): composed (NFC), spaces as one.
        assert review["requester_name"] == clean_name(text) and clean_name(text).strip(), review
    flagged = api.post(f"/api/v1/reviews/{writer.review}/flags", headers=bob, json={"reason": "other", "note": text})
    assert flagged.status_code == 201 and flagged.json()["note"] == text
    saved = api.put("/api/v1/me/filters", headers=alice, json={"keywords_exclude": [text],
                                                               "block": [{"pattern": text, "note": text}]})
    assert saved.status_code == 200
    for filters in (saved.json(), api.get("/api/v1/me/filters", headers=alice).json()):
        assert filters["keywords_exclude"] == [text] and filters["block"][0]["pattern"] == text


# Where each route's "@@" slot is named in a 422.
SLOT = {"register": "token_label", "review": "comment", "edit": "comment", "flag": "note", "timing": "title",
        "filters": "keywords_include[0]", "token": "label", "annotate": "tasks[0].title"}


@pytest.mark.parametrize(("route", "text"), [
    ("review", "before\x00after"), ("edit", "\x00"), ("flag", "a\x00"), ("timing", "Title\x00"),
    ("filters", "\x00x"), ("token", "label\x00"), ("register", "\x00"),
    ("annotate", "T\x00itle"),
])
def test_a_nul_character_is_refused(writer, route, text):
    """NUL is valid JSON (\\u0000) but poison for C strings, and PostgreSQL text and jsonb cannot hold it:
    a 422 naming the field, and nothing stored."""
    before = writer.db.dump()
    assert_refused(writer.send(route, writer.body(route, text)), 422, "invalid_field", SLOT[route])
    assert writer.db.dump() == before


def test_a_nul_character_is_refused_in_every_stored_string(writer):
    """The other string fields of the write routes, each with a NUL in an otherwise valid body."""
    api, alice, bob = writer.api, writer.alice, writer.bob
    task = {"title": "Survey about shopping", "reward_cents": 100, "hit_set_id": HIT1}
    cases = [
        ("POST", "/api/v1/reviews", alice, a_review(requester_id="AREQ\x00"), "requester_id"),
        ("POST", "/api/v1/reviews", alice, a_review(requester_name="Shop\x00Lab"), "requester_name"),
        ("POST", "/api/v1/reviews", alice, a_review(task={**task, "title": "Survey\x00"}), "task.title"),
        ("POST", "/api/v1/reviews", alice, a_review(task={**task, "hit_set_id": "3HIT\x00"}), "task.hit_set_id"),
        ("POST", "/api/v1/timings", alice, a_timing(requester_id="\x00AREQ1"), "requester_id"),
        ("POST", "/api/v1/workers", {}, {"platform_ids": [{"platform": "mturk", "worker_id": "A\x00"}]},
         "platform_ids[0].worker_id"),
        ("PUT", "/api/v1/me/filters", alice, {"block": [{"pattern": "AREQ\x00"}]}, "block[0].pattern"),
        ("PUT", "/api/v1/me/filters", alice, {"include": [{"pattern": "AREQ1", "note": "\x00"}]}, "include[0].note"),
        ("PUT", "/api/v1/me/filters", alice, {"keywords_exclude": ["ok", "\x00"]}, "keywords_exclude[1]"),
        ("PUT", "/api/v1/me/filters", alice, {"source_weights": {"peer\x00": 0.5}}, "source_weights"),
        ("POST", "/api/v1/annotate", alice, {"platform": "mturk", "filters": {"keywords_include": ["a\x00"]},
                                             "tasks": [a_task()]}, "filters.keywords_include[0]"),
        ("POST", f"/api/v1/reviews/{writer.review}/flags", bob, {"reason": "spam", "note": "\x00"}, "note"),
    ]
    before = writer.db.dump()
    for method, path, headers, body, field in cases:
        assert_refused(api.request(method, path, headers=headers, json=body), 422, "invalid_field", field)
    assert writer.db.dump() == before


@pytest.mark.parametrize("control", ["\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b[2J", "\x1f"])
@pytest.mark.parametrize("route", ["review", "edit", "flag", "token", "register"])
def test_control_characters_are_refused_in_text_people_write(writer, route, control):
    """Comments, notes and labels are plain text for people: other C0 controls than tab, LF and CR are refused."""
    before = writer.db.dump()
    assert_refused(writer.send(route, writer.body(route, f"a{control}b")), 422, "invalid_field", SLOT[route])
    assert writer.db.dump() == before


def test_tabs_and_line_breaks_are_kept_in_text_people_write(writer):
    text = "first line\r\n\tindented\nlast"
    for route in ("review", "edit", "flag", "token", "register"):
        response = writer.send(route, writer.body(route, text))
        assert response.status_code in (200, 201), (route, response.text)
        assert ECHO[route](response.json()) == text, route


def test_control_characters_copied_from_a_platform_are_kept(writer):
    """A title or requester name as a platform's page had it (a form feed, a vertical tab) stays reviewable under
    the name annotate recorded: only NUL is refused there."""
    api, alice = writer.api, writer.alice
    odd = "Tag\x0cimages\x0b now\x1f"
    annotated = api.post("/api/v1/annotate", headers=alice, json={"platform": "mturk", "tasks": [
        a_task(requester_id="ACTRL", requester_name=odd, title=odd)]})
    assert annotated.status_code == 200 and annotated.json()["tasks"][0]["title"] == odd
    created = api.post("/api/v1/reviews", headers=alice, json=a_review(
        requester_id="ACTRL", requester_name=odd, task={"title": odd, "reward_cents": 50}))
    assert created.status_code == 201, created.text
    got = api.get(f"/api/v1/reviews/{created.json()['id']}").json()
    # The title exactly; the requester's shown name as names vote (server/domain/names.py: runs of white space,
    # these controls among them, read as one space).
    assert (got["requester_name"], got["task"]["title"]) == ("Tag images now", odd)
    saved = api.put("/api/v1/me/filters", headers=alice, json={"block": [{"pattern": odd}], "keywords_exclude": [odd]})
    assert saved.status_code == 200 and saved.json()["block"][0]["pattern"] == odd


def test_a_refused_control_character_is_explained_in_words(writer):
    refused = assert_refused(writer.send("review", writer.body("review", "a\x00b")), 422, "invalid_field", "comment")
    assert "regex" not in refused["message"] and "control characters" in refused["message"], refused


# ------------------------------------------------------------------------------------------------
# Markup: plain text in JSON, escaped in HTML


def test_markup_is_stored_as_text_and_escaped_on_pages(writer):
    api, alice, bob = writer.api, writer.alice, writer.bob
    created = api.post("/api/v1/reviews", headers=alice, json=a_review(
        requester_id="AXSS1", requester_name=XSS, task={"title": XSS, "reward_cents": 75, "hit_set_id": HIT_XSS},
        comment=f"{XSS} and <img src=x onerror=alert(2)>"))
    assert created.status_code == 201, created.text
    review = api.get(f"/api/v1/reviews/{created.json()['id']}").json()
    assert review["requester_name"] == XSS and review["task"]["title"] == XSS
    assert review["comment"] == f"{XSS} and <img src=x onerror=alert(2)>"
    note = api.post(f"/api/v1/reviews/{created.json()['id']}/flags", headers=bob, json={"reason": "other", "note": XSS})
    assert note.status_code == 201 and note.json()["note"] == XSS
    # A requester first seen through annotate keeps its name as text too.
    annotated = api.post("/api/v1/annotate", json={"platform": "mturk", "tasks": [
        a_task(requester_id="AXSS2", requester_name=XSS, title=XSS)]})
    assert annotated.status_code == 200 and annotated.json()["tasks"][0]["title"] == XSS

    for url in ("/r/mturk/AXSS1", "/r/mturk/AXSS2", "/listen?platform=mturk"):
        page = api.get(url)
        assert page.status_code == 200, (url, page.text[:300])
        assert page.headers["content-type"].startswith("text/html")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text, url
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, url


TAG = "<script>alert(1)"  # no "/": an encoded slash in a path is a slash to the router, so no page at all


@pytest.mark.parametrize("path", [f"/r/mturk/{quote(TAG, safe='')}", f"/r/{quote(TAG, safe='')}/A1",
                                  f"/r/?platform=mturk&id={quote(XSS, safe='')}", f"/listen?platform={quote(XSS)}",
                                  f"/listen?min_hourly={quote(XSS)}"])
def test_markup_in_a_page_address_is_escaped(api, path):
    page = api.get(path, follow_redirects=True)
    assert 400 <= page.status_code < 500, page.text[:300]
    assert page.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in page.text


# ------------------------------------------------------------------------------------------------
# SQL metacharacters: data, never code or patterns


ID_REFUSED = {"invalid_requester_id": "not a requester id", "invalid_hit_set_id": "not a task group id"}


@pytest.mark.parametrize("value", SQL_META)
def test_sql_metacharacters_in_every_string_field_are_stored_literally(writer, value):
    """Free text (names, titles, comments, notes, labels, patterns) is stored and given back exactly; ids cannot
    hold such text at all (scrapers/ids.py): refused in words with a 422 naming the field, nothing stored."""
    api, alice, bob, db = writer.api, writer.alice, writer.bob, writer.db
    tables = db.tables()
    reviews = db.rows("SELECT count(*) FROM reviews")[0][0]
    meta = value + " x"  # ids and titles must not be blank; the value stays at the start
    task = {"title": meta, "reward_cents": 1, "hit_set_id": "3META".ljust(30, "0")}
    before = db.dump()
    for path, body, field, code in [
        ("/api/v1/reviews", a_review(requester_id=meta, task=task), "requester_id", "invalid_requester_id"),
        ("/api/v1/reviews", a_review(requester_id="A" + value), "requester_id", "invalid_requester_id"),
        ("/api/v1/reviews", a_review(task={**task, "hit_set_id": value}), "task.hit_set_id", "invalid_hit_set_id"),
        ("/api/v1/timings", a_timing(requester_id=meta), "requester_id", "invalid_requester_id"),
        ("/api/v1/timings", a_timing(hit_set_id=value), "hit_set_id", "invalid_hit_set_id"),
        ("/api/v1/annotate", {"platform": "mturk", "tasks": [a_task(requester_id=meta)]}, "tasks[0].requester_id",
         "invalid_requester_id"),
    ]:
        refused = assert_refused(api.post(path, headers=alice, json=body), 422, code, field)
        assert ID_REFUSED[code] in refused["message"] and "letters and digits" in refused["message"], refused
    assert db.dump() == before
    review = api.post("/api/v1/reviews", headers=alice, json=a_review(
        requester_id="AMETA1", requester_name=value, task=task, comment=value))
    assert review.status_code == 201, review.text
    got = api.get(f"/api/v1/reviews/{review.json()['id']}").json()
    for body in (review.json(), got):
        assert (body["requester_id"], body["requester_name"], body["task"]["title"], body["task"]["hit_set_id"],
                body["comment"]) == ("AMETA1", value, meta, task["hit_set_id"], value)
    edited = api.patch(f"/api/v1/reviews/{writer.review}", headers=alice, json={"comment": value})
    assert edited.status_code == 200 and edited.json()["comment"] == value
    timing = api.post("/api/v1/timings", headers=alice, json=a_timing(
        requester_id="AMETA1", requester_name=value, title=meta, hit_set_id=task["hit_set_id"], assignment_id=value))
    assert timing.status_code == 201, timing.text
    assert (timing.json()["requester_id"], timing.json()["title"], timing.json()["assignment_id"]) == (
        "AMETA1", meta, value)
    filters = {"block": [{"pattern": value, "match": "substring", "note": value}],
               "include": [{"pattern": value, "match": "wildcard"}], "keywords_include": [value],
               "keywords_exclude": [value]}
    saved = api.put("/api/v1/me/filters", headers=alice, json=filters)
    assert saved.status_code == 200, saved.text
    assert {key: saved.json()[key] for key in ("keywords_include", "keywords_exclude")} == {
        "keywords_include": [value], "keywords_exclude": [value]}
    assert saved.json()["block"][0]["pattern"] == value and saved.json()["block"][0]["note"] == value
    token = api.post("/api/v1/me/tokens", headers=alice, json={"label": value})
    assert token.status_code == 201 and token.json()["token_info"]["label"] == value
    registered = api.post("/api/v1/workers", json={"token_label": value})
    assert registered.status_code == 201 and registered.json()["token_info"]["label"] == value
    assert_refused(api.post("/api/v1/workers", json={"handle": value}), 422, "invalid_field", "handle")
    flag = api.post(f"/api/v1/reviews/{review.json()['id']}/flags", headers=bob, json={"reason": "other", "note": value})
    assert flag.status_code == 201 and flag.json()["note"] == value
    # Nothing was dropped or rewritten by the text: the same tables, one more review, all earlier ones intact.
    assert db.tables() == tables
    assert db.rows("SELECT count(*) FROM reviews")[0][0] == reviews + 1
    assert db.rows("SELECT comment FROM reviews WHERE id = ?", writer.review) == [(value,)]


def test_a_substring_block_rule_matches_metacharacters_literally(writer):
    api, alice = writer.api, writer.alice
    saved = api.put("/api/v1/me/filters", headers=alice, json={"block": [
        {"pattern": "%", "match": "substring"}, {"pattern": "_", "match": "substring"}]})
    assert saved.status_code == 200
    tasks = [a_task(requester_id="APLAIN", title="Plain title"), a_task(requester_id="APCT", title="Win 100% today")]
    verdicts = api.post("/api/v1/annotate", headers=alice, json={"platform": "mturk", "tasks": tasks}).json()["tasks"]
    assert [task["verdict"]["hidden"] for task in verdicts] == [False, True]


def make_admin_with_a_job_run(database_url: str, handle: str) -> None:
    with Sql(database_url).begin() as db:
        db.execute("UPDATE workers SET role = 'admin' WHERE handle = ?", (handle,))
        db.execute("INSERT INTO job_runs (job, started_at, status, attempts, message, counts) "
                   "VALUES ('refresh-recent', '2026-01-01 00:00:00.000000', 'ok', 1, '', '{}')")


@pytest.mark.parametrize("value", [*SQL_META, "AREQ%", "AREQ_", "AREQ*", "AREQ1' --"])
def test_lookups_treat_metacharacters_literally(writer, settings, value):
    """Reads by id or name find exactly that id: no SQL, no LIKE wildcards, nothing written."""
    api, alice = writer.api, writer.alice
    make_admin_with_a_job_run(settings.database_url, "alice")
    before = writer.db.dump()
    quoted = quote(value, safe="")
    assert_refused(api.get("/api/v1/reviews", params={"platform": "mturk", "requester": value}), 404, "not_found")
    assert api.get("/api/v1/requesters", params={"platform": "mturk", "ids": value}).json() == {}
    assert api.get("/api/v1/requesters", params={"platform": "mturk", "ids": f"{value},AREQ1"}).json().keys() == {"AREQ1"}
    assert_refused(api.get(f"/api/v1/requesters/mturk/{quoted}"), 404, "not_found")
    assert api.get(f"/r/mturk/{quoted}").status_code == 404
    to2 = api.get("/requesters", params={"rids": value})
    assert to2.status_code == 200 and to2.json()["data"] == []
    to1 = api.get("/api/multi-attrs.php", params={"ids": value})
    assert to1.status_code < 500 and "AREQ1" not in to1.text and "Shop Lab" not in to1.text
    jobs = api.get("/api/v1/admin/jobs", params={"job": value}, headers=alice)
    assert jobs.status_code == 200 and jobs.json()["runs"] == [], jobs.text
    assert len(api.get("/api/v1/admin/jobs", params={"job": "refresh-recent"}, headers=alice).json()["runs"]) == 1
    for path in ("/api/v1/me/timings", "/api/v1/moderation/queue", "/api/v1/moderation/log"):
        assert_refused(api.get(path, params={"cursor": value}, headers=alice), 400)
    assert_refused(api.get("/api/v1/reviews", params={"platform": "mturk", "requester": "AREQ1", "cursor": value}), 400)
    assert_refused(api.get("/api/v1/export/ratings", params={"since": value}), 400, "invalid_parameter", "since")
    assert_refused(api.get("/api/v1/speech", params={"platform": value}), 400, "invalid_parameter", "platform")
    assert_refused(api.get("/api/v1/speech", params={"hide": value}), 400, "invalid_parameter", "hide")
    assert writer.db.dump() == before


# ------------------------------------------------------------------------------------------------
# Numbers, money and times


# NaN and Infinity are not JSON: a token Python's json module would accept, and must not slip through.
REVIEW_WITH_NAN = json.dumps(a_review()).replace('"worked_seconds": 600', '"worked_seconds": NaN')
ABSURD = [
    # (route, JSON body as text, status, field)
    ("review", json.dumps(a_review(bonus_cents=-1)), 422, "bonus_cents"),
    ("review", json.dumps(a_review(bonus_cents=10**30)), 422, "bonus_cents"),
    ("review", json.dumps(a_review(bonus_cents=1.5)), 422, "bonus_cents"),
    ("review", json.dumps(a_review(task={"title": "T", "reward_cents": -100})), 422, "task.reward_cents"),
    ("review", json.dumps(a_review(task={"title": "T", "reward_cents": 2.5})), 422, "task.reward_cents"),
    ("review", json.dumps(a_review(worked_seconds=10 * 365 * 24 * 3600)), 422, "worked_seconds"),
    ("review", json.dumps(a_review(worked_seconds=0)), 422, "worked_seconds"),
    ("review", json.dumps(a_review(worked_seconds=None, minutes_worked=-5)), 422, "minutes_worked"),
    ("review", json.dumps(a_review(approval_seconds=10 * 365 * 24 * 3600)), 422, "approval_seconds"),
    ("review", json.dumps(a_review(ratings={"pay": 6})), 422, "ratings.pay"),
    ("review", json.dumps(a_review(ratings={"pay": 0})), 422, "ratings.pay"),
    ("review", json.dumps(a_review(ratings={"pay": 4.5})), 422, "ratings.pay"),
    ("review", REVIEW_WITH_NAN, 400, None),
    ("review", REVIEW_WITH_NAN.replace("NaN", "Infinity"), 400, None),
    ("review", REVIEW_WITH_NAN.replace("NaN", "-Infinity"), 400, None),
    ("review", REVIEW_WITH_NAN.replace("NaN", "1e400"), 400, None),
    ("edit", '{"bonus_cents": -5}', 422, "bonus_cents"),
    ("edit", '{"worked_seconds": 315360000}', 422, "worked_seconds"),
    ("edit", '{"minutes_worked": NaN}', 400, None),
    ("timing", json.dumps(a_timing(reward_cents=-1)), 422, "reward_cents"),
    ("timing", json.dumps(a_timing(reward_cents=10**30)), 422, "reward_cents"),
    ("timing", json.dumps(a_timing(reward_cents=0.5)), 422, "reward_cents"),
    ("timing", json.dumps(a_timing(accepted_at="9999-12-31T23:00:00Z", ended_at="9999-12-31T23:10:00Z")), 422, "ended_at"),
    ("timing", json.dumps(a_timing(accepted_at="0001-01-01T00:00:00Z", ended_at="0001-01-01T00:10:00Z")), 422,
     "accepted_at"),
    ("timing", json.dumps(a_timing(accepted_at=iso(now() - timedelta(days=3650)))), 422, "ended_at"),
    ("timing", json.dumps(a_timing(ended_at=iso(now() - timedelta(days=1)), accepted_at=iso(now()))), 422, "ended_at"),
    ("timing", json.dumps(a_timing(accepted_at=-(10**12))), 422, "accepted_at"),
    ("filters", '{"min_hourly_cents": -1}', 422, "min_hourly_cents"),
    ("filters", '{"target_cents_per_hour": 1000000000000000000000000000000}', 422, "target_cents_per_hour"),
    ("filters", '{"max_minutes": 1.5}', 422, "max_minutes"),
    ("filters", '{"max_minutes": 5256000}', 422, "max_minutes"),
    ("filters", '{"other_communities_weight": NaN}', 400, None),
    ("filters", '{"other_communities_weight": Infinity}', 400, None),
    ("filters", '{"other_communities_weight": -0.5}', 422, "other_communities_weight"),
    ("annotate", json.dumps({"platform": "mturk", "tasks": [a_task(reward_cents=-1)]}), 422, "tasks[0].reward_cents"),
    ("annotate", json.dumps({"platform": "mturk", "tasks": [a_task(reward_cents=10**30)]}), 422, "tasks[0].reward_cents"),
    ("annotate", json.dumps({"platform": "mturk", "filters": {"min_reward_cents": -3}, "tasks": [a_task()]}), 422,
     "filters.min_reward_cents"),
]


@pytest.mark.parametrize(("route", "body", "status", "field"), ABSURD,
                         ids=[f"{route}-{n}" for n, (route, *_rest) in enumerate(ABSURD)])
def test_absurd_numbers_and_times_are_refused(writer, route, body, status, field):
    before = writer.db.dump()
    refused = assert_refused(writer.send(route, body.encode()), status, field=field)
    assert refused["code"] in ({"invalid_field"} if status == 422 else {"invalid_json", "bad_request"}), refused
    assert writer.db.dump() == before


@pytest.mark.parametrize(("route", "body"), [
    ("review", REVIEW_WITH_NAN.replace("NaN", "1e400")), ("edit", '{"minutes_worked": -1e400}'),
    ("filters", '{"other_communities_weight": 1e999}')])
def test_a_number_that_overflows_is_invalid_json_with_a_clear_message(writer, route, body):
    before = writer.db.dump()
    refused = assert_refused(writer.send(route, body.encode()), 400, "invalid_json")
    assert "number" in refused["message"].lower() and "$[" not in refused["message"], refused  # words, not a path
    assert writer.db.dump() == before


@pytest.mark.parametrize("expires_at", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"])
def test_far_out_rule_expiries_are_kept_and_harmless(writer, expires_at):
    api, alice = writer.api, writer.alice
    rules = {"block": [{"pattern": "AREQ2", "expires_at": expires_at}]}
    saved = api.put("/api/v1/me/filters", headers=alice, json=rules)
    assert saved.status_code == 200 and saved.json()["block"][0]["expires_at"] == expires_at
    annotated = api.post("/api/v1/annotate", headers=alice, json={"platform": "mturk", "tasks": [a_task()]})
    assert annotated.status_code == 200
    # Year 9999 never expires, year 1 expired long ago.
    assert annotated.json()["tasks"][0]["verdict"]["hidden"] is expires_at.startswith("9999")


# ------------------------------------------------------------------------------------------------
# Duplicate keys: the last one counts, and it is the one validated and stored


def test_duplicate_keys_the_last_one_is_validated_and_stored(writer):
    api, alice = writer.api, writer.alice
    before = writer.db.dump()
    refused = api.post("/api/v1/reviews", headers={**JSON, **alice},
                       content=b'{"platform": "mturk", "requester_id": "ADUP", "bonus_cents": 5, "bonus_cents": -5}')
    assert_refused(refused, 422, "invalid_field", "bonus_cents")
    assert writer.db.dump() == before
    created = api.post("/api/v1/reviews", headers={**JSON, **alice}, content=(
        b'{"platform": "mturk", "requester_id": "ADUP", "comment": "first", "bonus_cents": -5, '
        b'"comment": "second", "bonus_cents": 5}'))
    assert created.status_code == 201, created.text
    stored = api.get(f"/api/v1/reviews/{created.json()['id']}").json()
    assert (created.json()["comment"], created.json()["bonus_cents"]) == ("second", 5)
    assert (stored["comment"], stored["bonus_cents"]) == ("second", 5)


# ------------------------------------------------------------------------------------------------
# The transport: bodies that lie about their size, against a real server process


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, str], Db]]:
    server = LiveServer(tmp_path_factory.mktemp("hostile") / "var",
                        env={"FAIRFINDER_RATE_LIMITS": "off", "FAIRFINDER_SCHEDULER": "off"})
    server.data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    server.start()
    token = httpx.post(f"{server.url}/api/v1/workers", json={"handle": "raw-sender"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{server.url}/api/v1/me", headers=headers).status_code == 200
    yield server, headers, Db(server.database_url)
    server.stop()


def exchange(server: LiveServer, head: bytes, body: bytes = b"", *, half_close: bool = False) -> bytes:
    """Send raw bytes; everything the server answers until it closes the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        try:
            connection.sendall(head + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading everything; its answer is still readable
        if half_close:
            connection.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    return answer


def post_head(headers: dict[str, str], *, length: int | None = None, chunked: bool = False) -> bytes:
    lines = ["POST /api/v1/reviews HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             "Connection: close", *(f"{name}: {value}" for name, value in headers.items())]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def status_and_body(answer: bytes) -> tuple[int, dict[str, Any]]:
    head, _, rest = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), len(rest))
    return status, json.loads(rest[:length])


TWO_MIB_REVIEW = json.dumps(a_review(comment="x" * (2 * 1024 * 1024))).encode()


def test_a_claimed_length_over_the_limit_is_413_before_the_body_is_read(live):
    server, headers, db = live
    before = db.dump()
    answer = exchange(server, post_head(headers, length=50 * 1024 * 1024), b'{"platform": "mturk"', half_close=True)
    status, body = status_and_body(answer)
    assert (status, body["code"]) == (413, "payload_too_large")
    assert db.dump() == before


def test_a_body_longer_than_its_claimed_length_is_cut_there(live):
    server, headers, db = live
    before = db.dump()
    answer = exchange(server, post_head(headers, length=40), TWO_MIB_REVIEW)
    status, body = status_and_body(answer)
    assert (status, body["code"]) == (400, "invalid_json")  # the first 40 bytes, which are not JSON on their own
    assert db.dump() == before
    assert httpx.get(f"{server.url}/health").status_code == 200


def test_a_chunked_body_over_the_limit_is_413(live):
    server, headers, db = live
    before = db.dump()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(TWO_MIB_REVIEW[i:i + 65536]), TWO_MIB_REVIEW[i:i + 65536])
                      for i in range(0, len(TWO_MIB_REVIEW), 65536)) + b"0\r\n\r\n"
    status, body = status_and_body(exchange(server, post_head(headers, chunked=True), chunks))
    assert (status, body["code"]) == (413, "payload_too_large")
    assert db.dump() == before


def test_a_small_chunked_body_is_read_like_any_other(live):
    server, headers, db = live
    review = json.dumps(a_review(requester_id="ACHUNKED")).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(review[i:i + 7]), review[i:i + 7]) for i in range(0, len(review), 7))
    status, body = status_and_body(exchange(server, post_head(headers, chunked=True), chunks + b"0\r\n\r\n"))
    assert status == 201 and body["requester_id"] == "ACHUNKED"
    assert db.rows("SELECT count(*) FROM requesters WHERE external_id = 'ACHUNKED'") == [(1,)]


def test_both_a_length_and_chunked_is_refused(live):
    """Content-Length with Transfer-Encoding is how requests are smuggled past proxies: refused outright."""
    server, headers, db = live
    before = db.dump()
    review = json.dumps(a_review(requester_id="ASMUGGLED")).encode()
    answer = exchange(server, post_head(headers, length=len(review), chunked=True),
                      b"%x\r\n%s\r\n0\r\n\r\n" % (len(review), review))
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert db.dump() == before
