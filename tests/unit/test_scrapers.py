"""Platform task-list parsers: scrapers.mturk, scrapers.prolific."""
from __future__ import annotations

import copy
import html
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrapers.model import PayloadError, Task
from scrapers.mturk import MASTERS_QUAL_IDS, parse_hitset_table_html, parse_search
from scrapers.prolific import parse_studies

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scrapers"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def mturk_doc() -> dict:
    return json.loads(load("mturk_search.json"))


@pytest.fixture
def prolific_doc() -> dict:
    return json.loads(load("prolific_studies.json"))


def raises_at(field: str, fn, payload) -> PayloadError:
    with pytest.raises(PayloadError) as info:
        fn(payload)
    assert info.value.field == field, f"{info.value.field!r}: {info.value.message}"
    assert str(info.value).startswith(field + ": ")
    return info.value


# --------------------------------------------------------------------------------------------
# MTurk: the happy path, field by field
# --------------------------------------------------------------------------------------------

EXPECTED_MTURK = [
    Task(
        platform="mturk",
        requester_id="A2P2MT8IK72CVZ",
        requester_name="Decision Lab @ Example University",
        title="Short survey about everyday choices (~ 10 minutes)",
        reward_cents=150,
        currency="USD",
        hit_set_id="3MQJWSYXOHGDXJ3GAF96UH2MB215O3",
        description="Answer questions about how you make everyday decisions. US residents only.",
        stated_seconds=600,
        time_allotted_seconds=3600,
        available=87,
        qualified=True,
        masters_required=False,
        needs=[],
        url="https://worker.mturk.com/projects/3MQJWSYXOHGDXJ3GAF96UH2MB215O3/tasks",  # built from the checked hit_set_id, never copied
    ),
    Task(
        platform="mturk",
        requester_id="A1BCDEFGHIJKL9",
        requester_name="Masters Image Tagging",
        title="Tag objects in street photos 10-15 min",
        reward_cents=29,  # 0.29 * 100 is 28.999999999999996 in floats
        currency="USD",
        hit_set_id="3XJOUITW8XUMP4QBRS6HEUPMJ9ETQ2",
        description="Draw boxes around cars and bicycles.",
        stated_seconds=900,  # upper bound of 10-15 min
        time_allotted_seconds=1800,
        available=1204,
        qualified=False,
        masters_required=True,
        needs=[],
        url="https://worker.mturk.com/projects/3XJOUITW8XUMP4QBRS6HEUPMJ9ETQ2/tasks",  # built from the checked hit_set_id, never copied
    ),
    Task(
        platform="mturk",
        requester_id="A3NEWFIELDS0042",
        requester_name="Audio Transcripts Co",
        title="Transcribe a short audio clip",
        reward_cents=5,  # from the numeric string "0.05"
        currency="USD",
        hit_set_id="3K8CQCU3KE20HR83QPYH5MBUQ7DWB1",
        description="Listen to one clip and type what you hear; takes about 30 sec.",
        stated_seconds=30,  # nothing in the title; the description states it
        time_allotted_seconds=600,
        available=5000,
        qualified=True,
        masters_required=False,
        needs=[],
        url="https://worker.mturk.com/projects/3K8CQCU3KE20HR83QPYH5MBUQ7DWB1/tasks",  # built from the checked hit_set_id, never copied
    ),
    Task(
        platform="mturk",
        requester_id="A9MINIMAL",
        requester_name="",
        title="Find the company website",
        reward_cents=10,
        currency="USD",  # no currency_code: default
        hit_set_id="3OMINIMALFIELDSONLYXXXXXXXXXX1",
        description="",
        stated_seconds=None,
        time_allotted_seconds=None,
        available=None,
        qualified=None,
        masters_required=False,
        needs=[],
        url="https://worker.mturk.com/projects/3OMINIMALFIELDSONLYXXXXXXXXXX1/tasks",  # built from hit_set_id
    ),
]


def test_mturk_search_response_maps_every_field():
    assert parse_search(load("mturk_search.json")) == EXPECTED_MTURK


def test_mturk_accepts_str_dict_react_props_and_bare_list(mturk_doc):
    assert parse_search(load("mturk_search.json").decode()) == EXPECTED_MTURK
    assert parse_search(mturk_doc) == EXPECTED_MTURK
    assert parse_search({"bodyData": mturk_doc["results"]}) == EXPECTED_MTURK
    assert parse_search(mturk_doc["results"]) == EXPECTED_MTURK
    assert parse_search(json.dumps(mturk_doc["results"]).encode()) == EXPECTED_MTURK
    assert parse_search(b"\xef\xbb\xbf" + load("mturk_search.json")) == EXPECTED_MTURK  # UTF-8 BOM


def test_mturk_hitset_table_html_matches_json():
    page = load("mturk_hitset_table.html").decode()
    assert "&quot;bodyData&quot;" in page  # the fixture really is entity-escaped
    assert parse_hitset_table_html(page) == EXPECTED_MTURK


def _snippet(props: object) -> str:
    return (
        "<div data-react-class=\"require('reactComponents/hitSetTable/HitSetTable')['default']\" "
        f"data-react-props=\"{html.escape(json.dumps(props))}\"></div>"
    )


def test_mturk_hitset_table_html_minimal_snippet_and_paths():
    result = {"requester_id": "A1", "title": "Tom &amp; Jerry <quiz>", "monetary_reward": {"amount_in_dollars": 0.01}}
    [task] = parse_hitset_table_html(_snippet({"bodyData": [result]}))
    assert task.title == "Tom &amp; Jerry <quiz>"  # entity-unescaped exactly once
    assert task.reward_cents == 1
    result["monetary_reward"]["amount_in_dollars"] = True
    raises_at("bodyData[0].monetary_reward.amount_in_dollars", parse_hitset_table_html, _snippet({"bodyData": [result]}))


@pytest.mark.parametrize(
    "page, field",
    [
        ("<html><body>Sign in to your Amazon account</body></html>", "data-react-props"),
        ("<div data-react-class=\"Pagination\" data-react-props=\"{}\"></div>", "data-react-props"),
        ("<div data-react-class=\"HitSetTable\" data-react-props=\"{&quot;bodyData\"></div>", "payload"),
        ("<div data-react-class=\"HitSetTable\" data-react-props=\"{}\"></div>", "bodyData"),
        ("<div data-react-class=\"HitSetTable\" data-react-props=\"{&quot;bodyData&quot;: 7}\"></div>", "bodyData"),
        ("<div data-react-class=\"HitSetTable\" data-react-props=\"[1]\"></div>", "[0]"),
        ("", "data-react-props"),
        ("<<<>>><div <a =", "data-react-props"),
    ],
)
def test_mturk_hitset_table_html_hostile(page, field):
    raises_at(field, parse_hitset_table_html, page)


def test_mturk_hitset_table_html_empty_table():
    assert parse_hitset_table_html('<div data-react-class="HitSetTable" data-react-props="{&quot;bodyData&quot;:[]}"/>') == []


def test_masters_ids():
    # Production Masters, Categorization and Photo Moderation Masters (as mturk-suite lists them), sandbox Masters.
    assert MASTERS_QUAL_IDS == {"2F1QJWKUDD8XADTFD2Q0G6UTO95ALH", "2NDP2L92HECWY8NS8H3CK0CP5L9GHO",
                                "21VZU98JHSTLZ5BPP4A9NOBJEK3DPG", "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6"}


def _one(**fields) -> dict:
    result = {"requester_id": "A1", "title": "t", "monetary_reward": {"amount_in_dollars": 1}}
    result.update(fields)
    return result


@pytest.mark.parametrize(
    "requirements, expected",
    [
        ([{"qualification_type_id": "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6", "comparator": "Exists"}], True),  # sandbox
        ([{"qualification_type": {"qualification_type_id": "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH"}}], True),  # id only nested
        ([{"qualification_type_id": "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH", "comparator": "DoesNotExist"}], False),
        ([{"qualification_type_id": "000000000000000000L0", "comparator": "GreaterThan"}], False),
        ([{"comparator": "Exists"}], False),
        ([], False),
        (None, False),
    ],
)
def test_mturk_masters_detection(requirements, expected):
    [task] = parse_search([_one(project_requirements=requirements)])
    assert task.masters_required is expected


def test_mturk_queue_style_hit_requirements_count_too():
    [task] = parse_search([_one(hit_requirements=[{"qualification_type_id": "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH"}])])
    assert task.masters_required


@pytest.mark.parametrize(
    "amount, cents",
    [(0.29, 29), (0.57, 57), (1.15, 115), ("0.25", 25), (" 2.50 ", 250), (3, 300), (0, 0), (0.005, 1), ("10000", 1_000_000), (19.99, 1999)],
)
def test_mturk_reward_cents_exact(amount, cents):
    [task] = parse_search([_one(monetary_reward={"amount_in_dollars": amount, "currency_code": "usd"})])
    assert task.reward_cents == cents
    assert task.currency == "USD"


# --------------------------------------------------------------------------------------------
# MTurk: hostile payloads (the error names the field)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [b"", b"not json", b"{\"results\": [", b"\xff\xfe", "{'results': []}", b"NaN", b"[1e400]"])
def test_not_json(payload):
    err = raises_at("payload", parse_search, payload)
    assert "not valid JSON" in err.message
    raises_at("payload", parse_studies, payload)


@pytest.mark.parametrize("payload", [b"42", b"\"results\"", b"null", b"true", 3.5, None, object()])
def test_top_level_of_the_wrong_kind(payload):
    raises_at("payload", parse_search, payload)
    raises_at("payload", parse_studies, payload)


@pytest.mark.parametrize("value", [None, {}, "[]", 5, True])
def test_results_must_be_a_list(value):
    err = raises_at("results", parse_search, {"results": value})
    assert "must be a list" in err.message
    raises_at("results", parse_studies, {"results": value})


def test_object_without_results_is_an_error():
    raises_at("results", parse_search, {"page_number": 1})
    raises_at("results", parse_studies, {"_links": {}})


def test_empty_results():
    assert parse_search(b'{"results": []}') == []
    assert parse_search(b'{"bodyData": []}') == []
    assert parse_search(b"[]") == []
    assert parse_studies(b'{"results": []}') == []


@pytest.mark.parametrize(
    "mutate, field, message",
    [
        (lambda r: r.pop("requester_id"), "results[3].requester_id", "is required"),
        (lambda r: r.__setitem__("requester_id", None), "results[3].requester_id", "is required"),
        (lambda r: r.__setitem__("requester_id", 12345), "results[3].requester_id", "must be a string"),
        (lambda r: r.__setitem__("requester_id", "A1 B2"), "results[3].requester_id", "must be an id"),
        (lambda r: r.__setitem__("requester_id", "A" * 129), "results[3].requester_id", "must be an id"),
        (lambda r: r.__setitem__("requester_id", ""), "results[3].requester_id", "must be an id"),
        (lambda r: r.pop("title"), "results[3].title", "is required"),
        (lambda r: r.__setitem__("title", ["a"]), "results[3].title", "must be a string"),
        (lambda r: r.__setitem__("title", "   \x00 "), "results[3].title", "must not be empty"),
        (lambda r: r.pop("monetary_reward"), "results[3].monetary_reward", "is required"),
        (lambda r: r.__setitem__("monetary_reward", 0.5), "results[3].monetary_reward", "must be an object"),
        (lambda r: r.__setitem__("monetary_reward", {}), "results[3].monetary_reward.amount_in_dollars", "is required"),
        (lambda r: r["monetary_reward"].__setitem__("amount_in_dollars", "free"), "results[3].monetary_reward.amount_in_dollars", "must be a number"),
        (lambda r: r["monetary_reward"].__setitem__("amount_in_dollars", True), "results[3].monetary_reward.amount_in_dollars", "not a boolean"),
        (lambda r: r["monetary_reward"].__setitem__("amount_in_dollars", [1]), "results[3].monetary_reward.amount_in_dollars", "must be a number"),
        (lambda r: r["monetary_reward"].__setitem__("amount_in_dollars", "1e3"), "results[3].monetary_reward.amount_in_dollars", "must be a number"),
        (lambda r: r["monetary_reward"].__setitem__("amount_in_dollars", "NaN"), "results[3].monetary_reward.amount_in_dollars", "must be a number"),
        (lambda r: r["monetary_reward"].__setitem__("amount_in_dollars", float("nan")), "results[3].monetary_reward.amount_in_dollars", "finite"),
        (lambda r: r["monetary_reward"].__setitem__("amount_in_dollars", float("inf")), "results[3].monetary_reward.amount_in_dollars", "finite"),
        (lambda r: r["monetary_reward"].__setitem__("amount_in_dollars", -0.01), "results[3].monetary_reward.amount_in_dollars", "negative"),
        (lambda r: r["monetary_reward"].__setitem__("amount_in_dollars", 10000.01), "results[3].monetary_reward.amount_in_dollars", "implausibly large"),
        (lambda r: r["monetary_reward"].__setitem__("amount_in_dollars", 10**40), "results[3].monetary_reward.amount_in_dollars", "implausibly large"),
        (lambda r: r["monetary_reward"].__setitem__("currency_code", 840), "results[3].monetary_reward.currency_code", "must be a string"),
        (lambda r: r["monetary_reward"].__setitem__("currency_code", "US Dollars"), "results[3].monetary_reward.currency_code", "ISO 4217"),
        (lambda r: r.__setitem__("hit_set_id", {"id": 1}), "results[3].hit_set_id", "must be a string"),
        (lambda r: r.__setitem__("hit_set_id", "../../evil"), "results[3].hit_set_id", "must be an id"),
        (lambda r: r.__setitem__("description", 7), "results[3].description", "must be a string"),
        (lambda r: r.__setitem__("requester_name", False), "results[3].requester_name", "must be a string"),
        (lambda r: r.__setitem__("assignable_hits_count", "many"), "results[3].assignable_hits_count", "must be a number"),
        (lambda r: r.__setitem__("assignable_hits_count", -1), "results[3].assignable_hits_count", "negative"),
        (lambda r: r.__setitem__("assignable_hits_count", 2.5), "results[3].assignable_hits_count", "whole"),
        (lambda r: r.__setitem__("assignable_hits_count", False), "results[3].assignable_hits_count", "boolean"),
        (lambda r: r.__setitem__("assignment_duration_in_seconds", 10**12), "results[3].assignment_duration_in_seconds", "implausibly large"),
        (lambda r: r.__setitem__("caller_meets_requirements", "true"), "results[3].caller_meets_requirements", "must be a boolean"),
        (lambda r: r.__setitem__("caller_meets_requirements", 1), "results[3].caller_meets_requirements", "must be a boolean"),
        (lambda r: r.__setitem__("project_requirements", {"a": 1}), "results[3].project_requirements", "must be a list"),
        (lambda r: r.__setitem__("project_requirements", ["x"]), "results[3].project_requirements[0]", "must be an object"),
        (lambda r: r.__setitem__("project_requirements", [{"qualification_type_id": 5}]), "results[3].project_requirements[0].qualification_type_id", "must be a string"),
        (lambda r: r.__setitem__("project_requirements", [{"qualification_type": "Masters"}]), "results[3].project_requirements[0].qualification_type", "must be an object"),
        (lambda r: r.__setitem__("project_tasks_url", 3), "results[3].project_tasks_url", "must be a string"),
        (lambda r: r.__setitem__("project_tasks_url", "javascript:alert(1)"), "results[3].project_tasks_url", "worker.mturk.com"),
        (lambda r: r.__setitem__("project_tasks_url", "https://evil.example/projects/x"), "results[3].project_tasks_url", "worker.mturk.com"),
        (lambda r: r.__setitem__("project_tasks_url", "//evil.example/x"), "results[3].project_tasks_url", "worker.mturk.com"),
        (lambda r: r.__setitem__("project_tasks_url", "/projects/x\" onmouseover=\"alert(1)"), "results[3].project_tasks_url", "worker.mturk.com"),
    ],
)
def test_mturk_wrong_types_name_the_field(mturk_doc, mutate, field, message):
    mutate(mturk_doc["results"][3])
    err = raises_at(field, parse_search, mturk_doc)
    assert message in err.message
    # The same mistake in react props is reported under bodyData.
    raises_at(field.replace("results", "bodyData", 1), parse_search, {"bodyData": mturk_doc["results"]})
    # And in a bare list under its index.
    raises_at(field.replace("results", "", 1), parse_search, mturk_doc["results"])


def test_mturk_result_that_is_not_an_object(mturk_doc):
    mturk_doc["results"][1] = "3MQJWSYXOHGDXJ3GAF96UH2MB215O3"
    raises_at("results[1]", parse_search, mturk_doc)


def test_mturk_absolute_url_on_mturk_is_fine():
    [task] = parse_search([_one(project_tasks_url="https://worker.mturk.com/projects/ABC/tasks",
                                hit_set_id="3MQJWSYXOHGDXJ3GAF96UH2MB215O3")])
    # The link is the checked group id's, not the page's text (scrapers/ids.py).
    assert task.url == "https://worker.mturk.com/projects/3MQJWSYXOHGDXJ3GAF96UH2MB215O3/tasks"
    [without_group] = parse_search([_one(project_tasks_url="https://worker.mturk.com/projects/ABC/tasks")])
    assert without_group.url is None


def test_mturk_missing_optional_fields_and_nulls_are_fine():
    fields = dict.fromkeys(
        [
            "hit_set_id", "requester_name", "description", "assignable_hits_count",
            "assignment_duration_in_seconds", "caller_meets_requirements", "project_requirements",
            "project_tasks_url", "requesterInfo",
        ]
    )
    result = _one(**fields)
    result["monetary_reward"]["currency_code"] = None
    [task] = parse_search([result])
    assert task == Task(platform="mturk", requester_id="A1", title="t", reward_cents=100)
    assert task.url is None and task.qualified is None and task.currency == "USD"


def test_mturk_numeric_strings_for_counts():
    [task] = parse_search([_one(assignable_hits_count="12", assignment_duration_in_seconds=900.0)])
    assert (task.available, task.time_allotted_seconds) == (12, 900)


def test_mturk_unknown_fields_and_deep_junk_are_ignored(mturk_doc):
    junk: object = "bottom"
    for _ in range(5000):  # deeper than any recursive walk could survive
        junk = {"x": [junk]}
    mturk_doc["results"][0]["future_field"] = junk
    mturk_doc["results"][0]["monetary_reward"]["exchange"] = {"rate": float("nan")}
    mturk_doc["unexpected_top_level"] = junk
    assert parse_search(mturk_doc) == EXPECTED_MTURK


def test_deeply_nested_json_text_is_a_payload_error():
    deep = b'{"results": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    raises_at("payload", parse_search, deep)
    raises_at("payload", parse_studies, deep)


def test_deeply_nested_but_valid_unknown_field_in_text():
    nested = "[" * 200 + "]" * 200
    payload = '{"results": [{"requester_id": "A1", "title": "t", "monetary_reward": {"amount_in_dollars": 1}, "junk": %s}]}' % nested
    assert len(parse_search(payload)) == 1


def test_huge_strings_are_truncated_not_rejected():
    big = "word " * 200_000
    [task] = parse_search([_one(title="Survey " + big, description=big, requester_name=big)])
    for text in (task.title, task.description, task.requester_name):
        assert len(text) <= 2000
        assert text.endswith("…")
    assert task.title.startswith("Survey word word")


def test_text_is_cleaned_of_control_characters():
    [task] = parse_search([_one(title="  Rate\x00 images\x07 (5 min)\n", description="line1\nline2\tend")])
    assert task.title == "Rate images (5 min)"
    assert task.description == "line1\nline2\tend"
    assert task.stated_seconds == 300


def test_mturk_error_reports_the_first_bad_result(mturk_doc):
    mturk_doc["results"][0]["title"] = 1
    mturk_doc["results"][2]["requester_id"] = 2
    raises_at("results[0].title", parse_search, mturk_doc)


def test_input_is_not_mutated(mturk_doc):
    before = copy.deepcopy(mturk_doc)
    parse_search(mturk_doc)
    assert mturk_doc == before


# --------------------------------------------------------------------------------------------
# Prolific
# --------------------------------------------------------------------------------------------

EXPECTED_PROLIFIC = [
    Task(
        platform="prolific",
        requester_id="5f1e2d3c4b5a69788796a5b4",
        requester_name="Dr Ada Example",
        title="Memory and music listening",
        reward_cents=225,  # int `reward`, minor units
        currency="GBP",  # default for the int form
        hit_set_id="6644f0a1b2c3d4e5f6a7b8c9",
        description="Listen to short melodies and answer questions about them.",  # HTML stripped
        stated_seconds=15 * 60,
        time_allotted_seconds=63 * 60,
        available=300 - 211,
        qualified=None,
        masters_required=False,
        needs=["audio", "headphones"],
        url="https://app.prolific.com/studies/6644f0a1b2c3d4e5f6a7b8c9",
    ),
    Task(
        platform="prolific",
        requester_id="60aa11bb22cc33dd44ee55ff",
        requester_name="Remote Work Research Group",  # researcher name empty: institution
        title="Video call interview about remote work (camera on)",
        reward_cents=800,  # study_reward {amount, currency}
        currency="USD",
        hit_set_id="6644f0a1b2c3d4e5f6a7b8ca",
        description="A 30 minute recorded interview.",
        stated_seconds=40 * 60,  # the structured estimate beats the text
        time_allotted_seconds=90 * 60,
        available=0,  # over-recruited: 12 taken of 10
        qualified=None,
        masters_required=False,
        needs=["camera", "microphone", "download"],  # lowercased, de-duplicated
        url="https://app.prolific.com/studies/6644f0a1b2c3d4e5f6a7b8ca",
    ),
    Task(
        platform="prolific",
        requester_id="60aa11bb22cc33dd44ee5600",
        requester_name="Poll Team",
        title="Quick opinion poll (about 3 minutes)",
        reward_cents=50,  # reward {amount, currency}
        currency="GBP",  # "gbp" normalised
        hit_set_id="6644f0a1b2c3d4e5f6a7b8cb",
        description="",
        stated_seconds=180,  # no estimate field: from the title
        time_allotted_seconds=None,
        available=None,
        qualified=None,
        masters_required=False,
        needs=[],
        url="https://app.prolific.com/studies/6644f0a1b2c3d4e5f6a7b8cb",
    ),
]


def test_prolific_maps_every_field(prolific_doc):
    assert parse_studies(load("prolific_studies.json")) == EXPECTED_PROLIFIC
    assert parse_studies(load("prolific_studies.json").decode()) == EXPECTED_PROLIFIC
    assert parse_studies(prolific_doc) == EXPECTED_PROLIFIC
    assert parse_studies(prolific_doc["results"]) == EXPECTED_PROLIFIC


def _study(**fields) -> dict:
    study = {"id": "abc123abc123abc123abc123", "name": "A study", "reward": 100,
             "researcher": {"id": "5f1e2d3c4b5a69788796a5b4"}}
    study.update(fields)
    return study


def test_prolific_study_reward_wins_over_reward():
    [task] = parse_studies([_study(reward=100, study_reward={"amount": 130, "currency": "USD"})])
    assert (task.reward_cents, task.currency) == (130, "USD")


def test_prolific_minimal_study():
    [task] = parse_studies([{"name": "x", "reward": "75", "researcher": {"id": "5f1e2d3c4b5a69788796a5b4"}}])
    assert task == Task(platform="prolific", requester_id="5f1e2d3c4b5a69788796a5b4", title="x", reward_cents=75,
                        currency="GBP")


def test_prolific_needs_are_normalised():
    [task] = parse_studies([_study(peripheral_requirements=[" Audio ", "MICROPHONE", "Screen Reader", "", "audio"])])
    assert task.needs == ["audio", "microphone", "screen_reader"]


@pytest.mark.parametrize(
    "mutate, field, message",
    [
        (lambda s: s.pop("researcher"), "results[2].researcher.id", "is required"),
        (lambda s: s.__setitem__("researcher", "Dr X"), "results[2].researcher", "must be an object"),
        (lambda s: s.__setitem__("researcher", {"name": "Dr X"}), "results[2].researcher.id", "is required"),
        (lambda s: s["researcher"].__setitem__("id", 7), "results[2].researcher.id", "must be a string"),
        (lambda s: s["researcher"].__setitem__("name", ["x"]), "results[2].researcher.name", "must be a string"),
        (lambda s: s["researcher"].update(name="", institution="Uni"), "results[2].researcher.institution", "must be an object"),
        (lambda s: s.pop("name"), "results[2].name", "is required"),
        (lambda s: s.__setitem__("name", 3.0), "results[2].name", "must be a string"),
        (lambda s: s.pop("reward"), "results[2].reward", "is required"),
        (lambda s: s.__setitem__("reward", "lots"), "results[2].reward", "must be a number"),
        (lambda s: s.__setitem__("reward", {"currency": "GBP"}), "results[2].reward.amount", "is required"),
        (lambda s: s.__setitem__("reward", {"amount": False}), "results[2].reward.amount", "boolean"),
        (lambda s: s.__setitem__("reward", {"amount": -5}), "results[2].reward.amount", "negative"),
        (lambda s: s.__setitem__("reward", {"amount": 50, "currency": "pounds"}), "results[2].reward.currency", "ISO 4217"),
        (lambda s: s.__setitem__("reward", [50]), "results[2].reward", "must be a number"),
        (lambda s: s.__setitem__("study_reward", {"amount": 1_000_001}), "results[2].study_reward.amount", "implausibly large"),
        (lambda s: s.__setitem__("study_reward", True), "results[2].study_reward", "boolean"),
        (lambda s: s.__setitem__("id", 42), "results[2].id", "must be a string"),
        (lambda s: s.__setitem__("id", "abc/../../x"), "results[2].id", "must be an id"),
        (lambda s: s.__setitem__("estimated_completion_time", "ten"), "results[2].estimated_completion_time", "must be a number"),
        (lambda s: s.__setitem__("maximum_allowed_time", -3), "results[2].maximum_allowed_time", "negative"),
        (lambda s: s.__setitem__("total_available_places", True), "results[2].total_available_places", "boolean"),
        (lambda s: s.__setitem__("places_taken", 1.5), "results[2].places_taken", "whole"),
        (lambda s: s.__setitem__("peripheral_requirements", "audio"), "results[2].peripheral_requirements", "must be a list"),
        (lambda s: s.__setitem__("peripheral_requirements", ["audio", 3]), "results[2].peripheral_requirements[1]", "must be a string"),
        (lambda s: s.__setitem__("description", {"html": "x"}), "results[2].description", "must be a string"),
    ],
)
def test_prolific_wrong_types_name_the_field(prolific_doc, mutate, field, message):
    mutate(prolific_doc["results"][2])
    err = raises_at(field, parse_studies, prolific_doc)
    assert message in err.message
    raises_at(field.replace("results", "", 1), parse_studies, prolific_doc["results"])


def test_prolific_reward_bounds_in_minor_units():
    [task] = parse_studies([_study(reward=1_000_000)])  # £10,000: the largest accepted
    assert task.reward_cents == 1_000_000
    raises_at("[0].reward", parse_studies, [_study(reward=1_000_001)])
    raises_at("[0].reward", parse_studies, [_study(reward=float("nan"))])


def test_prolific_fractional_minutes_and_nulls():
    [task] = parse_studies([_study(estimated_completion_time=2.5, maximum_allowed_time=None, places_taken=None, total_available_places=5)])
    assert (task.stated_seconds, task.time_allotted_seconds, task.available) == (150, None, None)


def test_prolific_huge_description_is_truncated():
    [task] = parse_studies([_study(description="<p>" + "x" * 50_000 + "</p>")])
    assert len(task.description) == 2000 and task.description.endswith("…")


def test_prolific_unknown_fields_ignored(prolific_doc):
    prolific_doc["results"][0]["some_new_thing"] = {"a": [{"b": [None, True, 1.5]}] * 50}
    prolific_doc["results"][0]["researcher"]["badges"] = ["x"]
    prolific_doc["_links"] = {"next": {"href": None}}
    prolific_doc["meta"] = {"count": 3}
    assert parse_studies(prolific_doc) == EXPECTED_PROLIFIC


# --------------------------------------------------------------------------------------------
# Arbitrary input never escapes as anything but PayloadError
# --------------------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["0.25", "1e3", "-1", "", "  7 ", "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH", "GBP", "/projects/X/tasks"])
)
KEYS = [
    "results", "bodyData", "requester_id", "requester_name", "title", "description", "monetary_reward",
    "amount_in_dollars", "currency_code", "hit_set_id", "assignable_hits_count", "assignment_duration_in_seconds",
    "caller_meets_requirements", "project_requirements", "hit_requirements", "qualification_type_id",
    "qualification_type", "comparator", "project_tasks_url", "id", "name", "reward", "study_reward", "amount",
    "currency", "researcher", "institution", "estimated_completion_time", "maximum_allowed_time",
    "total_available_places", "places_taken", "peripheral_requirements",
]
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=8),
    max_leaves=40,
)


def _only_payload_errors(fn, payload) -> None:
    try:
        tasks = fn(payload)
    except PayloadError as err:
        assert isinstance(err.field, str) and err.field
        return
    assert isinstance(tasks, list)
    for task in tasks:
        assert isinstance(task, Task)
        assert 0 <= task.reward_cents <= 1_000_000
        assert len(task.title) <= 2000 and len(task.description) <= 2000
        assert task.url is None or task.url.startswith(("https://worker.mturk.com/", "https://app.prolific.com/studies/"))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_values_only_raise_payload_error(value):
    for fn in (parse_search, parse_studies):
        _only_payload_errors(fn, value)
        _only_payload_errors(fn, {"results": [value]})
        _only_payload_errors(fn, {"bodyData": value})
        try:
            text = json.dumps(value)
        except ValueError:  # nan/inf are not JSON
            continue
        _only_payload_errors(fn, text)
        _only_payload_errors(fn, text.encode())


small_values = st.recursive(json_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.sampled_from(KEYS), c, max_size=3), max_leaves=8)
overrides = st.dictionaries(st.sampled_from(KEYS), small_values, max_size=3)


@settings(max_examples=300, deadline=None)
@given(overrides, overrides, overrides)
def test_junk_in_otherwise_valid_tasks_only_raises_payload_error(top, inner, researcher):
    # Start from valid tasks so the junk reaches the optional and nested fields, not only the first check.
    mturk = json.loads(load("mturk_search.json"))["results"][0]
    mturk.update(top)
    if isinstance(mturk.get("monetary_reward"), dict):
        mturk["monetary_reward"].update(inner)
    _only_payload_errors(parse_search, {"results": [mturk]})
    study = json.loads(load("prolific_studies.json"))["results"][1]
    study.update(top)
    if isinstance(study.get("study_reward"), dict):
        study["study_reward"].update(inner)
    if isinstance(study.get("researcher"), dict):
        study["researcher"].update(researcher)
    _only_payload_errors(parse_studies, {"results": [study]})


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_arbitrary_bytes_and_text_only_raise_payload_error(raw):
    for fn in (parse_search, parse_studies, parse_hitset_table_html):
        _only_payload_errors(fn, raw)


# Stated durations (scrapers.durations) are tested in tests/unit/test_durations.py.


def test_float_rounding_is_not_floating():
    # Every whole-cent dollar amount written as a float maps back to its cents.
    for cents in range(0, 100_000, 7):
        amount = cents / 100
        [task] = parse_search([_one(monetary_reward={"amount_in_dollars": amount})])
        assert task.reward_cents == cents, amount
    assert 0.29 * 100 != 29  # the trap being avoided
