"""Annotate decodes its body straight into AnnotateIn (server/tasks/parsing.py) instead of through Litestar's
typed conversion. Every bad body must still be answered exactly as Litestar's typed route answers it: the
benchmark's typed baseline takes `data: AnnotateIn` the ordinary way, so the two are compared byte for byte."""
from __future__ import annotations

import json
from collections.abc import Iterator

import msgspec
import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.settings import Settings
from server.tasks.schemas import AnnotateIn
from tests.api.conftest import a_task

TYPED = "/api/v1/_bench/baseline-typed"
ANNOTATE = "/api/v1/annotate"


@pytest.fixture
def both(settings: Settings) -> Iterator[TestClient]:
    with TestClient(app=create_app(msgspec.structs.replace(settings, enable_bench_routes=True)),
                    raise_server_exceptions=False) as client:
        yield client


def page(**changes: object) -> dict[str, object]:
    return {"platform": "mturk", "tasks": [a_task()], **changes}


BAD_BODIES: list[tuple[str, bytes]] = [
    ("unknown field", json.dumps(page(not_a_field=1)).encode()),
    ("platform not a name", json.dumps(page(platform="Not a platform!")).encode()),
    ("no platform", json.dumps({"tasks": [a_task()]}).encode()),
    ("reward as words", json.dumps(page(tasks=[a_task(reward_cents="lots")])).encode()),
    ("negative reward", json.dumps(page(tasks=[a_task(reward_cents=-1)])).encode()),
    ("title missing in the 3rd task", json.dumps(page(tasks=[a_task(), a_task(), {"platform": "mturk",
                                                                                 "requester_id": "A1",
                                                                                 "reward_cents": 5}])).encode()),
    ("lower-case currency", json.dumps(page(tasks=[a_task(currency="usd")])).encode()),
    ("101 tasks", json.dumps(page(tasks=[a_task(title=f"T{i}") for i in range(101)])).encode()),
    ("101 tasks without their platform", json.dumps(page(tasks=[{"requester_id": "A1", "title": "Tag",
                                                                 "reward_cents": 10}] * 101)).encode()),
    ("a NUL in a title", json.dumps(page(tasks=[a_task(title="a\u0000b")])).encode()),
    ("tasks not a list", json.dumps(page(tasks={"a": 1})).encode()),
    ("bad filters", json.dumps(page(filters={"min_hourly": 900})).encode()),
    ("a list, not an object", b"[1, 2]"),
    ("null", b"null"),
    ("a string", b'"hello"'),
    ("malformed JSON", b'{"platform": "mturk", "tasks": ['),
    ("a bad field before malformed JSON", b'{"platform": 5, "tasks": [}'),
    ("trailing garbage", json.dumps(page()).encode() + b" x"),
    ("a number too large", b'{"platform": "mturk", "tasks": [{"platform": "mturk", "requester_id": "A", '
                           b'"title": "t", "reward_cents": 1e400}]}'),
    ("not UTF-8", b'{"platform": "mturk", "tasks": [{"platform": "mturk", "requester_id": "A", "title": "\xff\xfe", '
                  b'"reward_cents": 1}]}'),
    ("nested too deeply", b'{"platform": "mturk", "raw": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
    ("empty body", b""),
]


@pytest.mark.parametrize("name,body", BAD_BODIES, ids=[name for name, _ in BAD_BODIES])
def test_a_bad_body_is_answered_as_the_typed_route_answers_it(both: TestClient, name: str, body: bytes) -> None:
    answers = [both.post(path, content=body, headers={"Content-Type": "application/json"}) for path in (ANNOTATE, TYPED)]
    mine, typed = answers
    assert 400 <= mine.status_code < 500, mine.text
    assert (mine.status_code, mine.json()) == (typed.status_code, typed.json())


def test_lax_numbers_are_read_as_the_typed_route_reads_them(both: TestClient) -> None:
    """Litestar converts leniently (strict=False): a reward given as the string "100" is read as 100 by both."""
    body = json.dumps(page(tasks=[a_task(reward_cents="100")])).encode()
    typed = both.post(TYPED, content=body, headers={"Content-Type": "application/json"})
    mine = both.post(ANNOTATE, content=body, headers={"Content-Type": "application/json"})
    assert typed.status_code == mine.status_code == 200
    assert mine.json()["tasks"][0]["reward_cents"] == 100


def test_the_body_is_decoded_once_into_the_declared_type() -> None:
    from server.tasks.parsing import decode_annotate  # noqa: PLC0415

    decoded = decode_annotate(json.dumps(page()).encode(), "POST", ANNOTATE)
    assert isinstance(decoded, AnnotateIn) and decoded.tasks is not None and decoded.tasks[0].title == "Survey about shopping"
