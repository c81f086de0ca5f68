"""Durations requesters state for their tasks, read from HIT titles and descriptions.

`stated_seconds_from_text(text)` answers "how long does the requester say this task takes?" in whole
seconds, or None when the text says nothing usable. It is pure (no I/O, no state), never raises, reads
at most the first 10,000 characters, and always answers None or an int in 1..MAX_STATED_SECONDS.

What counts as a stated duration (rules; tests/unit/test_durations.py has one test per rule):

1. A number and a time unit: "(~ 10 minutes)", "4 minute study", "~15 mins", "1 hr", "30 secs",
   "1h30m", "1 hr 30 min", "Five-minute survey", "half an hour", "a minute", "an hour and a half".
   Units are hours, minutes and seconds (h/hr/hrs/hour, m/min/mins/minute, sec/secs/second). Days,
   weeks, months and years are never task durations ("next 6 days", "18 years or older").
2. A range reads as its upper bound, the worst case a worker should plan for: "5-10 min" -> 600,
   "10 to 15 minutes" -> 900, "between 1 hour and 1 hour 20 minutes" -> 4800, "a minute or two" -> 120.
   A "range" whose first number is bigger than the second is not one ("Study 2018 - 10 minutes" -> 600).
3. A bound reads as the bound: "takes less than 1 minute", "under 5 min", "no more than 10 minutes",
   "up to 20 minutes", "at least 10 minutes" -> 60, 300, 600, 1200, 600. "A few minutes" is too vague
   and states nothing.
4. The first acceptable mention wins: requesters put their estimate first and a later figure is usually
   a worst case or a time limit ("approximately 25-35 minutes, but may take up to 60" -> 2100).
5. Never a length of media. A figure is skipped when it measures a clip, video, audio, recording, song,
   screencast, track, footage, podcast, film, speech or "seconds of media/content":
   - followed by the media: "18 seconds audio clip", "Upload 1-minute screencast", "10 sec video",
     "35 Seconds of Media", "2 minutes of audio", "spend 1 minute talking" (a recording's length);
   - or right after it: "13 short videos (2 sec)", "clips of 2-5 seconds", "(Audio length: 1 hour 7
     minutes)", "Listen to the song for at least 30 Seconds", "Transcribed Audio - Less than 30 seconds",
     "record yourself for 30 seconds".
   The task's own estimate elsewhere in the text is still read: "Watch a 2-minute video (~ 10 minutes)"
   -> 600. CloudResearch's estimate appended to a title, "(~ N minutes)" at its very end, always counts
   ("Rate short videos(~ 5 minutes)" -> 300): it is the requester's estimate for the whole task.
6. Never a time limit, a delay, a pause or a rate: figures after "you have", "time limit", "allotted",
   "allowed", "allows you", "within", "expires in", "after", "every", "per", "/", "past", "the last", "next",
   "approved in", "paid in" or "open/available/accepted for" are skipped ("You have 60 minutes to
   complete a 10 minute survey" -> 600; "will only open to be accepted for 10 minutes, but it will last
   1 hour" -> 3600), and so are figures followed by "break", "pause", "delay" or "wait" ("with 1 second
   break"). "Make sure you have about 30 minutes free" and "Please allow 20 minutes" state what the task
   needs, so they count (1800, 1200).
7. Money ("$1.50", "£2/hr"), rates ("$7/hr", "12 per hour"), years ("2018"), ages ("18-24"), counts
   ("13 videos", "5 questions"), ids and clock times ("23:11:57") are not durations.
8. Results are rounded to whole seconds and capped at MAX_STATED_SECONDS (24 hours); zero is "nothing
   stated".

Measured against tests/fixtures/durations/ (real HIT titles and descriptions, labelled by hand):
see tests/unit/test_durations_corpus.py for the precision and recall it must keep.
"""
from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["MAX_STATED_SECONDS", "stated_seconds_from_text"]

MAX_STATED_SECONDS = 24 * 3600
# Only the beginning of a long description is read: stated estimates come early, and this keeps the
# cost of hostile multi-megabyte strings bounded.
_SCAN_CHARS = 10_000
# How far before a figure the media and limit rules look (characters): one short clause.
_CONTEXT_CHARS = 60

_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}

_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "twenty-five": 25, "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60,
    "ninety": 90,
}

# A number that is not part of a bigger number and not money. Digits are bounded so that runs of
# digits cannot make the regex quadratic.
_NUM = r"(?<![\w.,$£€¥])(?:\d{1,5}(?:\.\d{1,3})?|\.\d{1,3})(?![\d,])"
_WORD = r"\b(?:" + "|".join(sorted((re.escape(w) for w in _WORD_NUMBERS), key=len, reverse=True)) + r")\b"
_AMOUNT = rf"(?:{_NUM}|{_WORD})"
# Longest alternatives first; a unit must not run on into a longer word ("10 minimum", "5 ms").
_UNIT = (
    r"(?P<{name}>hours?|hrs?\.?|h"
    r"|minutes?|mins?\.?|mn|m"
    r"|seconds?|secs?\.?)(?![a-z])"
)
# "4 minute", "4-minute", "4minute". Never two "\s*" side by side: on a long run of spaces that
# backtracks quadratically.
_SEP = r"(?:\s*-\s*|\s*)"
_RANGE_SEP = r"\s*(?:-|–|—|to|or)\s*"

_RANGE_RE = re.compile(
    rf"(?P<lo>{_AMOUNT})(?:{_SEP}(?P<lounit>hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?)(?![a-z]))?"
    rf"{_RANGE_SEP}(?P<hi>{_AMOUNT}){_SEP}" + _UNIT.format(name="unit"),
)
_SINGLE_RE = re.compile(rf"(?P<n>{_AMOUNT}){_SEP}" + _UNIT.format(name="unit"))
# "between 1 hour and 1 hour 20 minutes", "between 10 and 15 minutes"
_BETWEEN_RE = re.compile(
    rf"\bbetween\s+(?P<lo>{_AMOUNT})(?:{_SEP}(?P<lounit>hours?|hrs?|minutes?|mins?|seconds?|secs?)(?![a-z]))?"
    r"(?:\s+\d{1,2}\s*(?:minutes?|mins?)(?![a-z]))?"
    rf"\s+and\s+(?P<hi>{_AMOUNT}){_SEP}" + _UNIT.format(name="unit"),
)
_HALF_HOUR_RE = re.compile(r"\bhalf(?:\s+an|-an|\s*a)?[\s-]*hour\b")
# "an hour and a half", "1 hour and a half"
_HOUR_AND_HALF_RE = re.compile(r"\b(?:an|one|1)[\s-]+(?:hour|hr)[\s-]+and[\s-]+a[\s-]+half\b")
# "a minute or two"
_MINUTE_OR_TWO_RE = re.compile(r"\ba\s+(?:minute|min)\s+or\s+two\b")
# "a minute", "an hour" only after a word that makes them a duration ("takes a minute", "less than a
# minute"), so that "a minute" in other senses is not read.
_ARTICLE_RE = re.compile(
    r"\b(?:takes?|taking|took|only|just|than|under|about|around|approximately|roughly|within|for|"
    r"over|spend|needs?|lasts?|is)\s+(?P<art>an?)\s+(?P<unit>minute|min|hour|hr)\b"
)
# "1 hr 30 min", "1h30m", "1 hour and 15 minutes", "9 minutes 39 seconds": smaller units that directly
# follow a bigger one.
_TRAILING_MINUTES_RE = re.compile(
    r"\s*(?:(?:,|and|&)\s*)?(?P<n>\d{1,2})(?!\d)" rf"{_SEP}(?:minutes?|mins?\.?|mn|m)(?![a-z])"
)
_TRAILING_SECONDS_RE = re.compile(
    r"\s*(?:(?:,|and|&)\s*)?(?P<n>\d{1,2})(?!\d)" rf"{_SEP}(?:seconds?|secs?\.?|s)(?![a-z])"
)

# --- Rule 5: lengths of media ------------------------------------------------------------------
_MEDIA_NOUN = (
    r"(?:clips?|videos?|audios?|recordings?|songs?|screencasts?|tracks?|segments?|footage|podcasts?"
    r"|movies?|films?|trailers?|commercials?|adverts?|advertisements?|music|snippets?|excerpts?"
    r"|speech(?:es)?|voice\s+(?:messages?|memos?|notes?)|vlogs?|gifs?|animations?|tapes?|sounds?"
    r"|mp3s?|mp4s?|wavs?|soundbites?|sound\s+bites?)"
)
# Words allowed between a figure and the media it measures: "1-minute YouTube video", "18 seconds audio
# clip". A closed list, so that "5 minutes to watch videos" still reads as the task's time.
_MEDIA_ADJECTIVE = (
    r"(?:long|short|quick|brief|little|full|youtube|tiktok|instagram|sample|news|music|audio|video"
    r"|sound|voice|screen|webcam|selfie|recorded|spoken|english|spanish|language|general|single|hd"
    r"|promotional|demo|new|separate|different|individual|silent|narrated)"
)
# Things whose length is "N minutes of ...": "35 Seconds of Media", "2 minutes of audio",
# "35 seconds of General Content".
_MEDIA_OF = rf"(?:{_MEDIA_NOUN}|media|content|speech|talking|conversation audio)"
_MEDIA_AFTER_RE = re.compile(
    rf"(?:\s*-\s*|\s+)(?:{_MEDIA_ADJECTIVE}\s+){{0,2}}{_MEDIA_NOUN}\b"
    rf"|\s+of\s+(?:[a-z'’-]{{1,20}}\s+){{0,2}}?{_MEDIA_OF}\b"
    r"|\s+(?:of\s+)?(?:(?:yourself|you|your\s+voice)\s+)?"
    r"(?:talking|speaking|narrating|singing|recording|filming|footage|of\s+speech)\b"
)
# A figure right after the media it measures: "videos (2 sec)", "clips of 2-5 seconds", "Audio length:
# 1 hour", "song for at least 30 Seconds", "Audio - Less than 30 seconds", "a video that is 2 minutes".
_MEDIA_CONNECTOR = (
    r"(?:of|is|are|each|lasting|lasts?|runs?|running|that|which|about|around|approx\.?|approximately"
    r"|roughly|up|to|less|than|under|at|least|no|more|max(?:imum)?|only|just|for|totall?ing|total"
    r"|between|from|long|a|an)"
)
_MEDIA_BEFORE_RE = re.compile(
    rf"(?:\b{_MEDIA_NOUN}|\bmedia(?=\s+(?:length|duration|runtime)))"
    r"(?:\s+(?:files?|clips?|segments?|samples?|recordings?|tracks?))?"
    r"(?:\s+(?:length|duration|runtime|running\s+time))?"
    rf"(?:\s*(?:[(\[:,\-–—~=]|\b{_MEDIA_CONNECTOR}\b)){{0,6}}\s*$"
)
# "record yourself for 30 seconds", "talk for 1 minute about ...": the length of what is recorded.
_RECORDING_BEFORE_RE = re.compile(
    r"\b(?:record|film|tape|talk|speak|sing|narrate|read\s+aloud)(?:s|ing|ed)?\s+"
    r"(?:[a-z'’]{1,20}\s+){0,3}?for\s+(?:(?:about|around|approximately|at\s+least|up\s+to|roughly|~)\s*)?$"
)
# CloudResearch (TurkPrime) appends "(~ N minutes)" to a title: the requester's estimate for the whole
# task, whatever the title is about.
_APPENDED_ESTIMATE_BEFORE_RE = re.compile(r"\(\s*~\s*$")
_APPENDED_ESTIMATE_AFTER_RE = re.compile(r"\s*\)\s*$")

# --- Rule 6: time limits, delays and rates ----------------------------------------------------
_LIMIT_BEFORE_RE = re.compile(
    r"(?:\byou\s+(?:will\s+|would\s+)?(?:have|get)|\byou've\s+got|\btime[\s-]*limit(?:\s+(?:of|is))?"
    r"|\ballott?ed(?:\s+time)?(?:\s+(?:of|is))?|\ballowed(?:\s+time)?(?:\s+(?:of|is))?|\ballows?\s+you|\bwithin"
    r"|\bexpires?(?:\s+in)?"
    r"|\bexpiring\s+in|\bdeadline(?:\s+(?:of|is))?|\bafter|\bevery|\bper|/|\bpast|\bthe\s+last|\bnext"
    # how long a HIT stays up, not how long it takes: "will only open to be accepted for 10 minutes"
    r"|\b(?:open|opens|available|accepted|posted|live)(?:\s+to\s+be\s+accepted)?\s+for"
    r"|\bapprov\w*\s+(?:in|within|after)|\bpaid\s+(?:in|within|after)|\bmax(?:imum)?\s+time(?:\s+(?:of|is))?)"
    r"\s*(?:[:=]\s*)?(?:(?:about|approximately|~|up\s+to|less\s+than|under|at\s+least|only|just|over)\s*)?"
    r"(?:an?\s+)?$"
)

# A pause inside the task, not its length: "one after each other with 1 second break".
_PAUSE_AFTER_RE = re.compile(r"(?:\s*-\s*|\s+)(?:long\s+)?(?:breaks?|pauses?|delays?|waits?|intervals?|gaps?|rests?|countdown)\b")
_FREE_TIME_AFTER_RE = re.compile(r"\s+(?:free|available|to\s+spare|uninterrupted|of\s+(?:free|uninterrupted)\s+time)\b")


class _Mention(NamedTuple):
    start: int
    end: int
    seconds: float


def _amount(token: str) -> float | None:
    token = token.strip()
    if token in _WORD_NUMBERS:
        return float(_WORD_NUMBERS[token])
    try:
        return float(token)
    except ValueError:
        return None


def _unit_seconds(unit: str) -> int:
    return _UNIT_SECONDS[unit[0]]


def _finish(seconds: float) -> int | None:
    total = int(round(seconds))
    if total <= 0:
        return None
    return min(total, MAX_STATED_SECONDS)


def _with_smaller_units(text: str, unit: str, seconds: float, end: int) -> tuple[float, int]:
    """Extend "1 hour" by a directly following "30 min" and "15 sec", "9 minutes" by "39 seconds"."""
    if unit == "h":
        extra = _TRAILING_MINUTES_RE.match(text, end)
        if extra:
            seconds += float(extra.group("n")) * 60
            end = extra.end()
            unit = "m"
    if unit == "m":
        extra = _TRAILING_SECONDS_RE.match(text, end)
        if extra:
            seconds += float(extra.group("n"))
            end = extra.end()
    return seconds, end


def _mentions(text: str) -> list[_Mention]:
    """Every duration-shaped phrase, earliest first, none overlapping another."""
    found: list[_Mention] = []

    for m in _RANGE_RE.finditer(text):
        lo, hi = _amount(m.group("lo")), _amount(m.group("hi"))
        if hi is None:
            continue
        unit = _unit_seconds(m.group("unit"))
        lo_unit = _unit_seconds(m.group("lounit")) if m.group("lounit") else unit
        if lo is not None and lo * lo_unit <= hi * unit:
            # A real range: the worst case is the upper bound.
            seconds, end = _with_smaller_units(text, m.group("unit")[0], hi * unit, m.end())
            found.append(_Mention(m.start(), end, seconds))
        # Otherwise ("Study 2018 - 10 minutes") the single-number pass below finds the real figure.

    for m in _BETWEEN_RE.finditer(text):
        lo, hi = _amount(m.group("lo")), _amount(m.group("hi"))
        if lo is None or hi is None:
            continue
        hi_letter = m.group("unit")[0]
        lo_letter = m.group("lounit")[0] if m.group("lounit") else hi_letter
        seconds, end = _with_smaller_units(text, hi_letter, hi * _UNIT_SECONDS[hi_letter], m.end())
        if lo * _UNIT_SECONDS[lo_letter] <= seconds:
            found.append(_Mention(m.start(), end, seconds))

    for m in _SINGLE_RE.finditer(text):
        n = _amount(m.group("n"))
        if n is None:
            continue
        letter = m.group("unit")[0]
        seconds, end = _with_smaller_units(text, letter, n * _UNIT_SECONDS[letter], m.end())
        found.append(_Mention(m.start(), end, seconds))

    for m in _HALF_HOUR_RE.finditer(text):
        found.append(_Mention(m.start(), m.end(), 1800.0))
    for m in _HOUR_AND_HALF_RE.finditer(text):
        found.append(_Mention(m.start(), m.end(), 5400.0))
    for m in _MINUTE_OR_TWO_RE.finditer(text):
        found.append(_Mention(m.start(), m.end(), 120.0))
    for m in _ARTICLE_RE.finditer(text):
        found.append(_Mention(m.start("art"), m.end(), float(_UNIT_SECONDS[m.group("unit")[0]])))

    # Among mentions starting at the same place the longest wins (a range or "1 hr 30 min" over its first
    # part); a mention inside one already taken is part of it, not a figure of its own.
    found.sort(key=lambda c: (c.start, -c.end))
    kept: list[_Mention] = []
    for mention in found:
        if kept and mention.start < kept[-1].end:
            continue
        kept.append(mention)
    return kept


def _is_appended_estimate(text: str, mention: _Mention) -> bool:
    before = text[max(0, mention.start - 4):mention.start]
    return bool(_APPENDED_ESTIMATE_BEFORE_RE.search(before)) and bool(
        _APPENDED_ESTIMATE_AFTER_RE.match(text, mention.end)
    )


def _is_media_length(text: str, mention: _Mention) -> bool:
    if _MEDIA_AFTER_RE.match(text, mention.end):
        return True
    before = text[max(0, mention.start - _CONTEXT_CHARS):mention.start]
    return bool(_MEDIA_BEFORE_RE.search(before) or _RECORDING_BEFORE_RE.search(before))


def _is_limit(text: str, mention: _Mention) -> bool:
    if _PAUSE_AFTER_RE.match(text, mention.end):
        return True
    before = text[max(0, mention.start - _CONTEXT_CHARS):mention.start]
    # "make sure you have about 30 minutes free": the time the task needs, not a limit.
    return bool(_LIMIT_BEFORE_RE.search(before)) and not _FREE_TIME_AFTER_RE.match(text, mention.end)


def stated_seconds_from_text(text: str) -> int | None:
    """The duration a requester states for the task in `text`, in seconds, or None when none is stated.

    Examples: "(~ 10 minutes)" -> 600, "10-15 min" -> 900, "takes less than 1 minute" -> 60,
    "$.40 for 4 minutes" -> 240, "1 hr 30 min" -> 5400, "Listen to a 18 seconds audio clip" -> None,
    "Upload 1-minute screencast" -> None, "You have 60 minutes" -> None, "$1.50 bonus" -> None.
    The module docstring lists every rule.
    """
    if not isinstance(text, str) or not text:
        return None
    lowered = text[:_SCAN_CHARS].lower()
    for mention in _mentions(lowered):
        if not _is_appended_estimate(lowered, mention) and (
            _is_media_length(lowered, mention) or _is_limit(lowered, mention)
        ):
            continue
        return _finish(mention.seconds)
    return None
