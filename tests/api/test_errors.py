"""The one error shape, service routes, and a fuzz test: no input makes the server answer 5xx."""
from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from server.app import create_app
from server.settings import Settings
from tests.api.conftest import a_review, a_task, a_timing, assert_error, check_response, sign_up
from tests.conftest import TEST_SECRET
from tests import database

JSON = {"content-type": "application/json"}


# ------------------------------------------------------------------------------------------------
# Service routes


def test_index_and_health(client):
    assert client.get("/health").json()["status"] == "ok"
    index = client.get("/").json()
    assert index["service"] == "Fairfinder"
    assert index["annotate"] == "POST /api/v1/annotate"


def test_openapi_schema_lists_the_api(client):
    schema = client.get("/schema/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/api/v1/workers", "/api/v1/me/filters", "/api/v1/reviews", "/api/v1/reviews/{review_id}",
                 "/api/v1/timings", "/api/v1/me/timings", "/api/v1/requesters", "/api/v1/annotate"):
        assert path in paths


# ------------------------------------------------------------------------------------------------
# Framework errors in the one shape


@pytest.mark.parametrize("path", ["/nope", "/api/v1/nope", "/api/v2/annotate", "/api/v1/reviews/1/nope",
                                  "/api/v1/requesters/mturk"])
def test_unknown_route(client, path):
    body = assert_error(client.get(path), 404, "not_found")
    assert set(body) == {"status", "code", "message"}
    assert_error(client.post(path, json={}), 404, "not_found")


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/annotate"),
    ("GET", "/api/v1/timings"),
    ("DELETE", "/api/v1/workers"),
    ("PUT", "/api/v1/reviews"),
    ("POST", "/api/v1/requesters/mturk/A1"),
    ("PATCH", "/api/v1/me/filters"),
    ("POST", "/health"),
])
def test_wrong_method(client, method, path):
    response = client.request(method, path)
    body = assert_error(response, 405, "method_not_allowed")
    assert set(body) == {"status", "code", "message"}


INVALID_JSON = [b"{'platform': 'mturk'}", b'{"platform": mturk}', b"[1, 2,]", b"\xff\xfe\x00", b'{"a": 1} trailing']


@pytest.mark.parametrize("content", INVALID_JSON)
@pytest.mark.parametrize(("method", "path", "needs_token"), [
    ("POST", "/api/v1/workers", False),
    ("POST", "/api/v1/reviews", True),
    ("POST", "/api/v1/timings", True),
    ("POST", "/api/v1/annotate", False),
    ("PUT", "/api/v1/me/filters", True),
])
def test_invalid_json(client, db, alice, method, path, needs_token, content):
    before = db.dump()
    response = client.request(method, path, content=content, headers={**JSON, **(alice if needs_token else {})})
    assert_error(response, 400, "invalid_json")
    assert db.dump() == before


@pytest.mark.parametrize("content", [b"{", b"nul", b'{"platform": "mturk"'])
def test_truncated_json_is_a_400(client, content):
    assert_error(client.post("/api/v1/annotate", content=content, headers=JSON), 400)


def test_truncated_json_is_invalid_json(client):
    assert_error(client.post("/api/v1/annotate", content=b'{"platform": "mturk"', headers=JSON), 400, "invalid_json")


@pytest.mark.parametrize(("method", "path", "needs_token"), [
    ("POST", "/api/v1/workers", False),
    ("POST", "/api/v1/me/tokens", True),
    ("POST", "/api/v1/reviews", True),
    ("PATCH", "/api/v1/reviews/1", True),
    ("POST", "/api/v1/timings", True),
    ("POST", "/api/v1/annotate", False),
    ("PUT", "/api/v1/me/filters", True),
])
@pytest.mark.parametrize("where", ["top", "unknown_key", "raw"])
def test_deeply_nested_json_is_a_client_error(client, db, alice, method, path, needs_token, where):
    deep = b"[" * 20_000 + b"]" * 20_000
    content = {"top": deep, "unknown_key": b'{"zzz": ' + deep + b"}",
               "raw": b'{"platform": "mturk", "raw": ' + deep + b"}"}[where]
    before = db.dump()
    response = client.request(method, path, content=content, headers={**JSON, **(alice if needs_token else {})})
    assert 400 <= response.status_code < 500
    assert db.dump() == before


def test_form_body_is_refused(client, alice, db):
    before = db.dump()
    response = client.post("/api/v1/reviews", headers=alice, data={"platform": "mturk", "requester_id": "A1"})
    assert 400 <= response.status_code < 500
    assert db.dump() == before


@pytest.mark.parametrize(("body", "field"), [
    ({"platform": "mturk"}, "requester_id"),
    ({**a_review(), "stars": 5}, "stars"),
    ({**a_review(), "task": {"title": "T"}}, "task.reward_cents"),
])
def test_field_names_missing_and_unknown_fields(client, alice, body, field):
    assert_error(client.post("/api/v1/reviews", headers=alice, json=body), 422, "invalid_field", field)


def test_missing_body_message_is_readable(client):
    body = assert_error(client.post("/api/v1/workers", content=b"", headers=JSON), 400, "missing_body")
    assert body["message"] != "'data'"
    assert "body" in body["message"].lower()


def test_errors_never_leak_internals(client, alice):
    """A battery of hostile requests; the response hook checks status < 500 and no traceback on each."""
    requests = [
        ("GET", "/api/v1/reviews/99999999999999999999", None),
        ("GET", "/api/v1/reviews?platform=mturk&requester=A&cursor=cjk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", None),
        ("GET", "/api/v1/requesters/mturk/%00", None),
        ("GET", "/api/v1/requesters/" + "m" * 5000 + "/A1", None),
        ("GET", "/api/v1/requesters?platform=mturk&ids=" + "%00," * 50, None),
        ("POST", "/api/v1/reviews", {**a_review(), "requester_id": "A\u0000B", "comment": "\u0000"}),
        ("POST", "/api/v1/reviews", {**a_review(), "task": {"title": "\u202e\ufeff", "reward_cents": 0}}),
        ("POST", "/api/v1/timings", {**a_timing(), "accepted_at": 10**20}),
        ("POST", "/api/v1/timings", {**a_timing(), "accepted_at": -(10**12)}),
        ("POST", "/api/v1/annotate", {"platform": "mturk", "tasks": [a_task(time_allotted_seconds=10**30)]}),
        ("POST", "/api/v1/annotate", {"platform": "mturk", "tasks": [a_task(available=-1)]}),
        ("PUT", "/api/v1/me/filters", {"block": [{"pattern": "A1", "expires_at": "0001-01-01T00:00:00+14:00"}]}),
        ("PUT", "/api/v1/me/filters", {"max_minutes": 10**30}),
    ]
    for method, path, body in requests:
        response = client.request(method, path, json=body, headers=alice)
        assert response.status_code < 500
        assert "sqlalchemy" not in response.text.lower() and "sqlite" not in response.text.lower()
    # the far-out expiry saved above must not break annotate either
    assert client.post("/api/v1/annotate", json={"platform": "mturk", "tasks": [a_task()]},
                       headers=alice).status_code == 200


def test_a_lone_surrogate_is_a_client_error(client, alice, db):
    before = db.dump()
    for path in ("/api/v1/reviews", "/api/v1/annotate", "/api/v1/timings"):
        content = b'{"platform": "mturk", "requester_id": "\\ud800", "tasks": [{"platform": "mturk", ' \
                  b'"requester_id": "\\udfff", "title": "t", "reward_cents": 1}]}'
        response = client.post(path, content=content, headers={**JSON, **alice})
        assert 400 <= response.status_code < 500, response.text
    assert db.dump() == before


# ------------------------------------------------------------------------------------------------
# Fuzzing: arbitrary JSON-ish bodies never give a 5xx.
#
# One app and one database for the whole module (creating an app per example would be slow): built
# on first use by `shared_client`, closed by the module fixture.

_SHARED: dict[str, Any] = {}


def shared_client(backend: database.Backend) -> tuple[TestClient, dict[str, str]]:
    if "client" not in _SHARED:
        folder = Path(tempfile.mkdtemp(prefix="fairfinder-fuzz-"))
        url = backend.new_database(folder)
        settings = Settings(database_url=url, secret=TEST_SECRET, data_dir=folder)
        client = TestClient(app=create_app(settings), raise_server_exceptions=False)
        client.__enter__()
        client.event_hooks["response"].append(check_response)
        _SHARED.update(client=client, folder=folder, headers=sign_up(client, "fuzzer"))
    return _SHARED["client"], _SHARED["headers"]


@pytest.fixture(scope="module")
def fuzz(database_backend: database.Backend) -> Iterator[tuple[TestClient, dict[str, str]]]:
    yield shared_client(database_backend)
    client = _SHARED.pop("client")
    client.__exit__(None, None, None)
    database_backend.drop(client.app.state.settings.database_url)
    shutil.rmtree(_SHARED.pop("folder"), ignore_errors=True)
    _SHARED.clear()


ODD_STRINGS = st.sampled_from([
    "", " ", "0", "-1", "1e400", "NaN", "null", "true", "9" * 40, "mturk", "prolific", "USD", "approved", "blocked",
    "2026-01-10T10:00:00Z", "2026-01-10T10:00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
    "\u0000", "\ud800", "\u202e", "*", "?*", "<script>alert(1)</script>", "x" * 600,
])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20), ODD_STRINGS,
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=8) | ODD_STRINGS, inner, max_size=4), max_leaves=12)

VALID = {
    "POST /api/v1/reviews": a_review(),
    "POST /api/v1/timings": a_timing(),
    "POST /api/v1/annotate": {"platform": "mturk", "tasks": [a_task(), a_task(requester_id="A2", stated_seconds=60)],
                              "filters": {"block": [{"pattern": "A2"}], "min_hourly_cents": 100}},
    "PUT /api/v1/me/filters": {"target_cents_per_hour": 900, "block": [{"pattern": "AB*", "match": "wildcard"}],
                               "keywords_include": ["survey"], "hide_needs": ["needs_sight"]},
}


@st.composite
def _mutations(draw: st.DrawFn, valid: dict[str, Any]) -> Any:
    """A valid body with some keys (nested ones too) replaced, removed or added."""

    def mutate(body: Any, depth: int = 0) -> Any:
        if isinstance(body, dict):
            out = dict(body)
            for key in list(out):
                choice = draw(st.integers(0, 19))
                if choice == 0:
                    out[key] = draw(VALUES)
                elif choice == 1:
                    del out[key]
                elif choice <= 4 and depth < 3:
                    out[key] = mutate(out[key], depth + 1)
            if draw(st.integers(0, 3)) == 0:
                out[draw(st.text(max_size=8) | ODD_STRINGS)] = draw(VALUES)
            return out
        if isinstance(body, list):
            return [mutate(item, depth + 1) for item in body] + draw(st.lists(VALUES, max_size=2))
        return draw(VALUES) if draw(st.integers(0, 2)) == 0 else body

    return mutate(valid)


def _bodies(valid: dict[str, Any]) -> st.SearchStrategy[bytes]:
    as_json = st.one_of(VALUES, _mutations(valid), _mutations(valid)).map(
        lambda value: json.dumps(value, ensure_ascii=True).encode())
    return st.one_of(as_json, as_json, as_json, st.binary(max_size=40))


@pytest.mark.database
@pytest.mark.parametrize("route", list(VALID))
def test_fuzz_bodies_never_give_5xx(fuzz, route):
    client, headers = fuzz
    method, path = route.split(" ")

    # Auth failures are covered elsewhere; only annotate also takes anonymous callers.
    @hypothesis_settings(max_examples=50, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(body=_bodies(VALID[route]), signed_in=st.booleans() if route == "POST /api/v1/annotate" else st.just(True))
    def post(body: bytes, signed_in: bool) -> None:
        response = client.request(method, path, content=body, headers={**JSON, **(headers if signed_in else {})})
        assert response.status_code < 500, (body, response.text)  # check_response also looks for tracebacks

    post()


@pytest.mark.sqlite_only  # SQLite's single write lock; PostgreSQL locks rows
def test_a_write_blocked_by_another_process_is_a_503_that_changes_nothing(settings, db):
    """Another process holds SQLite's write lock past the busy timeout: a clear 503 with Retry-After."""
    import sqlite3  # noqa: PLC0415

    import msgspec  # noqa: PLC0415
    from litestar.testing import TestClient  # noqa: PLC0415

    from server.app import create_app  # noqa: PLC0415

    impatient = msgspec.structs.replace(settings, sqlite_busy_timeout_ms=100)
    with TestClient(app=create_app(impatient)) as client:
        headers = sign_up(client, "patient")
        before = db.dump()
        other_process = sqlite3.connect(impatient.sqlite_path(), isolation_level=None)
        other_process.execute("BEGIN IMMEDIATE")
        try:
            response = client.post("/api/v1/reviews", headers=headers, json=a_review())
        finally:
            other_process.execute("ROLLBACK")
            other_process.close()
        assert_error(response, 503, "busy")
        assert response.headers["retry-after"] == "1"
        assert db.dump() == before
        assert client.post("/api/v1/reviews", headers=headers, json=a_review()).status_code == 201
