"""Filter matching: which tasks a worker's filters hide, and the reasons given for each."""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scrapers.model import Task
from server.domain.filters import (
    MAX_KEYWORDS,
    MAX_PATTERN_CHARS,
    MAX_RULES,
    NEED_NAMES,
    FilterError,
    Filters,
    ListRule,
    Reason,
    Verdict,
    filters_are_inert,
    rule_matches,
    validate_filters,
    verdict,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


def make_task(**overrides: Any) -> Task:
    fields: dict[str, Any] = {
        "platform": "mturk",
        "requester_id": "A2XMTURK1",
        "requester_name": "SH Hong",
        "title": "Transcribe a receipt",
        "reward_cents": 50,
        "description": "Type the total from a shop receipt.",
    }
    fields.update(overrides)
    return Task(**fields)


def judge(
    task: Task | None = None,
    *,
    hourly: float | None = 1000.0,
    duration: float | None = 120.0,
    flags: tuple[str, ...] = (),
    now: datetime = NOW,
    **filter_fields: Any,
) -> Verdict:
    return verdict(task or make_task(), hourly, duration, flags, Filters(**filter_fields), now)


def codes(v: Verdict) -> list[str]:
    return [r.code for r in v.reasons]


def block(pattern: str, match: str = "exact", **kw: Any) -> ListRule:
    return ListRule(pattern=pattern, match=match, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# No filters


def test_default_filters_hide_nothing() -> None:
    v = judge(hourly=1.0, duration=99_999.0, flags=("needs_sight", "captcha"))
    assert v == Verdict(hidden=False, reasons=[], included=False)


# ---------------------------------------------------------------------------------------------
# Block list: exact, substring, wildcard


@pytest.mark.parametrize(
    "pattern",
    ["A2XMTURK1", "a2xmturk1", "  A2XMTURK1  ", "SH Hong", "sh hong", " SH  HONG ", "transcribe a RECEIPT"],
)
def test_exact_block_matches_id_name_or_title_case_insensitively(pattern: str) -> None:
    v = judge(block=[block(pattern)])
    assert v.hidden
    assert codes(v) == ["blocked"]


@pytest.mark.parametrize("pattern", ["SH", "Hong", "A2XMTURK", "receipt", "SH Hong Lab"])
def test_exact_block_needs_the_whole_value(pattern: str) -> None:
    assert not judge(block=[block(pattern)]).hidden


@pytest.mark.parametrize(
    ("pattern", "hidden"),
    [("hong", True), ("XMT", True), ("RECEIPT", True), ("a receipt", True), ("total", False), ("hongs", False)],
)
def test_substring_block(pattern: str, hidden: bool) -> None:
    # The description is not a block-list field: "total" only appears there.
    assert judge(block=[block(pattern, "substring")]).hidden is hidden


@pytest.mark.parametrize(
    ("pattern", "title", "requester_id", "matches"),
    [
        ("*Survey*", "Quick survey about shopping", "A1", True),
        ("*Survey*", "SURVEY", "A1", True),
        ("*Survey*", "Surveyor needed", "A1", True),
        ("*Survey*", "Sur vey", "A1", False),
        ("Survey*", "A survey", "A1", False),  # anchored at the start
        ("*survey", "survey about food", "A1", False),  # anchored at the end
        ("A2?MT*", "Label images", "A2XMTURK1", True),
        ("A2?MT*", "Label images", "a2xmt", True),
        ("A2?MT*", "Label images", "A2MT", False),  # ? is exactly one character
        ("A2?MT*", "Label images", "A2XYMT", False),
        ("a??c", "abbc", "A1", True),
        ("a??c", "abc", "A1", False),
        ("*", "anything", "A1", True),
        ("**a**", "a", "A1", True),
        ("*a*b*c*", "xaxbxcx", "A1", True),
        ("*a*b*c*", "xcxbxax", "A1", False),
    ],
)
def test_wildcard_block(pattern: str, title: str, requester_id: str, matches: bool) -> None:
    task = make_task(title=title, requester_id=requester_id, requester_name="")
    assert rule_matches(block(pattern, "wildcard"), task, NOW) is matches


@pytest.mark.parametrize(
    ("pattern", "title", "matches"),
    [
        ("a.b(c)+", "A.B(C)+", True),
        ("a.b(c)+", "axb(c)+", False),  # '.' is a dot, not "any character"
        ("a.b(c)+", "a.bcc", False),
        ("[abc]*", "[abc] tasks", True),
        ("[abc]*", "a tasks", False),  # no character classes, unlike fnmatch
        ("\\d+*", "\\d+ numbers", True),
        ("\\d+*", "42 numbers", False),
        ("^$|.*", "^$|.* literally", True),
        ("^$|.*", "x^$|.*", False),
        ("(a|b)*", "(a|b) x", True),
        ("(a|b)*", "a x", False),
    ],
)
def test_regex_metacharacters_are_literal(pattern: str, title: str, matches: bool) -> None:
    task = make_task(title=title, requester_id="", requester_name="")
    assert rule_matches(block(pattern, "wildcard"), task, NOW) is matches


@pytest.mark.parametrize(
    ("pattern", "kind", "matches"),
    [
        ("(c)+", "substring", True),
        (".+", "substring", False),
        ("a.b(c)+", "exact", True),
        ("a.b(c)", "exact", False),
        ("*", "substring", False),  # '*' is only special in wildcard rules
        ("*", "exact", False),
    ],
)
def test_metacharacters_in_exact_and_substring_rules(pattern: str, kind: str, matches: bool) -> None:
    task = make_task(title="A.B(C)+", requester_id="", requester_name="")
    assert rule_matches(block(pattern, kind), task, NOW) is matches


def test_hostile_wildcard_finishes() -> None:
    # A naive backtracking matcher takes exponential time here; ours is at worst len(p)·len(text).
    task = make_task(title="a" * 5_000, requester_id="", requester_name="")
    assert not rule_matches(block("*a" * 40 + "*b", "wildcard"), task, NOW)


@pytest.mark.parametrize(
    ("pattern", "name"),
    [
        ("ünïcödé lab", "ÜNÏCÖDÉ Lab"),
        ("Straße GmbH", "STRASSE GMBH"),  # casefold: ß == ss
        ("café", "cafe\u0301"),  # composed pattern, decomposed name
        ("ＡＢＣ Research", "abc research"),  # full-width letters
        ("研究室", "研究室"),
        ("ΣΟΦΊΑ", "σοφία"),
    ],
)
def test_unicode_names_compare_caselessly(pattern: str, name: str) -> None:
    task = make_task(requester_name=name)
    assert rule_matches(block(pattern), task, NOW)


def test_accents_are_not_ignored() -> None:
    assert not rule_matches(block("cafe"), make_task(requester_name="Café"), NOW)


def test_blank_fields_are_not_matched_by_blank_patterns() -> None:
    # Unvalidated blank rules must not block every requester that has no name.
    task = make_task(requester_name="")
    assert not rule_matches(block("   "), task, NOW)
    assert not rule_matches(block("", "substring"), task, NOW)


def test_unknown_match_kind_never_matches() -> None:
    rule = ListRule(pattern="SH Hong", match="regex")  # type: ignore[arg-type]
    assert not rule_matches(rule, make_task(), NOW)


# ---------------------------------------------------------------------------------------------
# Expiry


def test_expired_rules_are_ignored() -> None:
    past = block("SH Hong", expires_at=NOW - timedelta(seconds=1))
    at_now = block("SH Hong", expires_at=NOW)
    future = block("SH Hong", expires_at=NOW + timedelta(days=30))
    assert not rule_matches(past, make_task(), NOW)
    assert not rule_matches(at_now, make_task(), NOW)  # expiry is exclusive of the instant itself
    assert rule_matches(future, make_task(), NOW)
    assert not judge(block=[past]).hidden
    assert judge(block=[future]).hidden


def test_expiry_compares_instants_across_time_zones() -> None:
    plus_two = timezone(timedelta(hours=2))
    still_live = block("SH Hong", expires_at=datetime(2025, 6, 1, 14, 30, tzinfo=plus_two))  # 12:30 UTC
    expired = block("SH Hong", expires_at=datetime(2025, 6, 1, 13, 30, tzinfo=plus_two))  # 11:30 UTC
    assert rule_matches(still_live, make_task(), NOW)
    assert not rule_matches(expired, make_task(), NOW)


def test_naive_datetimes_are_taken_as_utc_instead_of_raising() -> None:
    naive_future = block("SH Hong", expires_at=datetime(2025, 6, 1, 12, 30))
    assert rule_matches(naive_future, make_task(), NOW)
    assert rule_matches(naive_future, make_task(), datetime(2025, 6, 1, 12, 0))
    assert not rule_matches(naive_future, make_task(), datetime(2025, 6, 1, 13, 0))


def test_expired_include_rule_no_longer_overrides() -> None:
    v = judge(block=[block("SH Hong")], include=[block("A2XMTURK1", expires_at=NOW - timedelta(days=1))])
    assert v.hidden and not v.included


# ---------------------------------------------------------------------------------------------
# Include list


def test_include_overrides_every_reason_but_keeps_them_listed() -> None:
    v = judge(
        make_task(qualified=False),
        hourly=300.0,
        block=[block("sh hong")],
        include=[block("A2XMT*", "wildcard")],
        min_hourly_cents=900,
        qualified_only=True,
    )
    assert v.included
    assert not v.hidden
    assert codes(v) == ["blocked", "below_min_hourly", "not_qualified"]


def test_include_alone_marks_the_task_included() -> None:
    v = judge(include=[block("hong", "substring")])
    assert v == Verdict(hidden=False, reasons=[], included=True)


def test_include_that_does_not_match_changes_nothing() -> None:
    v = judge(block=[block("SH Hong")], include=[block("Someone Else")])
    assert v.hidden and not v.included


# ---------------------------------------------------------------------------------------------
# Block reason messages


def test_block_message_names_requester_and_pattern() -> None:
    v = judge(block=[block("nobody"), block("sh hong"), block("A2XMTURK1")])
    # Only the first matching rule is reported.
    assert v.reasons == [Reason("blocked", "requester SH Hong is on your block list (matched “sh hong”)")]


def test_block_message_falls_back_to_requester_id() -> None:
    v = judge(make_task(requester_name=""), block=[block("a2xmturk1")])
    assert v.reasons[0].message == "requester A2XMTURK1 is on your block list (matched “a2xmturk1”)"


def test_block_message_for_title_match_and_note() -> None:
    v = judge(block=[block("*receipt*", "wildcard", note="fiddly, pays late")])
    assert v.reasons[0].message == "title matches your block list (“*receipt*”); your note: fiddly, pays late"


def test_block_message_shortens_long_names() -> None:
    v = judge(make_task(requester_name="N" * 500), block=[block("n*", "wildcard")])
    assert len(v.reasons[0].message) < 200
    assert "…" in v.reasons[0].message


# ---------------------------------------------------------------------------------------------
# Pay, reward, duration


def test_min_hourly() -> None:
    v = judge(hourly=510.0, min_hourly_cents=900)
    assert v.hidden
    assert v.reasons == [Reason("below_min_hourly", "$5.10/h, below your $9.00/h minimum")]
    assert not judge(hourly=900.0, min_hourly_cents=900).hidden  # equal is enough
    assert not judge(hourly=899.5, min_hourly_cents=0).hidden


def test_unknown_hourly_never_fails_min_hourly() -> None:
    assert not judge(hourly=None, min_hourly_cents=900).hidden
    assert not judge(hourly=math.nan, min_hourly_cents=900).hidden


def test_hide_unknown_pay() -> None:
    v = judge(hourly=None, hide_unknown_pay=True, min_hourly_cents=900, hide_below_target=True)
    assert codes(v) == ["unknown_pay"]
    assert v.hidden
    for weird in (math.nan, math.inf, -math.inf):
        assert codes(judge(hourly=weird, hide_unknown_pay=True)) == ["unknown_pay"]
    assert not judge(hourly=0.0, hide_unknown_pay=True).hidden  # zero is known (and bad), not unknown


def test_below_target_only_when_asked() -> None:
    assert not judge(hourly=700.0).hidden
    v = judge(hourly=700.0, hide_below_target=True)
    assert v.reasons == [Reason("below_target", "$7.00/h, below your $7.25/h target")]
    assert not judge(hourly=725.0, hide_below_target=True).hidden
    custom = judge(hourly=1400.0, hide_below_target=True, target_cents_per_hour=1500)
    assert custom.reasons == [Reason("below_target", "$14.00/h, below your $15.00/h target")]
    assert not judge(hourly=None, hide_below_target=True).hidden


def test_both_hourly_reasons_are_listed() -> None:
    v = judge(hourly=500.0, min_hourly_cents=600, hide_below_target=True)
    assert codes(v) == ["below_min_hourly", "below_target"]


def test_messages_use_the_task_currency() -> None:
    v = judge(make_task(currency="GBP", reward_cents=40), hourly=600.0, min_hourly_cents=900, min_reward_cents=50)
    assert [r.message for r in v.reasons] == [
        "£6.00/h, below your £9.00/h minimum",
        "pays £0.40, below your £0.50 minimum reward",
    ]


def test_min_reward() -> None:
    v = judge(make_task(reward_cents=10), min_reward_cents=25)
    assert v.reasons == [Reason("below_min_reward", "pays $0.10, below your $0.25 minimum reward")]
    assert not judge(make_task(reward_cents=25), min_reward_cents=25).hidden


def test_max_minutes_uses_the_estimated_duration() -> None:
    v = judge(make_task(stated_seconds=60), duration=45 * 60, max_minutes=30)
    assert v.reasons == [Reason("too_long", "takes about 45 min, over your 30 min limit")]
    # The estimate wins over a short stated duration, and over a long one.
    assert not judge(make_task(stated_seconds=3600), duration=20 * 60, max_minutes=30).hidden
    assert not judge(duration=30 * 60, max_minutes=30).hidden  # exactly the limit is fine
    over_a_bit = judge(duration=30 * 60 + 1, max_minutes=30)
    assert over_a_bit.reasons[0].message == "takes about 31 min, over your 30 min limit"


def test_max_minutes_falls_back_to_the_stated_duration() -> None:
    v = judge(make_task(stated_seconds=40 * 60), duration=None, max_minutes=30)
    assert v.reasons == [Reason("too_long", "stated as 40 min, over your 30 min limit")]
    assert not judge(make_task(stated_seconds=None), duration=None, max_minutes=1).hidden
    assert codes(judge(make_task(stated_seconds=40 * 60), duration=math.nan, max_minutes=30)) == ["too_long"]


# ---------------------------------------------------------------------------------------------
# Keywords


@pytest.mark.parametrize(
    ("keyword", "excluded"),
    [
        ("receipt", True),
        ("RECEIPT", True),
        ("shop receipt", True),  # phrases, in the description
        ("shop  receipt", True),  # whitespace runs do not matter
        ("total", True),
        ("receipts", False),
        ("rec", False),  # whole-word-ish: not a prefix
        ("ceipt", False),
        ("survey", False),
    ],
)
def test_keywords_exclude(keyword: str, excluded: bool) -> None:
    v = judge(keywords_exclude=[keyword])
    assert v.hidden is excluded
    if excluded:
        shown = " ".join(keyword.split())
        assert v.reasons == [Reason("keyword_excluded", f"mentions “{shown}”, which you exclude")]


@pytest.mark.parametrize(
    ("text", "keyword", "found"),
    [
        ("Survey!", "survey", True),
        ("(survey)", "survey", True),
        ("Surveyor wanted", "survey", False),
        ("Learn C++ today", "c++", True),
        ("Learn C++today", "c++", True),  # keyword ends in '+', so no boundary needed after it
        ("Earn $5 fast", "$5", True),
        ("Earn $50 fast", "$5", False),
        ("snake_case_name", "case", False),  # underscore is a word character
        ("Umfrage über Essen", "ÜBER", True),
        ("Überblick", "über", False),
        ("Ankieta — 5 minut", "ankieta", True),
        ("アンケート調査", "アンケート", False),  # no spaces in Japanese: a prefix is glued
        ("The survey the survey", "survey the", True),
    ],
)
def test_keyword_word_boundaries(text: str, keyword: str, found: bool) -> None:
    v = judge(make_task(title=text, description=""), keywords_exclude=[keyword])
    assert ("keyword_excluded" in codes(v)) is found


def test_keywords_include() -> None:
    assert not judge(keywords_include=["receipt", "audio"]).hidden
    assert not judge(keywords_include=["TOTAL"]).hidden  # description counts
    v = judge(keywords_include=["audio", "video"])
    assert v.reasons == [Reason("keyword_missing", "mentions none of your keywords (“audio”, “video”)")]


def test_keyword_messages_list_a_few() -> None:
    task = make_task(title="a b c d e", description="")
    v = judge(task, keywords_exclude=["a", "b", "c", "d", "e"], keywords_include=["x", "y", "z", "w"])
    assert v.reasons == [
        Reason("keyword_excluded", "mentions “a”, “b”, “c” and 2 more, which you exclude"),
        Reason("keyword_missing", "mentions none of your keywords (“x”, “y”, “z” and 1 more)"),
    ]


def test_blank_keywords_are_ignored() -> None:
    assert not judge(keywords_include=["", "  "], keywords_exclude=[""]).hidden


# ---------------------------------------------------------------------------------------------
# Qualifications


@pytest.mark.parametrize(("qualified", "hidden"), [(False, True), (None, False), (True, False)])
def test_qualified_only(qualified: bool | None, hidden: bool) -> None:
    v = judge(make_task(qualified=qualified), qualified_only=True)
    assert v.hidden is hidden
    if hidden:
        assert v.reasons == [Reason("not_qualified", "you are not qualified")]
    assert not judge(make_task(qualified=qualified)).hidden


def test_hide_masters() -> None:
    v = judge(make_task(masters_required=True), hide_masters=True)
    assert codes(v) == ["masters_only"]
    assert not judge(make_task(masters_required=False), hide_masters=True).hidden
    assert not judge(make_task(masters_required=True)).hidden


# ---------------------------------------------------------------------------------------------
# Needs: review flags and platform-declared needs


@pytest.mark.parametrize("need", NEED_NAMES)
def test_each_need_flag_hides_when_chosen(need: str) -> None:
    v = judge(flags=(need,), hide_needs=[need])
    assert v.hidden
    assert codes(v) == [need]
    assert v.reasons[0].message.endswith("(reported by reviewers)")
    assert not judge(flags=(need,)).hidden  # reported but not chosen


def test_need_messages() -> None:
    v = judge(flags=("needs_sight",), hide_needs=["needs_sight"])
    assert v.reasons == [Reason("needs_sight", "needs sight (reported by reviewers)")]


@pytest.mark.parametrize(
    ("declared", "need"),
    [
        ("audio", "needs_hearing"),
        ("camera", "webcam_or_phone"),
        ("microphone", "webcam_or_phone"),
        ("download", "download_or_install"),
        ("Audio", "needs_hearing"),
        ("needs_sight", "needs_sight"),
    ],
)
def test_platform_needs_count(declared: str, need: str) -> None:
    v = judge(make_task(needs=[declared]), hide_needs=[need])
    assert codes(v) == [need]
    assert v.reasons[0].message.endswith("(reported by the platform)")


def test_need_reported_by_both() -> None:
    v = judge(make_task(needs=["audio"]), flags=("needs_hearing",), hide_needs=["needs_hearing"])
    assert v.reasons == [Reason("needs_hearing", "needs hearing (reported by reviewers and the platform)")]


def test_unrelated_flags_and_needs_do_nothing() -> None:
    v = judge(
        make_task(needs=["gps", "audio"]),
        flags=("underpaid", "broken", "works_with_screen_reader"),
        hide_needs=["needs_sight", "captcha"],
    )
    assert not v.hidden


def test_need_reasons_follow_a_fixed_order() -> None:
    v = judge(
        flags=("adult_content", "captcha", "needs_sight"),
        hide_needs=["adult_content", "needs_sight", "captcha", "captcha"],
    )
    assert codes(v) == ["needs_sight", "captcha", "adult_content"]


# ---------------------------------------------------------------------------------------------
# Everything at once


def test_reasons_are_all_listed_in_a_stable_order() -> None:
    task = make_task(
        reward_cents=5,
        qualified=False,
        masters_required=True,
        needs=["audio"],
        title="Survey about receipts",
    )
    v = judge(
        task,
        hourly=200.0,
        duration=3600.0,
        flags=("needs_sight",),
        hide_needs=["needs_hearing", "needs_sight"],
        hide_masters=True,
        qualified_only=True,
        max_minutes=10,
        min_reward_cents=10,
        hide_below_target=True,
        min_hourly_cents=300,
        keywords_include=["transcription"],
        keywords_exclude=["survey"],
        block=[block("sh hong")],
    )
    assert v.hidden
    assert codes(v) == [
        "blocked",
        "keyword_excluded",
        "keyword_missing",
        "below_min_hourly",
        "below_target",
        "below_min_reward",
        "too_long",
        "not_qualified",
        "masters_only",
        "needs_sight",
        "needs_hearing",
    ]


def test_filters_round_trip_through_json() -> None:
    raw = (
        b'{"min_hourly_cents": 900, "block": [{"pattern": "sh hong", "expires_at": "2030-01-01T00:00:00Z"},'
        b' {"pattern": "*survey*", "match": "wildcard", "note": "screeners"}], "hide_needs": ["needs_sight"]}'
    )
    f = msgspec.json.decode(raw, type=Filters)
    validate_filters(f)
    assert f.block[0].match == "exact"
    assert f.block[0].expires_at == datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert msgspec.json.decode(msgspec.json.encode(f), type=Filters) == f
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"hide_needs": ["needs_luck"]}', type=Filters)


def test_verdict_encodes_to_json() -> None:
    v = judge(block=[block("SH Hong")])
    assert msgspec.json.decode(msgspec.json.encode(v)) == {
        "hidden": True,
        "reasons": [{"code": "blocked", "message": "requester SH Hong is on your block list (matched “SH Hong”)"}],
        "included": False,
    }


# ---------------------------------------------------------------------------------------------
# validate_filters


def test_defaults_are_valid() -> None:
    validate_filters(Filters())


def test_a_full_valid_filter_set() -> None:
    validate_filters(
        Filters(
            target_cents_per_hour=1500,
            min_hourly_cents=0,
            min_reward_cents=0,
            max_minutes=60,
            block=[block("x" * MAX_PATTERN_CHARS), block("*survey*", "wildcard", expires_at=NOW)] * 250,
            include=[block("*", "wildcard")],  # trusting everyone is odd but harmless
            keywords_include=["k"] * MAX_KEYWORDS,
            keywords_exclude=["gore"],
            hide_needs=list(NEED_NAMES),  # type: ignore[arg-type]
        )
    )


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (Filters(target_cents_per_hour=0), "target_cents_per_hour"),
        (Filters(target_cents_per_hour=-725), "target_cents_per_hour"),
        (Filters(min_hourly_cents=-1), "min_hourly_cents"),
        (Filters(min_hourly_cents=10**12), "min_hourly_cents"),
        (Filters(min_reward_cents=-5), "min_reward_cents"),
        (Filters(max_minutes=-1), "max_minutes"),
        (Filters(max_minutes=0), "max_minutes"),
        (Filters(block=[block("a"), block("b"), block("")]), "block[2].pattern"),
        (Filters(block=[block("a"), block("b"), block("   ")]), "block[2].pattern"),
        (Filters(block=[block("x" * (MAX_PATTERN_CHARS + 1))]), "block[0].pattern"),
        (Filters(block=[block("*", "wildcard")]), "block[0].pattern"),
        (Filters(block=[block("a"), block(" ** ", "wildcard")]), "block[1].pattern"),
        (Filters(block=[block("?*", "wildcard")]), "block[0].pattern"),
        (Filters(block=[block("＊", "wildcard")]), "block[0].pattern"),  # full-width star
        (Filters(block=[block("a", "regex")]), "block[0].match"),
        (Filters(block=[block("a", expires_at=datetime(2030, 1, 1))]), "block[0].expires_at"),
        (Filters(block=[block("a", note="n" * 501)]), "block[0].note"),
        (Filters(block=[block("a")] * (MAX_RULES + 1)), "block"),
        (Filters(include=[block("a")] * (MAX_RULES + 1)), "include"),
        (Filters(include=[block("ok"), block("")]), "include[1].pattern"),
        (Filters(keywords_include=["k"] * (MAX_KEYWORDS + 1)), "keywords_include"),
        (Filters(keywords_include=["ok", " "]), "keywords_include[1]"),
        (Filters(keywords_exclude=["x" * 201]), "keywords_exclude[0]"),
        (Filters(hide_needs=["needs_sight", "needs_luck"]), "hide_needs[1]"),  # type: ignore[list-item]
    ],
)
def test_validate_filters_names_the_field(filters: Filters, field: str) -> None:
    with pytest.raises(FilterError) as caught:
        validate_filters(filters)
    assert caught.value.field == field
    assert caught.value.message
    assert str(caught.value) == f"{field}: {caught.value.message}"
    assert isinstance(caught.value, ValueError)


def test_star_patterns_are_fine_when_they_do_not_match_everything() -> None:
    validate_filters(Filters(block=[block("*", "exact"), block("*", "substring"), block("???", "wildcard")]))
    validate_filters(Filters(block=[block("A*", "wildcard"), block("*a*", "wildcard")]))


# ---------------------------------------------------------------------------------------------
# Properties

any_text = st.text(max_size=60)
tasks = st.builds(
    Task,
    platform=st.sampled_from(["mturk", "prolific", "toloka"]),
    requester_id=any_text,
    title=any_text,
    reward_cents=st.integers(min_value=-(10**6), max_value=10**9),
    currency=st.sampled_from(["USD", "GBP", "EUR", "XYZ", "", "usd"]),
    requester_name=any_text,
    description=st.text(max_size=200),
    stated_seconds=st.none() | st.integers(min_value=-(10**6), max_value=10**8),
    qualified=st.none() | st.booleans(),
    masters_required=st.booleans(),
    needs=st.lists(st.sampled_from(["audio", "camera", "microphone", "download", "gps"]) | any_text, max_size=4),
)
amounts = st.none() | st.floats(allow_nan=True, allow_infinity=True)
flag_sets = st.lists(st.sampled_from(NEED_NAMES) | any_text, max_size=5)
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)
)
rules = st.builds(
    ListRule,
    pattern=st.text(max_size=20) | st.sampled_from(["*", "?", "sh hong", "*survey*", "A2?MT*", "a.b(c)+"]),
    match=st.sampled_from(["exact", "substring", "wildcard"]),
    expires_at=st.none() | times | st.datetimes(),  # naive ones too: matching must not raise
    note=st.text(max_size=20),
)
filter_sets = st.builds(
    Filters,
    target_cents_per_hour=st.integers(min_value=-10, max_value=10**7),
    min_hourly_cents=st.none() | st.integers(min_value=-10, max_value=10**7),
    min_reward_cents=st.none() | st.integers(min_value=-10, max_value=10**7),
    max_minutes=st.none() | st.integers(min_value=-10, max_value=10**5),
    block=st.lists(rules, max_size=4),
    include=st.lists(rules, max_size=2),
    keywords_include=st.lists(st.text(max_size=10), max_size=3),
    keywords_exclude=st.lists(st.text(max_size=10), max_size=3),
    qualified_only=st.booleans(),
    hide_masters=st.booleans(),
    hide_below_target=st.booleans(),
    hide_unknown_pay=st.booleans(),
    hide_needs=st.lists(st.sampled_from(NEED_NAMES), max_size=8),
)


@given(task=tasks, hourly=amounts, duration=amounts, flags=flag_sets, now=times)
def test_empty_filters_never_hide(
    task: Task, hourly: float | None, duration: float | None, flags: list[str], now: datetime
) -> None:
    v = verdict(task, hourly, duration, flags, Filters(), now)
    assert v == Verdict(hidden=False, reasons=[], included=False)


@given(
    task=tasks, hourly=amounts, duration=amounts, flags=flag_sets, filters=filter_sets, extra=rules, now=times
)
def test_adding_a_block_rule_never_unhides(
    task: Task,
    hourly: float | None,
    duration: float | None,
    flags: list[str],
    filters: Filters,
    extra: ListRule,
    now: datetime,
) -> None:
    filters.include = []
    before = verdict(task, hourly, duration, flags, filters, now)
    more = msgspec.structs.replace(filters, block=[*filters.block, extra])
    after = verdict(task, hourly, duration, flags, more, now)
    if before.hidden:
        assert after.hidden
    assert set(codes(before)) <= set(codes(after))


@given(task=tasks, hourly=amounts, duration=amounts, flags=flag_sets, filters=filter_sets, now=times)
def test_verdict_never_raises_and_is_consistent(
    task: Task, hourly: float | None, duration: float | None, flags: list[str], filters: Filters, now: datetime
) -> None:
    v = verdict(task, hourly, duration, flags, filters, now)
    assert v.hidden == (bool(v.reasons) and not v.included)
    assert all(r.code and r.message for r in v.reasons)
    assert len(codes(v)) == len(set(codes(v)))  # one reason per code
    if v.reasons and v.reasons[0].code != "blocked":
        assert "blocked" not in codes(v)  # block first
    msgspec.json.encode(v)


@given(task=tasks, filters=filter_sets, now=times)
def test_included_tasks_are_never_hidden(task: Task, filters: Filters, now: datetime) -> None:
    filters.include = [ListRule(pattern=task.requester_id or "x", match="substring")]
    v = verdict(task, None, None, ["needs_sight"], filters, now)
    if task.requester_id.strip():
        assert v.included and not v.hidden


def _oracle(pattern: str, text: str) -> bool:
    # Reference: translate to a regex with escaped literals. Fine for tiny inputs only.
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(body, text, flags=re.DOTALL) is not None


@given(pattern=st.text(alphabet="ab*?", min_size=1, max_size=8), text=st.text(alphabet="ab", max_size=10))
def test_wildcard_agrees_with_a_reference_matcher(pattern: str, text: str) -> None:
    task = make_task(title=text, requester_id="", requester_name="")
    assert rule_matches(block(pattern, "wildcard"), task, NOW) is (bool(text) and _oracle(pattern, text))


@given(word=st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=12), task=tasks)
def test_literal_rules_are_ordered_by_strictness(word: str, task: Task) -> None:
    # exact ⇒ substring ⇒ "*word*" wildcard, for patterns without wildcard characters.
    exact = rule_matches(block(word, "exact"), task, NOW)
    substring = rule_matches(block(word, "substring"), task, NOW)
    wildcard = rule_matches(block(f"*{word}*", "wildcard"), task, NOW)
    assert not exact or substring
    assert substring == wildcard


@given(filters=st.builds(
    Filters,
    min_hourly_cents=st.one_of(st.none(), st.integers(0, 5000)),
    max_minutes=st.one_of(st.none(), st.integers(1, 120)),
    hide_below_target=st.booleans(), hide_unknown_pay=st.booleans(), qualified_only=st.booleans(),
    hide_masters=st.booleans(),
    block=st.lists(st.builds(ListRule, pattern=st.sampled_from(["sh hong", "survey"]),
                             match=st.sampled_from(["exact", "substring"])), max_size=1),
    include=st.lists(st.builds(ListRule, pattern=st.just("survey"), match=st.just("substring")), max_size=1),
    keywords_exclude=st.lists(st.sampled_from(["survey", "audio"]), max_size=1),
    hide_needs=st.lists(st.sampled_from(["needs_sight", "needs_hearing"]), max_size=1),
))
def test_inert_filters_really_never_hide_or_include(filters):
    """filters_are_inert lets annotate skip matching; it must only say so when no verdict could differ."""
    task = Task(platform="mturk", requester_id="A1", requester_name="SH Hong", title="Market Research Survey",
                reward_cents=5, qualified=False, masters_required=True, needs=["audio"])
    if filters_are_inert(filters):
        for hourly in (None, 0.0, 100.0, 10_000.0):
            result = verdict(task, hourly, 3600.0, ["needs_sight"], filters, NOW)
            assert not result.hidden and not result.reasons and not result.included
    assert filters_are_inert(Filters())
