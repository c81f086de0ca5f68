"""Durations requesters state in task titles and descriptions.

`stated_seconds_from_text` is pure (no I/O, no state) and never raises. It reads the *first*
duration mentioned ("(~ 10 minutes)", "4 minute study", "1 hr 30 min", "half an hour"), because
requesters put the estimate first and a later figure is usually the time limit ("takes 10 minutes,
you have 60"). For a range ("10-15 min") it returns the upper bound: workers care about the worst
case. Money ("$1.50", "£2/hr"), rates ("12 per hour"), years ("2018", "the 1990s") and other bare
numbers are ignored. Results are clamped to 24 hours; zero durations count as "nothing stated".
"""
from __future__ import annotations

import re

__all__ = ["MAX_STATED_SECONDS", "stated_seconds_from_text"]

MAX_STATED_SECONDS = 24 * 3600
# Only the beginning of a long description is read: stated estimates come early, and this keeps the
# cost of hostile multi-megabyte strings bounded.
_SCAN_CHARS = 10_000

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
_SEP = r"\s*-?\s*"  # "4 minute", "4-minute", "4minute"
_RANGE_SEP = r"\s*(?:-|–|—|to|or)\s*"

_RANGE_RE = re.compile(
    rf"(?P<lo>{_AMOUNT})(?:{_SEP}(?P<lounit>hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?)(?![a-z]))?"
    rf"{_RANGE_SEP}(?P<hi>{_AMOUNT}){_SEP}" + _UNIT.format(name="unit"),
)
_SINGLE_RE = re.compile(rf"(?P<n>{_AMOUNT}){_SEP}" + _UNIT.format(name="unit"))
_HALF_HOUR_RE = re.compile(r"\bhalf(?:\s+an|-an|\s*a)?[\s-]*hour\b")
# "1 hr 30 min", "1h30m", "1 hour and 15 minutes": minutes that directly follow an hours figure.
_TRAILING_MINUTES_RE = re.compile(r"\s*(?:,|and|&)?\s*(?P<n>\d{1,2})(?!\d)" rf"{_SEP}(?:minutes?|mins?\.?|mn|m)(?![a-z])")


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


def stated_seconds_from_text(text: str) -> int | None:
    """The duration a requester states in `text`, in seconds, or None when none is stated.

    Examples: "(~ 10 minutes)" -> 600, "10-15 min" -> 900, "1 hour" -> 3600, "30 sec" -> 30,
    "2 hrs" -> 7200, "1 hr 30 min" -> 5400, "$1.50 bonus" -> None, "Study 2018" -> None.
    """
    if not isinstance(text, str) or not text:
        return None
    lowered = text[:_SCAN_CHARS].lower()

    candidates: list[tuple[int, int, float]] = []  # (start, end, seconds)

    for m in _RANGE_RE.finditer(lowered):
        lo, hi = _amount(m.group("lo")), _amount(m.group("hi"))
        if hi is None:
            continue
        unit = _unit_seconds(m.group("unit"))
        lo_unit = _unit_seconds(m.group("lounit")) if m.group("lounit") else unit
        if lo is not None and lo * lo_unit <= hi * unit:
            # A real range: the worst case is the upper bound.
            candidates.append((m.start(), m.end(), hi * unit))
        # Otherwise ("Study 2018 - 10 minutes") the single-number pass below finds the real figure.

    for m in _SINGLE_RE.finditer(lowered):
        n = _amount(m.group("n"))
        if n is None:
            continue
        unit_name = m.group("unit")
        seconds = n * _unit_seconds(unit_name)
        end = m.end()
        if unit_name[0] == "h":
            extra = _TRAILING_MINUTES_RE.match(lowered, end)
            if extra:
                minutes = _amount(extra.group("n"))
                if minutes is not None:
                    seconds += minutes * 60
                    end = extra.end()
        candidates.append((m.start(), end, seconds))

    for m in _HALF_HOUR_RE.finditer(lowered):
        candidates.append((m.start(), m.end(), 1800.0))

    if not candidates:
        return None
    # The earliest mention wins; among mentions starting at the same place, the longest (a range or
    # a compound "1 hr 30 min" over its first part).
    _start, _end, seconds = min(candidates, key=lambda c: (c[0], -c[1]))
    return _finish(seconds)
