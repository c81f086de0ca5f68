"""scrapers.durations: one test per rule of the module docstring, plus totality and bounds.

The precision and recall on real HITs are in test_durations_corpus.py.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrapers import durations
from scrapers.durations import MAX_STATED_SECONDS, stated_seconds_from_text


def read(text: str) -> int | None:
    return stated_seconds_from_text(text)


# Rule 1: a number and a time unit, in the forms requesters use.
@pytest.mark.parametrize(
    "text, seconds",
    [
        ("Short survey (~ 10 minutes)", 600),
        ("(5 minutes) Judgements of Persons", 300),
        ("Complete a 4 minute study for $0.40.", 240),
        ("4-Minute Survey - Decision Making", 240),
        ("Five-minute survey on sleep", 300),
        ("Answer a short survey (~30 min)", 1800),
        ("Tappability & Multiple Choice (3 mins)", 180),
        ("Take a brief (~6 min) survey", 360),
        ("~15 mins", 900),
        ("Survey (10 minutes)", 600),
        ("1 hr", 3600),
        ("2 hrs", 7200),
        ("1 hour", 3600),
        ("1.5 hours", 5400),
        ("30 sec", 30),
        ("Grand Total - 5 seconds", 5),
        ("finish and earn in 30 secs!", 30),
        ("Quick task (10m)", 600),
        ("~60min task, ~$7/hr", 3600),
        ("1 hr 30 min", 5400),
        ("1h30m interview", 5400),
        ("1 hour and 15 minutes", 4500),
        ("About half an hour", 1800),
        ("This should only take a minute.", 60),
        ("takes an hour", 3600),
        ("an hour and a half", 5400),
        ("Short Two Question Survey(~ 1 minutes)", 60),
        ("Evaluation of News Headlines \u2013 approx. 10 minutes.", 600),
    ],
)
def test_number_and_unit(text: str, seconds: int) -> None:
    assert read(text) == seconds


@pytest.mark.parametrize(
    "text", ["Over the course of the next 6 days", "18 years or older", "Results in 2 weeks", "a 3-month study"]
)
def test_days_weeks_months_years_are_not_task_durations(text: str) -> None:
    assert read(text) is None


# Rule 2: a range reads as its upper bound.
@pytest.mark.parametrize(
    "text, seconds",
    [
        ("5-10 min", 600),
        ("Nonprofit Attitudes Survey (about 5-10 minutes)", 600),
        ("The approximate time required is 10 to 15 minutes.", 900),
        ("10–20 mins", 1200),
        ("Survey 5 or 10 minutes", 600),
        ("(40 cents for 15-20 min)", 1200),
        ("takes a minute or two", 120),
        ("30 sec - 2 min", 120),
        ("Study 2018 - 10 minutes", 600),  # 2018 > 10: not a range, the year is ignored
        ("The task will take between 1 hour and 1 hour 20 minutes to complete.", 4800),
        ("between 10 and 15 minutes", 900),
        ("between 15 minutes and 10 minutes", 900),  # not a range: the first figure is read
    ],
)
def test_range_is_its_upper_bound(text: str, seconds: int) -> None:
    assert read(text) == seconds


# Rule 3: a bound reads as the bound; vague amounts state nothing.
@pytest.mark.parametrize(
    "text, seconds",
    [
        ("Find company information - takes less than 1 minute", 60),
        ("takes less than a minute", 60),
        ("One small task about choices (Less than 5 min)", 300),
        ("< 1 minute", 60),
        ("under 5 min", 300),
        ("will take no more than 10 minutes to complete", 600),
        ("may take up to 20 minutes", 1200),
        ("chat for at least 10 minutes", 600),
    ],
)
def test_bound_is_the_bound(text: str, seconds: int) -> None:
    assert read(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["Should only take a few minutes to do.", "a couple of minutes", "minutes", "Results come back in an hour"],
)
def test_vague_amounts_state_nothing(text: str) -> None:
    assert read(text) is None


# Rule 4: the first acceptable mention wins.
def test_first_mention_wins() -> None:
    assert read("Takes 10 min; you have 60 minutes") == 600
    assert read("It will take approximately 25-35 minutes on average, but may take up to 60 minutes") == 2100
    assert read("2-4 minute survey, provide judgments(~ 3 minutes)") == 240


# Rule 5: never a length of media.
@pytest.mark.parametrize(
    "text",
    [
        # the figure before the media it measures
        "Listen to a 18 seconds audio clip and transcribe what is said.",
        "Upload 1-minute screencast of a website",
        "Decide if a 10 sec video segment contains sensitive content.",
        "Watch a 2 minute YouTube video",
        "Rate a 30-second commercial",
        "Transcribe up to 35 Seconds of Media to Text - Earn up to $0.17 per HIT!!",
        "Transcribe up to 35 seconds of General Content into text.",
        "Spanish: Transcribe up to 35 Seconds of Spanish Language Media to Text",
        "Transcribe 2 minutes of audio",
        "Record your screen while you spend 1 minute talking about a website.",
        "5-10 second clips of your hands",
        # the figure after the media it measures
        "You will record 13 short videos (2 sec) of yourself showing fingers.",
        "You will record 12 short videos (3 sec.) of yourself.",
        "record short clips of 2-5 seconds using your phone",
        "Review media transcription for content accuracy. A2586028 (Audio length: 1 hour 7 minutes 7 seconds)",
        "Transcribe Video A2585983 (Video length: 17 minutes 59 seconds)",
        "Listen to the song for at least 30 Seconds and answer a survey about it.",
        "Provide edits for machine Transcribed Audio - Less than 30 seconds",
        "Rate 10 audio clips, each 5 seconds long",
        "Watch a video that is 2 minutes long",
        "Record yourself for 30 seconds",
        "Talk for 1 minute about your day",
    ],
)
def test_media_lengths_are_never_durations(text: str) -> None:
    assert read(text) is None


@pytest.mark.parametrize(
    "text, seconds",
    [
        # the task's own estimate is still read beside a media length
        ("Watch a 2-minute video and answer questions (~ 10 minutes)", 600),
        ("Listen to 5 audio clips, about 10 seconds each, and rate them (3 min)", 180),
        # "media", "audio", "video" as a topic or a name, not a clip being measured
        ("15 mins survey-- make judgments about media(~ 15 minutes)", 900),
        ("The appearance of far-right political figures on mainstream media(~ 30 minutes)", 1800),
        ("The Audio Speed Game ($1.10 for ~9 min)", 540),
        ("5 minute survey about videos", 300),
        ("Give us 10 minutes of your time", 600),
        ("Watch videos and answer questions (10 min)", 600),
        # CloudResearch's appended estimate always counts
        ("Rate short videos(~ 5 minutes)", 300),
    ],
)
def test_task_estimates_beside_media_are_read(text: str, seconds: int) -> None:
    assert read(text) == seconds


# Rule 6: never a time limit, a delay or a rate.
@pytest.mark.parametrize(
    "text, seconds",
    [
        ("You have 60 minutes to complete this 10 minute survey", 600),
        ("You have 60 minutes", None),
        ("Time limit: 30 minutes", None),
        ("Time allotted: 1 hour", None),
        ("Please complete within 20 minutes", None),
        ("This HIT expires in 3 hours", None),
        ("Bonus paid within 24 hours", None),
        ("Approved in 48 hours", None),
        ("After 5 minutes the button appears", None),
        ("Take a break every 10 minutes", None),
        ("Earn $1 per 10 minutes", None),
        ("$0.50/5 min", None),
        ("Only workers active in the past 24 hours", None),
        ("Only workers active in the last 24 hours", None),
        ("The HIT will only open to be accepted for 10 minutes, but it will last 1 hour)", 3600),
        ("Available for 2 hours only", None),
        # pauses inside the task
        ("Both clips are played one after the other with 1 second break.", None),
        ("Take a 5-minute break halfway; the study takes 40 minutes", 2400),
        # "last" as a verb is a duration; "have ... free" is what the task needs
        ("The task will last about 20 minutes", 1200),
        ("Make sure that you have about 30 minutes free to work on this task", 1800),
        ("Please allow 20 minutes to complete this survey", 1200),
        ("Time allowed: 60 minutes", None),
        ("The HIT allows you 60 minutes", None),
    ],
)
def test_limits_delays_and_rates_are_not_durations(text: str, seconds: int | None) -> None:
    assert read(text) == seconds


# Rule 7: money, rates, years, ages, counts, ids and clock times.
@pytest.mark.parametrize(
    "text",
    [
        "$1.50 bonus",
        "Earn $7.25/hr",
        "Paid 12 per hour",
        "£2.50 per 5",
        "Study 2018",
        "Music of the 1990s",
        "Personality, Pornography and Sexuality (males 18-24 only!)",
        "Read a brief essay. 18-30 year olds.",
        "Label 10 images",
        "[FUN TASK] Record 13 quick videos of yourself",
        "10 minimum approvals",
        "Identify the brands featured in banner ads - 2017-08-09 23:11:57.",
        "Ad Check Id : 05cdd95d-317e-4207-9b32-7f5a52461dcf",
        "Timing review - Earn up to $0.18 per timed media minute",
        "",
    ],
)
def test_not_durations(text: str) -> None:
    assert read(text) is None


# Rule 8: whole seconds, capped, zero is nothing.
def test_rounded_capped_and_zero_is_nothing() -> None:
    assert read("0.5 min") == 30
    assert read("1.25 minutes") == 75
    assert read("100 hours") == MAX_STATED_SECONDS
    assert read("0 minutes") is None


def test_non_strings_are_nothing() -> None:
    assert stated_seconds_from_text(None) is None  # type: ignore[arg-type]
    assert stated_seconds_from_text(10) is None  # type: ignore[arg-type]
    assert stated_seconds_from_text(b"10 minutes") is None  # type: ignore[arg-type]


def test_only_the_beginning_is_read() -> None:
    padding = "x" * durations._SCAN_CHARS
    assert read(padding + " 10 minutes") is None
    assert read("10 minutes " + padding) == 600


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=400))
def test_never_raises_and_stays_in_bounds(text: str) -> None:
    result = stated_seconds_from_text(text)
    assert result is None or (type(result) is int and 0 < result <= MAX_STATED_SECONDS)


_PIECES = st.sampled_from(
    ["1", "10", "-", " ", "min", "minutes", "hr", "sec", "(", "~", ")", "of", "audio", "video", "clip",
     "you have", "per", "/", "$", ".", "a", "an", "hour", "and", "half", "less than", "to", "or", "two"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=60).map(" ".join))
def test_duration_shaped_text_never_raises_and_stays_in_bounds(text: str) -> None:
    result = stated_seconds_from_text(text)
    assert result is None or (type(result) is int and 0 < result <= MAX_STATED_SECONDS)


@pytest.mark.parametrize(
    "text",
    [
        "1" * 200_000,
        "1 " * 100_000,
        "1-" * 100_000,
        "one " * 50_000,
        "." * 200_000,
        "1 min " * 40_000,
        "audio " * 40_000 + "1 min",
        "1 min" + " " * 200_000 + "of audio",
        "(~ " * 60_000,
    ],
)
def test_hostile_text_reads_nothing_past_the_scan_limit(text: str) -> None:
    # Bounded by construction (only _SCAN_CHARS are read, each look-around reads a fixed window);
    # this checks the answer on such input stays in bounds. Speed is not asserted by a timed test.
    result = stated_seconds_from_text(text)
    assert result is None or 0 < result <= MAX_STATED_SECONDS
