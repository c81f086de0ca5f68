"""Speech wording: what the voice view, /api/v1/speech and the audio files say about tasks."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility.speech import (
    FLAG_WORDS,
    SpokenTask,
    for_the_ear,
    list_script,
    say_approval,
    say_count,
    say_duration,
    say_hourly,
    say_money,
    task_sentence,
    to_ssml,
    to_text,
    words_per_minute,
)
from server.domain.vocab import FLAGS

SYMBOLS = set("$£€/~&#%<>*")
SSML = "{http://www.w3.org/2001/10/synthesis}"
HOSTILE = 'Tom & "Jerry" <script>alert(\'x\')</script> ]]> &amp; \x00\x1b\ufffe'


def issue_task(**changes: object) -> SpokenTask:
    """The task of the issue's example sentence."""
    fields: dict[object, object] = dict(
        title="Transcribe 30 seconds of audio", requester_name="Acme Labs", reward_cents=50, currency="USD",
        duration_seconds=240.0, cents_per_hour=750.0, band="good", basis="task", n=5, reviews=12,
        approval_seconds=86400.0, rejections=0, blocks=0, flags=["needs_hearing"], available=40,
    )
    fields.update(changes)
    return SpokenTask(**fields)  # type: ignore[arg-type]


# --- money, time, counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [
        (50, "USD", "50 cents"),
        (1, "USD", "1 cent"),
        (0, "USD", "0 cents"),
        (100, "USD", "1 dollar"),
        (200, "USD", "2 dollars"),
        (750, "USD", "7 dollars 50"),
        (705, "USD", "7 dollars 5 cents"),  # not "7 dollars 5", heard as 7.50
        (101, "USD", "1 dollar 1 cent"),
        (123456, "USD", "1234 dollars 56"),
        (-25, "USD", "minus 25 cents"),
        (225, "GBP", "2 pounds 25"),
        (50, "GBP", "50 pence"),
        (1, "GBP", "1 penny"),
        (100, "GBP", "1 pound"),
        (50, "EUR", "50 euro cents"),
        (225, "EUR", "2 euros 25"),
        (100, "EUR", "1 euro"),
        (1234, "CAD", "12 point 34 C A D"),
        (1205, "CAD", "12 point 0 5 C A D"),
        (1200, "cad", "12 C A D"),
        (1234, " usd ", "12 dollars 34"),
        (1234, "", "12 point 34"),
        (1234, "<&>", "12 point 34"),  # a hostile code says nothing rather than symbols
    ],
)
def test_say_money(cents: int, currency: str, expected: str) -> None:
    assert say_money(cents, currency) == expected


def test_say_money_default_currency_and_nan() -> None:
    assert say_money(750) == "7 dollars 50"
    with pytest.raises(ValueError):
        say_money(float("nan"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rate", "currency", "expected"),
    [
        (750, "USD", "7 dollars 50 an hour"),
        (749.6, "USD", "7 dollars 50 an hour"),
        (750.5, "USD", "7 dollars 51 an hour"),  # half up
        (50, "USD", "50 cents an hour"),
        (900, "GBP", "9 pounds an hour"),
        (None, "USD", "unknown hourly pay"),
        (float("nan"), "USD", "unknown hourly pay"),
        (float("inf"), "USD", "unknown hourly pay"),
    ],
)
def test_say_hourly(rate: float | None, currency: str, expected: str) -> None:
    assert say_hourly(rate, currency) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (None, "unknown time"),
        (float("nan"), "unknown time"),
        (-5, "unknown time"),
        (0, "under a minute"),
        (59, "under a minute"),
        (60, "about 1 minute"),
        (89, "about 1 minute"),
        (90, "about 2 minutes"),
        (240, "about 4 minutes"),
        (3599, "about 1 hour"),
        (3600, "about 1 hour"),
        (4200, "about 1 hour 10 minutes"),
        (4260, "about 1 hour 10 minutes"),  # 71 minutes: five-minute steps above an hour
        (4380, "about 1 hour 15 minutes"),  # 73 minutes
        (7200, "about 2 hours"),
        (3 * 3600 + 160, "about 3 hours 5 minutes"),
    ],
)
def test_say_duration(seconds: float | None, expected: str) -> None:
    assert say_duration(seconds) == expected


@pytest.mark.parametrize(
    ("n", "noun", "plural", "expected"),
    [
        (0, "review", None, "no reviews"),
        (1, "review", None, "1 review"),
        (3, "review", None, "3 reviews"),
        (2, "person", "people", "2 people"),
        (0, "person", "people", "no people"),
        (1, "person", "people", "1 person"),
    ],
)
def test_say_count(n: int, noun: str, plural: str | None, expected: str) -> None:
    assert say_count(n, noun, plural) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (None, ""),
        (float("nan"), ""),
        (600, "approves within an hour"),
        (3600, "approves within an hour"),
        (5 * 3600, "approves in about 5 hours"),
        (20 * 3600, "approves in about a day"),
        (86400, "approves in about a day"),
        (1.4 * 86400, "approves in about a day"),
        (1.6 * 86400, "approves in about 2 days"),
        (3 * 86400, "approves in about 3 days"),
    ],
)
def test_say_approval(seconds: float | None, expected: str) -> None:
    assert say_approval(seconds) == expected


def test_flag_words_cover_the_vocabulary_without_symbols() -> None:
    assert set(FLAG_WORDS) == set(FLAGS)
    assert FLAG_WORDS["needs_hearing"] == "needs hearing"
    assert FLAG_WORDS["personal_data"] == "asks for personal data"
    assert FLAG_WORDS["screen_reader_ok"] == "works with a screen reader"
    for phrase in FLAG_WORDS.values():
        assert phrase and not SYMBOLS & set(phrase) and "_" not in phrase


# --- for_the_ear ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$2.76/h, below your $3.00/h minimum", "2 dollars 76 an hour, below your 3 dollars an hour minimum"),
        ("$2.76/h, below your $9.00/h target", "2 dollars 76 an hour, below your 9 dollars an hour target"),
        ("pays $0.50, below your $1.00 minimum reward", "pays 50 cents, below your 1 dollar minimum reward"),
        ("takes about 31 min, over your 30 min limit", "takes about 31 minutes, over your 30 minute limit"),
        ("£2.25/h and €1.50", "2 pounds 25 an hour and 1 euro 50"),
        ("12.34 CAD/h, below your 15.00 CAD/h minimum", "12 point 34 C A D an hour, below your 15 C A D an hour minimum"),
        ("$12 per hour", "12 dollars an hour"),
        ("-$0.25", "minus 25 cents"),
        ("$1,234.56", "1234 dollars 56"),
        ("earn 50¢", "earn 50 cents"),
        ("~ 10 minutes", "about 10 minutes"),
        ("~10 min", "about 10 minutes"),
        ("approx. 5 mins", "about 5 minutes"),
        ("1 min survey", "1 minute survey"),
        ("Cats & dogs", "Cats and dogs"),
        ("Images e.g. cats, i.e. pets", "Images for example cats, that is pets"),
        ("Survey w/ audio", "Survey with audio"),
        ("Survey w/o audio", "Survey without audio"),
        ("5 HITs left, 1 HIT each", "5 tasks left, 1 task each"),
        ("100% approval", "100 percent approval"),
        ("Batch #3", "Batch number 3"),
        ("Survey part 1/3", "Survey part 1 of 3"),
        ("Audio/video tagging", "Audio video tagging"),
        ("<5 min survey", "under 5 minutes survey"),
        ("*NEW* <b>bonus</b> task", "NEW bonus task"),
        ("Visit https://www.example.com/study?id=3 today", "Visit a link to example.com today"),
        ("Quick survey…", "Quick survey"),
        ("Wait... what", "Wait what"),
        ("$$$ fast ~~ money", "fast money"),
        ("title matches your block list (“survey”); your note: spam & junk",
         "title matches your block list (“survey”); your note: spam and junk"),
        ("needs hearing (reported by reviewers and the platform)", "needs hearing (reported by reviewers and the platform)"),
        ("Plain words stay, even HITCHHIKER and hit", "Plain words stay, even HITCHHIKER and hit"),
        ("", ""),
    ],
)
def test_for_the_ear(text: str, expected: str) -> None:
    assert for_the_ear(text) == expected


@given(st.text())
def test_for_the_ear_leaves_no_symbols(text: str) -> None:
    spoken = for_the_ear(text)
    assert not SYMBOLS & set(spoken)
    assert spoken == spoken.strip()
    assert "\n" not in spoken


# --- task_sentence ----------------------------------------------------------------------------------------


def test_the_issues_example_sentence() -> None:
    # The issue writes "approves in a day"; say_approval's wording is "approves in about a day".
    assert task_sentence(issue_task()) == (
        "Transcribe 30 seconds of audio. About 4 minutes, pays 50 cents: 7 dollars 50 an hour, good. "
        "Requester approves in about a day, no rejections reported. Needs hearing."
    )


def test_short_and_full() -> None:
    assert task_sentence(issue_task(), "short") == "Transcribe 30 seconds of audio. 7 dollars 50 an hour, good. Needs hearing."
    assert task_sentence(issue_task(), "full") == (
        "Transcribe 30 seconds of audio. About 4 minutes, pays 50 cents: 7 dollars 50 an hour, good, timed by 5 workers. "
        "Requester Acme Labs, 12 reviews, approves in about a day, no rejections reported. Needs hearing. "
        "40 tasks available."
    )


def test_unknown_verbosity() -> None:
    with pytest.raises(ValueError):
        task_sentence(issue_task(), "loud")
    with pytest.raises(ValueError):
        list_script([], "loud")


@pytest.mark.parametrize(
    ("changes", "pay"),
    [
        ({"band": "ok"}, "About 4 minutes, pays 50 cents: 7 dollars 50 an hour, okay."),
        ({"band": "low"}, "About 4 minutes, pays 50 cents: 7 dollars 50 an hour, low."),
        ({"band": "avoid"}, "About 4 minutes, pays 50 cents: 7 dollars 50 an hour, avoid."),
        ({"basis": "stated", "band": "ok"},
         "About 4 minutes, pays 50 cents: the requester claims 7 dollars 50 an hour, okay."),
        ({"n": 1, "accounts": 1}, "About 4 minutes, pays 50 cents: 7 dollars 50 an hour, good, 1 timing."),
        ({"n": 3, "accounts": 1}, "About 4 minutes, pays 50 cents: 7 dollars 50 an hour, good, 3 timings from 1 account."),
        ({"n": 6, "accounts": 4}, "About 4 minutes, pays 50 cents: 7 dollars 50 an hour, good."),
        ({"duration_seconds": None, "cents_per_hour": None, "band": "unknown", "basis": "unknown", "n": 0},
         "Pays 50 cents, hourly pay unknown, no timings yet."),
        ({"duration_seconds": None, "cents_per_hour": None, "band": "avoid", "basis": "unknown", "n": 0},
         "Pays 50 cents, hourly pay unknown, avoid, no timings yet."),
        ({"currency": "GBP", "reward_cents": 225, "duration_seconds": 4200, "cents_per_hour": 192.86},
         "About 1 hour 10 minutes, pays 2 pounds 25: 1 pound 93 an hour, good."),
    ],
)
def test_pay_wording(changes: dict[str, object], pay: str) -> None:
    assert f"audio. {pay} Requester" in task_sentence(issue_task(**changes))


@pytest.mark.parametrize(
    ("changes", "requester"),
    [
        ({"rejections": 2, "blocks": 1}, "Requester approves in about a day, 2 rejections and 1 block reported."),
        ({"rejections": 1}, "Requester approves in about a day, 1 rejection reported."),
        ({"blocks": 3}, "Requester approves in about a day, 3 blocks reported."),
        ({"approval_seconds": None}, "No rejections reported."),
        ({"approval_seconds": None, "reviews": 0}, "Requester has no reviews yet."),
        ({"reviews": 0}, "Requester approves in about a day, no reviews yet."),
        ({"approval_seconds": 1200}, "Requester approves within an hour, no rejections reported."),
    ],
)
def test_requester_wording(changes: dict[str, object], requester: str) -> None:
    assert f"an hour, good. {requester} Needs hearing." in task_sentence(issue_task(**changes))


def test_flags_avoid_reasons_first_then_vocabulary_order() -> None:
    task = issue_task(flags=["screen_reader_ok", "needs_hearing", "personal_data", "needs_hearing", "odd_new_flag"])
    assert task_sentence(task).endswith(
        "no rejections reported. Asks for personal data, works with a screen reader, needs hearing, odd new flag."
    )
    assert task_sentence(issue_task(flags=[])).endswith("no rejections reported.")


def test_hidden_reasons_are_spoken_at_every_verbosity() -> None:
    task = issue_task(hidden_reasons=["$2.76/h, below your $3.00/h minimum", "needs hearing (reported by reviewers)"])
    hidden = "Hidden: 2 dollars 76 an hour, below your 3 dollars an hour minimum; needs hearing (reported by reviewers)."
    for verbosity in ("short", "normal", "full"):
        assert task_sentence(task, verbosity).endswith(hidden)
    assert task_sentence(issue_task(hidden_reasons=["$$$"])).endswith("Needs hearing. Hidden by your filters.")


def test_long_titles_are_trimmed_to_twelve_words_without_ellipsis() -> None:
    title = "One two three four five six seven eight nine ten eleven twelve, thirteen fourteen…"
    spoken = task_sentence(issue_task(title=title), "short")
    assert spoken.startswith("One two three four five six seven eight nine ten eleven twelve. 7 dollars 50")
    assert "…" not in task_sentence(issue_task(title="Quick survey…"))
    assert task_sentence(issue_task(title="Is this a cat?"), "short").startswith("Is this a cat? 7 dollars")
    assert task_sentence(issue_task(title="  $$$ "), "short").startswith("Untitled task. 7 dollars")
    assert task_sentence(issue_task(title="?!"), "short").startswith("Untitled task. 7 dollars")


def test_full_says_an_unnamed_requester_and_no_tasks_left() -> None:
    spoken = task_sentence(issue_task(requester_name="", reviews=0, available=0), "full")
    assert "Requester without a name, approves in about a day, no reviews yet." in spoken
    assert spoken.endswith("Needs hearing. No tasks available.")
    spoken = task_sentence(issue_task(requester_name="Acme", reviews=0, approval_seconds=None), "full")
    assert "Requester Acme has no reviews yet. Needs hearing." in spoken


def test_symbols_in_titles_and_names_are_spoken_as_words() -> None:
    task = issue_task(title="Tag images & text w/ keywords (100% pay) #2", requester_name="A/B <Labs>")
    spoken = task_sentence(task, "full")
    assert spoken.startswith("Tag images and text with keywords (100 percent pay) number 2.")
    assert "Requester A B, 12 reviews" in spoken


floats = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.floats(min_value=0, max_value=1e7))
spoken_tasks = st.builds(
    SpokenTask,
    title=st.one_of(st.text(), st.text(alphabet=" $£€/~&#%<>*.0123456789hminHITw", max_size=40)),
    requester_name=st.text(),
    reward_cents=st.integers(min_value=-10**6, max_value=10**9),
    currency=st.one_of(st.sampled_from(["USD", "GBP", "EUR", "CAD", ""]), st.text(max_size=5)),
    duration_seconds=floats,
    cents_per_hour=floats,
    band=st.sampled_from(["good", "ok", "low", "avoid", "unknown", "strange"]),
    basis=st.sampled_from(["task", "requester", "stated", "unknown"]),
    n=st.integers(min_value=0, max_value=1000),
    reviews=st.integers(min_value=0, max_value=10**6),
    approval_seconds=floats,
    rejections=st.integers(min_value=0, max_value=1000),
    blocks=st.integers(min_value=0, max_value=1000),
    flags=st.lists(st.one_of(st.sampled_from(FLAGS), st.text(max_size=20)), max_size=5),
    hidden_reasons=st.lists(st.text(), max_size=3),
    available=st.one_of(st.none(), st.integers(min_value=0, max_value=10**6)),
)


@settings(max_examples=300)
@given(spoken_tasks)
def test_no_symbols_in_any_sentence(task: SpokenTask) -> None:
    for verbosity in ("short", "normal", "full"):
        spoken = task_sentence(task, verbosity)
        assert not SYMBOLS & set(spoken), spoken
        assert "\n" not in spoken
        assert spoken.endswith((".", "?", "!"))
    for line in list_script([task], hidden_count=2):
        assert not SYMBOLS & set(line)


@given(spoken_tasks)
def test_verbosity_ordering(task: SpokenTask) -> None:
    short, normal, full = (task_sentence(task, v) for v in ("short", "normal", "full"))
    assert len(short) < len(normal) < len(full)
    first_word = short.split(" ")[0]
    assert normal.split(" ")[0] == first_word == full.split(" ")[0]


# --- the list and its output ------------------------------------------------------------------------------


def test_list_script() -> None:
    cheap = issue_task(title="Tag photos", reward_cents=5, cents_per_hour=300.0, band="low", flags=[])
    script = list_script([issue_task(), cheap], hidden_count=3)
    assert script == [
        "2 tasks, best paid first. 3 more hidden by your filters.",
        "Task 1. " + task_sentence(issue_task()),
        "Task 2. " + task_sentence(cheap),
    ]
    assert list_script([issue_task()], "short")[0] == "1 task."
    assert list_script([issue_task()], "short")[1] == "Task 1. " + task_sentence(issue_task(), "short")
    assert list_script([]) == ["No tasks match your filters."]
    assert list_script([], hidden_count=4) == ["No tasks match your filters. 4 hidden by your filters."]


def test_to_text() -> None:
    assert to_text(["One.", "Task 1. Two."]) == "One.\nTask 1. Two."
    assert to_text([]) == ""


def test_to_ssml_structure() -> None:
    ssml = to_ssml(["2 tasks, best paid first.", "Task 1. Cats & dogs. Pays 5 cents."])
    assert ssml.endswith(
        '<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">'
        "<p><s>2 tasks, best paid first.</s></p>"
        '<break time="300ms"/>'
        "<p><s>Task 1.</s><s>Cats &amp; dogs.</s><s>Pays 5 cents.</s></p>"
        "</speak>"
    )
    root = ET.fromstring(ssml)
    assert root.tag == f"{SSML}speak"
    assert root.get("version") == "1.1"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-US"
    assert [p.tag for p in root] == [f"{SSML}p", f"{SSML}break", f"{SSML}p"]
    assert [s.text for s in root.iter(f"{SSML}s")] == ["2 tasks, best paid first.", "Task 1.", "Cats & dogs.", "Pays 5 cents."]


def test_to_ssml_rate() -> None:
    root = ET.fromstring(to_ssml(["Hello."], rate=150))
    (prosody,) = list(root)
    assert prosody.tag == f"{SSML}prosody" and prosody.get("rate") == "150%"
    assert [s.text for s in prosody.iter(f"{SSML}s")] == ["Hello."]
    assert "prosody" not in to_ssml(["Hello."])
    assert ET.fromstring(to_ssml(["Hello."], rate=50)) is not None
    assert ET.fromstring(to_ssml(["Hello."], rate=400)) is not None
    for rate in (49, 401, 0, -100):
        with pytest.raises(ValueError):
            to_ssml(["Hello."], rate=rate)
    assert ET.fromstring(to_ssml([])).tag == f"{SSML}speak"


def test_to_ssml_escapes_hostile_text_even_unspoken() -> None:
    root = ET.fromstring(to_ssml([HOSTILE], rate=120))
    text = " ".join(s.text or "" for s in root.iter(f"{SSML}s"))
    assert "<script>alert('x')</script>" in text and '"Jerry"' in text and "&amp;" in text


@given(st.text(), st.integers(min_value=50, max_value=400))
def test_ssml_of_any_title_parses(title: str, rate: int) -> None:
    script = list_script([issue_task(title=title, requester_name=title)], "full")
    root = ET.fromstring(to_ssml(script, rate))
    assert root.tag == f"{SSML}speak"
    assert ET.fromstring(to_ssml([title], rate)).tag == f"{SSML}speak"


@pytest.mark.parametrize(("rate", "wpm"), [(100, 175), (50, 88), (200, 350), (150, 263), (400, 450), (10, 80), (300, 450)])
def test_words_per_minute(rate: int, wpm: int) -> None:
    assert words_per_minute(rate) == wpm
