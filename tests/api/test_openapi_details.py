"""Details of the OpenAPI document that Litestar would get wrong on its own: bounds of 0, optional bodies,
the characters text fields accept, the ratings dump's cursor."""
from __future__ import annotations

import gzip
import json
import re
from typing import Any

import pytest

from server.domain.text import NO_CONTROL, NO_NUL, NOT_BLANK_NO_NUL
from tests.conftest import register


@pytest.fixture
def document(client) -> dict[str, Any]:
    return client.get("/schema/openapi.json").json()


def schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    return document["components"]["schemas"][name]


@pytest.mark.parametrize("struct", ["ReviewIn", "ReviewPatch"])
def test_zero_bounds_of_nullable_numbers_are_documented(document, struct):
    properties = schema(document, struct)["properties"]
    assert properties["minutes_worked"]["exclusiveMinimum"] == 0 and "minimum" not in properties["minutes_worked"]
    assert properties["approval_seconds"]["minimum"] == 0
    assert properties["bonus_cents"]["minimum"] == 0


def test_minutes_worked_of_zero_is_refused_as_documented(client):
    headers = register(client, "zero")
    body = {"platform": "mturk", "requester_id": "A1", "minutes_worked": 0}
    refused = client.post("/api/v1/reviews", headers=headers, json=body)
    assert refused.status_code == 422 and refused.json()["field"] == "minutes_worked"
    assert client.post("/api/v1/reviews", headers=headers, json={**body, "minutes_worked": 0.01}).status_code == 201


def test_text_fields_document_the_characters_they_accept(document):
    review, task = schema(document, "ReviewIn")["properties"], schema(document, "TaskRef")["properties"]
    assert review["comment"]["pattern"] == NO_CONTROL
    assert review["requester_id"]["pattern"] == NOT_BLANK_NO_NUL and task["title"]["pattern"] == NOT_BLANK_NO_NUL
    assert review["requester_name"]["pattern"] == NO_NUL and task["hit_set_id"]["pattern"] == NO_NUL
    assert schema(document, "ReviewPatch")["properties"]["comment"]["pattern"] == NO_CONTROL
    for name, field in (("FlagIn", "note"), ("DecisionIn", "note"), ("MuteIn", "reason"), ("TokenIn", "label"),
                        ("RegisterIn", "token_label")):
        assert schema(document, name)["properties"][field]["pattern"] == NO_CONTROL, name
    assert schema(document, "PlatformIdIn")["properties"]["worker_id"]["pattern"] == NO_NUL
    # ECMA-262 (what OpenAPI clients use) reads them as Python does.
    for pattern in (NO_CONTROL, NO_NUL, NOT_BLANK_NO_NUL):
        assert re.fullmatch(r"[\^\[\]\\xA-F0-9sS*$-]+", pattern), pattern


def test_a_token_body_is_documented_optional_with_its_size_errors(client, document):
    operation = document["paths"]["/api/v1/me/tokens"]["post"]
    assert operation["requestBody"]["required"] is False
    assert {"413", "415"} <= set(operation["responses"])
    headers = register(client, "tokens")
    assert client.post("/api/v1/me/tokens", headers=headers).status_code == 201


def test_the_dump_cursor_is_documented_as_the_date_time_it_is(client, document):
    (since,) = [p for p in document["paths"]["/api/v1/export/ratings"]["get"]["parameters"] if p["name"] == "since"]
    assert since["schema"]["format"] == "date-time" and since["required"] is False
    assert "next_since" in since["description"] and "opaque" in since["description"]
    # What the description promises: the next_since of a dump is accepted back, a non-date is a 400.
    dump = client.get("/api/v1/export/ratings")
    assert dump.status_code == 200
    meta = json.loads(gzip.decompress(dump.content).splitlines()[0])
    assert client.get("/api/v1/export/ratings", params={"since": meta["next_since"]}).status_code == 200
    refused = client.get("/api/v1/export/ratings", params={"since": "yesterday"})
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_parameter"
