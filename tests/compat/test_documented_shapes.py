"""The OpenAPI document describes what the Turkopticon-compatible routes answer: every status they answer is
listed, with a schema the body really has (decoded strictly: no key missing or left undescribed), and the
query parameters they read are named."""
from __future__ import annotations

from typing import Any

import msgspec
import pytest

from server.compat import mapping
from server.compat.mapping import ReviewFacts
from tests.compat.conftest import fixture, post_review

TO2_SCHEMAS = {"To2Index": mapping.To2Index, "To2Show": mapping.To2Show, "To2Errors": mapping.To2Errors}


@pytest.fixture
def document(client) -> dict[str, Any]:
    return client.get("/schema/openapi.json").json()


def documented_struct(document: dict[str, Any], path: str, response) -> type[msgspec.Struct] | None:
    """The struct the document gives for this answer's status and content type (None: not JSON we describe)."""
    responses = document["paths"][path]["get"]["responses"]
    assert str(response.status_code) in responses, (path, response.status_code, response.text)
    content = responses[str(response.status_code)]["content"]
    media_type = response.headers["content-type"]
    if media_type not in content:  # "text/html" documents "text/html; charset=utf-8" too, as OpenAPI reads it
        media_type = next((key for key in content if key == media_type.split(";")[0]), media_type)
    assert media_type in content, (path, response.status_code, media_type, list(content))
    ref = content[media_type]["schema"].get("$ref", "")
    return TO2_SCHEMAS.get(ref.rsplit("/", 1)[-1])


def test_the_reconstructed_turkopticon_documents_fit_the_structs():
    msgspec.convert(fixture("to2_requesters_index.reconstructed.json"), mapping.To2Index)
    msgspec.convert(fixture("to2_requesters_show.reconstructed.json"), mapping.To2Show)
    errors = [error for error in fixture("to2_errors.reconstructed.json").values()
              if isinstance(error, dict) and "errors" in error]
    assert len(errors) >= 5
    for error in errors:
        msgspec.convert(error, mapping.To2Errors)


def test_every_to2_answer_is_documented_with_its_real_shape(client, sql, document):
    post_review(client, "AREQ1", ratings={"pay": 4, "communication": 5}, worked_seconds=600, outcome="approved",
                approval_seconds=3600, flags=["broken"])
    post_review(client, "AREQ2", name="Other Lab", task=None, ratings={"pay": 1})
    sql.imported_review("AREQ1", ReviewFacts(communication=2, pay=3, worked_seconds=300, reward_cents=40))
    calls = [
        ("/requesters", "/requesters", {"rids": "AREQ1,ANONE,AREQ2"}, {}, 200),
        ("/requesters", "/requesters", {"rids": "AREQ2", "fields[requesters]": "aliases,rid"}, {}, 200),
        ("/requesters", "/requesters", {"rids": "ANONE"}, {}, 200),
        ("/requesters", "/requesters", {}, {}, 400),
        ("/requesters", "/requesters", {"rids": ",".join(f"A{i}" for i in range(101))}, {}, 400),
        ("/requesters", "/requesters", {"rids": "AREQ1", "fields[reviews]": "x"}, {}, 400),
        ("/requesters", "/requesters", {"rids": "AREQ1"}, {"Accept": "application/vnd.turkopticon.v9+json"}, 404),
        ("/requesters", "/requesters", {"rids": "AREQ1"}, {"Accept": "text/html"}, 415),
        ("/requesters/{rid}", "/requesters/AREQ1", {}, {}, 200),
        ("/requesters/{rid}", "/requesters/AREQ1", {"fields[requesters]": "name,aggregates"}, {}, 200),
        ("/requesters/{rid}", "/requesters/ANONE", {}, {}, 404),
        ("/requesters/{rid}", "/requesters/AREQ1", {"fields": "rid"}, {}, 400),
        ("/requesters/{rid}", "/requesters/AREQ1", {}, {"Accept": "text/plain"}, 404),
    ]
    for path, url, params, headers, status in calls:
        response = client.get(url, params=params, headers=headers)
        assert response.status_code == status, (url, params, response.text)
        struct = documented_struct(document, path, response)
        assert struct is not None, (url, status)
        msgspec.json.decode(response.content, type=struct)  # strict: forbid_unknown_fields


def test_multi_attrs_answers_are_documented(client, document):
    post_review(client, "AREQ1", ratings={"pay": 4})
    for params in ({"ids": "AREQ1,ANONE"}, {}, {"ids": "not valid!"}):
        response = client.get("/api/multi-attrs.php", params=params)
        assert response.status_code == 200
        assert documented_struct(document, "/api/multi-attrs.php", response) is None  # text/html, a string


def test_the_parameters_read_are_documented(document):
    def parameters(path: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in document["paths"][path]["get"].get("parameters", [])}

    assert parameters("/api/multi-attrs.php").keys() == {"ids"}
    assert parameters("/api/multi-attrs.php")["ids"]["required"] is False  # a usage sentence without it
    index = parameters("/requesters")
    assert index.keys() == {"rids", "fields[requesters]"}
    assert index["rids"]["required"] is True and index["rids"]["schema"]["minLength"] == 1
    assert index["fields[requesters]"]["required"] is False and index["fields[requesters]"]["in"] == "query"
    assert parameters("/requesters/{rid}").keys() == {"rid", "fields[requesters]"}


def test_the_front_layers_refusals_are_documented_in_fairfinders_shape(document):
    for path in ("/api/multi-attrs.php", "/requesters", "/requesters/{rid}"):
        responses = document["paths"][path]["get"]["responses"]
        for status in ("414", "429", "431"):
            assert responses[status]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody"), path
        turkopticon_errors = {code for code, spec in responses.items()
                              if "application/json; charset=utf-8" in spec.get("content", {}) and code != "200"}
        assert turkopticon_errors == {"/api/multi-attrs.php": set(), "/requesters": {"400", "404", "415"},
                                      "/requesters/{rid}": {"400", "404"}}[path]
