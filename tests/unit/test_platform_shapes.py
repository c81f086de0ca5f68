"""The platform parsers on the shapes public evidence shows for the live sites (/work/shared/notes/platforms.md):
Prolific's participant studies JSON as the app fetches it, and the Masters qualifications mturk-suite lists."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scrapers.mturk import MASTERS_QUAL_IDS, parse_search
from scrapers.prolific import parse_studies

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "scrapers"


def test_the_live_studies_shape_gives_every_study_with_its_researcher_id_reward_time_and_places():
    payload = json.loads((FIXTURES / "prolific_studies_live.json").read_text(encoding="utf-8"))
    tasks = parse_studies(payload)
    assert len(tasks) == 12
    first = tasks[0]
    assert (first.hit_set_id, first.title, first.requester_name) == ("676eda540ac41cc075b4e578", "Background survey",
                                                                    "columbia.edu")
    assert (first.requester_id, first.reward_cents, first.currency) == ("5c4f8e2a9d1b3a0012ab34cd", 80, "USD")
    assert (first.stated_seconds, first.available) == (180, 640)
    assert first.url == "https://app.prolific.com/studies/676eda540ac41cc075b4e578"
    # study_reward is in minor units of its own currency; places left never go below 0 (over-recruited).
    by_id = {task.hit_set_id: task for task in tasks}
    assert (by_id["6790a1b2c3d4e5f601234507"].reward_cents, by_id["6790a1b2c3d4e5f601234507"].available) == (900, 0)
    assert by_id["6790a1b2c3d4e5f60123450b"].needs == ["audio"]
    assert [t.hit_set_id for t in tasks] == [s["id"] for s in payload["results"]]
    assert all(t.requester_id == s["researcher"]["id"] for t, s in zip(tasks, payload["results"]))


def test_a_float_amount_in_minor_units_is_read_as_whole_minor_units():
    payload = json.loads((FIXTURES / "prolific_studies_live.json").read_text(encoding="utf-8"))
    payload["results"][0]["study_reward"] = {"amount": 80.0, "currency": "USD"}
    assert parse_studies(payload)[0].reward_cents == 80


@pytest.mark.parametrize("qualification", ["2F1QJWKUDD8XADTFD2Q0G6UTO95ALH", "2NDP2L92HECWY8NS8H3CK0CP5L9GHO",
                                           "21VZU98JHSTLZ5BPP4A9NOBJEK3DPG"])
def test_every_masters_qualification_mturk_suite_lists_marks_a_task_as_masters_only(qualification):
    assert qualification in MASTERS_QUAL_IDS
    result = {"requester_id": "A1", "title": "Tag photos", "monetary_reward": {"amount_in_dollars": 0.1},
              "project_requirements": [{"qualification_type_id": qualification, "comparator": "Exists"}]}
    assert parse_search({"results": [result]})[0].masters_required is True
    result["project_requirements"][0]["comparator"] = "DoesNotExist"
    assert parse_search({"results": [result]})[0].masters_required is False


def test_the_extension_sends_every_study_field_the_parser_reads():
    """The extension cuts each captured study to STUDY_FIELDS (extension/src/lib/rows.js) before sending it: the
    server must read the cut study exactly as the whole one, or the two disagree on the shape."""

    source = (FIXTURES.parent.parent.parent / "extension" / "src" / "lib" / "rows.js").read_text(encoding="utf-8")
    match = re.search(r"STUDY_FIELDS = Object\.freeze\(\[(.*?)\]\)", source, re.S)
    assert match, "STUDY_FIELDS not found in rows.js"
    fields = re.findall(r'"([a-z_]+)"', match.group(1))
    payload = json.loads((FIXTURES / "prolific_studies_live.json").read_text(encoding="utf-8"))
    cut = []
    for study in payload["results"]:
        picked = {key: study[key] for key in fields if key in study}
        picked["researcher"] = {"id": study["researcher"]["id"], "name": study["researcher"]["name"]}
        cut.append(picked)
    assert parse_studies({"results": cut}) == parse_studies(payload)
    assert "researcher" not in fields and {"id", "name", "study_reward", "estimated_completion_time"} <= set(fields)
