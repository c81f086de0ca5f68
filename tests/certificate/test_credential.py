"""server/domain/certificate_options.py, credential.py, view.py and schema.py: pure, without a database."""
from __future__ import annotations

from datetime import date, datetime, timezone

import jsonschema_rs
import pytest

from server.domain.credential import FeedbackQuote, Issuer, approval_rate, build_credential
from server.domain.certificate_options import DEFAULT_SECTIONS, OptionError, parse_options
from server.certificate.schema import schema
from server.certificate.view import certificate_view, hours_text, percent
from server.domain.earnings import WorkItem

ISSUER = Issuer(base_url="https://fair.example", name="Fair Crowd")
NOW = datetime(2026, 3, 1, 12, 30, 15, 999, tzinfo=timezone.utc)


def item(state: str, title: str, day: date, start: tuple[int, int] | None = None, minutes: int = 10, reward: int = 100,
         platform: str = "mturk", currency: str = "USD") -> WorkItem:
    begun = datetime(day.year, day.month, day.day, *start, tzinfo=timezone.utc) if start else None
    ended = datetime.fromtimestamp(begun.timestamp() + minutes * 60, timezone.utc) if begun else None
    return WorkItem(platform=platform, requester_id="R", requester_name="Lab", title=title, currency=currency,
                    state=state,
                    reward_cents=reward, bonus_cents=0, day=day, started_at=begun, ended_at=ended)


ITEMS = [
    item("approved", "Survey about food", date(2026, 1, 5), (9, 0)),
    item("approved", "Tag images of cats", date(2026, 1, 5), (9, 15)),
    item("rejected", "Tag images of dogs", date(2026, 1, 5), (9, 30)),
    item("returned", "Broken survey", date(2026, 1, 6)),
    item("approved", "A study of memory", date(2026, 1, 7), platform="prolific", currency="GBP", reward=300),
]


def options(**params: str):
    return parse_options(params).with_period(date(2026, 1, 1), date(2026, 1, 31))


# ------------------------------------------------------------------------------------------------
# Options


def test_defaults():
    chosen = parse_options({})
    assert (chosen.start, chosen.end, chosen.zone, chosen.platforms, chosen.feedback_ids, chosen.holder_name) == (
        None, None, "UTC", (), (), "")
    assert chosen.sections == DEFAULT_SECTIONS and "earnings" not in chosen.sections


def test_lists_are_trimmed_and_deduplicated():
    chosen = parse_options({"platforms": " mturk, prolific,mturk,", "feedback": "3, 1,3", "include": " kinds ,hours",
                            "from": "2026-01-01", "to": "2026-01-01", "tz": "America/New_York"})
    assert chosen.platforms == ("mturk", "prolific") and chosen.feedback_ids == (3, 1)
    assert chosen.sections == {"kinds", "hours"} and chosen.start == chosen.end == date(2026, 1, 1)
    assert parse_options({"include": ""}).sections == frozenset()


def test_query_round_trip():
    chosen = parse_options({"from": "2026-01-01", "to": "2026-01-31", "tz": "Europe/Paris", "platforms": "mturk",
                            "include": "hours,kinds", "feedback": "7", "holder_name": "Zoë"})
    assert parse_options(dict(chosen.query())) == chosen
    assert dict(chosen.query())["include"] == "kinds,hours"  # in the fixed order


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-02-30"}, "from"), ({"to": "2026-1-5"}, "to"), ({"from": "２０２６-01-01"}, "from"),
    ({"from": "2026-03-01", "to": "2026-02-01"}, "from"), ({"tz": "Not/AZone"}, "tz"), ({"tz": "x" * 65}, "tz"),
    ({"platforms": "Mturk"}, "platforms"), ({"include": "kinds,all"}, "include"), ({"feedback": "-1"}, "feedback"),
    ({"feedback": "１"}, "feedback"), ({"holder_name": "a\x00b"}, "holder_name"),
])
def test_bad_options(params, field):
    with pytest.raises(OptionError) as caught:
        parse_options(params)
    assert caught.value.field == field and caught.value.message.startswith(field)


# ------------------------------------------------------------------------------------------------
# The credential


def test_build_credential():
    quotes = [FeedbackQuote(item_id=9, platform="mturk", requester_name="Lab", day=date(2026, 1, 5), text="Thanks!")]
    vc = build_credential(ITEMS, options(include="kinds,approval,hours,earnings,feedback", holder_name="Zoë"), quotes,
                          ISSUER, NOW, "urn:uuid:00000000-0000-4000-8000-000000000000")
    assert vc["@context"] == ["https://www.w3.org/ns/credentials/v2",
                              "https://fair.example/api/v1/certificates/context/v1.json"]
    assert vc["issuer"] == {"id": "https://fair.example", "name": "Fair Crowd"}
    assert vc["validFrom"] == "2026-03-01T12:30:15Z"
    subject = vc["credentialSubject"]
    assert subject["holderName"] == "Zoë"
    assert (subject["tasksRecorded"], subject["tasksApproved"], subject["tasksDecided"], subject["approvalRate"]) == (
        5, 3, 4, "0.750")
    assert subject["kindsOfWork"] == [{"kind": "surveys", "name": "Surveys and studies", "tasks": 2},
                                      {"kind": "data_labelling", "name": "Data labelling", "tasks": 1}]
    assert subject["hoursWorked"] == {"paidWorkSeconds": 1200, "unpaidWorkSeconds": 600, "searchingSeconds": 600,
                                      "totalSeconds": 2400, "timedTasks": 3, "tasks": 5}
    assert [entry["currency"] for entry in subject["earnings"]] == ["GBP", "USD"]
    assert subject["requesterFeedback"] == [{"platform": "mturk", "requesterName": "Lab", "date": "2026-01-05",
                                             "text": "Thanks!"}]
    assert jsonschema_rs.validator_for(schema(ISSUER.base_url)).is_valid(vc)


def test_only_integers_strings_booleans_and_null():
    everything = options(include="kinds,approval,hours,earnings,feedback")
    vc = build_credential(ITEMS, everything, [], ISSUER, NOW, "urn:uuid:x")

    def walk(value):
        assert not isinstance(value, float), value
        if isinstance(value, dict):
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(vc)


def test_platform_filter():
    subject = build_credential(ITEMS, options(platforms="prolific"), [], ISSUER, NOW, "urn:uuid:x")["credentialSubject"]
    assert subject["tasksRecorded"] == 1 and [p["platform"] for p in subject["platforms"]] == ["prolific"]
    assert subject["approvalRate"] == "1.000"


@pytest.mark.parametrize(("approved", "decided", "rate"), [(0, 0, None), (0, 3, "0.000"), (2, 3, "0.666"),
                                                           (1999, 2000, "0.999"), (5, 5, "1.000")])
def test_approval_rate_rounds_down(approved, decided, rate):
    assert approval_rate(approved, decided) == rate  # 1999 of 2000 is not "100%"


# ------------------------------------------------------------------------------------------------
# Words


def test_view_words():
    vc = build_credential(ITEMS, options(include="approval,hours"), [], ISSUER, NOW, "urn:uuid:x")
    view = certificate_view(vc)
    facts = dict(view.facts)
    assert facts["Period"] == "1 January 2026 to 31 January 2026 (UTC days)"
    assert facts["Approval rate"] == "75.0% (3 approved of 4 decided tasks, 1 rejection)"
    assert facts["Time worked (measured)"] == "30 minutes"
    assert view.kinds is None and view.earnings is None and view.feedback is None
    assert view.left_out == ["Kinds of work", "Earnings", "Requester feedback"]
    assert not view.empty


@pytest.mark.parametrize(("seconds", "words"), [(0, "none"), (20, "under a minute"), (90, "2 minutes"),
                                                (3600, "1 hour"), (3720, "1 hour 2 minutes"),
                                                (400_000, "111 hours 7 minutes")])
def test_hours_text(seconds, words):
    assert hours_text(seconds) == words


def test_percent():
    assert (percent("0.985"), percent("1.000"), percent(None)) == ("98.5%", "100.0%", "no task decided yet")
