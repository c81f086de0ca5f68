"""Errors in words (issue 19 item 2): every problem of a body or query at once, one code per kind of problem, the
allowed values of a choice, the limit of a size, what a pattern allows; 413 states the limit."""
from __future__ import annotations

import msgspec
import msgspec.inspect as mi
import pytest

from server.domain.problems import problems_of
from server.domain.text import PATTERN_WORDS
from server.workers.schemas import RegisterIn
from tests.api.conftest import a_review, assert_error, sign_up


def test_a_body_with_three_problems_lists_all_three(client) -> None:
    body = assert_error(client.post("/api/v1/workers", json={"handle": "a b", "token_label": 5, "zzz": 1}),
                        422, "invalid_field", "handle")
    assert body["errors"] == [
        {"field": "handle", "code": "not_matching",
         "message": "handle: may hold only letters, digits and the signs '_', '.' and '-' (no spaces)"},
        {"field": "token_label", "code": "wrong_type", "message": "token_label: must be text, not a number"},
        {"field": "zzz", "code": "unknown_field",
         "message": "zzz: is not a field here (the fields are: handle, platform_ids, token_label)"},
    ]
    # older clients read field and message: the first problem, and a pointer to the others
    assert body["message"] == ("handle: may hold only letters, digits and the signs '_', '.' and '-' (no spaces) "
                               "(and 2 more problems: see `errors`)")


def test_a_choice_names_the_allowed_values(client) -> None:
    headers = sign_up(client, "chooser")
    body = assert_error(client.post("/api/v1/reviews", headers=headers,
                                    json=a_review(outcome="i dont like it", ratings={"pay": 9})),
                        422, "invalid_field")
    by_field = {e["field"]: e for e in body["errors"]}
    assert by_field["outcome"]["code"] == "not_allowed"
    assert by_field["outcome"]["message"] == ("outcome: must be one of 'approved', 'blocked', 'pending', 'rejected' or "
                                              "'returned'; 'i dont like it' is not")
    assert by_field["ratings.pay"] == {"field": "ratings.pay", "code": "too_large",
                                       "message": "ratings.pay: must be at most 5; it is 9"}


def test_nested_lists_name_each_item(client) -> None:
    body = assert_error(client.post("/api/v1/workers", json={"platform_ids": [{"platform": "mturk"}, {"worker_id": 3}]}),
                        422, "invalid_field", "platform_ids[0].worker_id")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("platform_ids[0].worker_id", "required"), ("platform_ids[1].platform", "required"),
        ("platform_ids[1].worker_id", "wrong_type")]


def test_bad_query_parameters_are_400_and_listed_together(client) -> None:
    body = assert_error(client.get("/api/v1/reviews", params={"platform": "m", "requester": "A1", "limit": "abc"}),
                        400, "invalid_parameter")
    assert {e["field"]: e["code"] for e in body["errors"]} == {"platform": "too_short", "limit": "wrong_type"}
    assert "must be a whole number" in {e["field"]: e["message"] for e in body["errors"]}["limit"]


def test_a_missing_parameter_says_it_is_required(client) -> None:
    body = assert_error(client.get("/api/v1/reviews", params={"platform": "mturk"}), 400, "invalid_parameter",
                        "requester")
    assert body["errors"] == [{"field": "requester", "code": "required",
                               "message": "requester: this query parameter is required"}]


def test_413_states_the_limit(client) -> None:
    limit = client.app.state.settings.max_body_bytes
    response = client.post("/api/v1/annotate", content=b'{"platform": "mturk", "tasks": []' + b" " * limit + b"}",
                           headers={"content-type": "application/json"})
    body = assert_error(response, 413, "payload_too_large")
    assert f"at most {limit:,} bytes" in body["message"]


def test_errors_are_documented_in_openapi(client) -> None:
    schema = client.get("/schema/openapi.json").json()["components"]["schemas"]
    assert set(schema["ErrorBody"]["properties"]) == {"status", "code", "message", "field", "errors"}
    assert set(schema["FieldProblem"]["required"]) == {"field", "code", "message"}


def _patterns(info: object, found: set[str]) -> None:
    if isinstance(info, mi.Metadata):
        _patterns(info.type, found)
    elif isinstance(info, mi.StrType) and info.pattern:
        found.add(info.pattern)
    elif isinstance(info, mi.StructType):
        for field in info.fields:
            _patterns(field.type, found)
    elif isinstance(info, (mi.ListType, mi.UnionType, mi.DictType)):
        for part in (getattr(info, "types", None) or [getattr(info, "item_type", None), getattr(info, "value_type", None)]):
            if part is not None:
                _patterns(part, found)


def test_every_pattern_of_a_request_body_has_words(client) -> None:
    """A pattern without words would show its regex to people: every body the API reads has words for each."""
    found: set[str] = set()
    for route in client.app.routes:
        for handler in getattr(route, "route_handlers", []):
            parameter = handler.parsed_fn_signature.parameters.get("data")
            if parameter is not None:
                try:
                    _patterns(mi.type_info(parameter.annotation), found)
                except (TypeError, ValueError):
                    continue
    assert found, "the walk found the request bodies' patterns"
    assert found <= set(PATTERN_WORDS), found - set(PATTERN_WORDS)


@pytest.mark.parametrize("value", [
    {"handle": "ok_name"}, {"handle": None, "platform_ids": []}, {},
])
def test_a_good_body_has_no_problems(value) -> None:
    assert problems_of(RegisterIn, value) == []
    msgspec.convert(value, RegisterIn)  # msgspec agrees
