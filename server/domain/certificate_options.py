"""What the worker chose to put in a certificate: the query parameters, read and checked. Pure, no I/O.

Every route that makes a certificate (the API's .json and .pdf, the /me/certificate pages) reads the same
parameters the same way (docs/certificate.md lists them):

    from, to       the period, YYYY-MM-DD, both days included (default: from the worker's first recorded
                   day to today)
    tz             IANA time zone of the days of timed work (default UTC)
    platforms      comma list (default: all)
    include        comma list of sections: kinds, approval, hours, earnings, feedback
                   (default: all but earnings); an empty value includes none of them
    feedback       comma list of work history ids whose requester feedback is quoted (the worker's own,
                   at most 10; quoted only while `feedback` is included)
    holder_name    the name to print, plain text, at most 100 characters (default: none)
    self_reported  what to do with tasks the worker sent as items rather than platform pages: `label` (count
                   them, and say how many are self-reported; the default) or `omit` (leave them out)
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.domain.errors import FairfinderError

SELF_REPORTED_CHOICES = ("label", "omit")
SECTIONS = ("kinds", "approval", "hours", "earnings", "feedback")
DEFAULT_SECTIONS = frozenset({"kinds", "approval", "hours", "feedback"})
MAX_FEEDBACK = 10
MAX_PLATFORMS = 10
MAX_HOLDER_NAME = 100
EARLIEST_DAY = date(2005, 1, 1)  # no platform existed before (as server/timings/routes.py)
LATEST_DAY = date(9998, 12, 31)
_PLATFORM = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_ZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}$")
# Characters that would make a printed name say something else than it looks like (bidi overrides) or
# not print at all.
_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


class OptionError(FairfinderError, ValueError):
    """A parameter that cannot be used: `field` names it, the message says why in words."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Options:
    start: date | None  # None: from the worker's first recorded day
    end: date | None  # None: today in `zone`
    zone: str
    platforms: tuple[str, ...]  # empty: all
    sections: frozenset[str]
    feedback_ids: tuple[int, ...]
    holder_name: str
    self_reported: str = "label"  # one of SELF_REPORTED_CHOICES

    def with_period(self, start: date, end: date) -> Options:
        return Options(start=start, end=end, zone=self.zone, platforms=self.platforms, sections=self.sections,
                       feedback_ids=self.feedback_ids, holder_name=self.holder_name, self_reported=self.self_reported)

    def query(self) -> list[tuple[str, str]]:
        """The query string that asks for these options again (the form's download links)."""
        params: list[tuple[str, str]] = []
        if self.start is not None:
            params.append(("from", self.start.isoformat()))
        if self.end is not None:
            params.append(("to", self.end.isoformat()))
        if self.zone != "UTC":
            params.append(("tz", self.zone))
        if self.platforms:
            params.append(("platforms", ",".join(self.platforms)))
        params.append(("include", ",".join(section for section in SECTIONS if section in self.sections)))
        if self.feedback_ids:
            params.append(("feedback", ",".join(map(str, self.feedback_ids))))
        if self.holder_name:
            params.append(("holder_name", self.holder_name))
        if self.self_reported != "label":
            params.append(("self_reported", self.self_reported))
        return params


def _items(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_day(value: str, field: str) -> date:
    text = value.strip()
    try:
        if not _DAY.match(text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise OptionError(field, f"{field}: give a day as YYYY-MM-DD, for example 2026-01-31.") from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise OptionError(field, f"{field}: give a day from 2005 on.")
    return day


def parse_zone(value: str) -> str:
    text = value.strip()
    if not text:
        return "UTC"
    try:
        if len(text) > 64 or not _ZONE.match(text):
            raise ValueError
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise OptionError("tz", "tz: give an IANA time zone name, for example Europe/London or "
                                "America/New_York.") from None
    return text


def clean_holder_name(value: str) -> str:
    name = unicodedata.normalize("NFC", value).strip()
    if len(name) > MAX_HOLDER_NAME:
        raise OptionError("holder_name", f"holder_name: at most {MAX_HOLDER_NAME} characters.")
    if any(unicodedata.category(char) in _HIDDEN for char in name):
        raise OptionError("holder_name", "holder_name: plain text only, on one line, without control characters.")
    return " ".join(name.split())


def parse_options(params: Mapping[str, str | None]) -> Options:
    """The options of a query (absent and empty parameters take their defaults, except `include`)."""
    start = parse_day(params["from"] or "", "from") if (params.get("from") or "").strip() else None
    end = parse_day(params["to"] or "", "to") if (params.get("to") or "").strip() else None
    if start is not None and end is not None and start > end:
        raise OptionError("from", "from: the period starts after it ends; give a `from` day before the `to` day.")
    zone = parse_zone(params.get("tz") or "")

    platforms = _items(params.get("platforms") or "")
    if len(platforms) > MAX_PLATFORMS:
        raise OptionError("platforms", f"platforms: at most {MAX_PLATFORMS}.")
    for platform in platforms:
        if not _PLATFORM.match(platform):
            raise OptionError("platforms", f"platforms: {platform[:40]!r} is not a platform name like mturk or "
                                           "prolific.")

    raw_include = params.get("include")
    if raw_include is None:
        sections = DEFAULT_SECTIONS
    else:
        chosen = _items(raw_include)
        unknown = [section for section in chosen if section not in SECTIONS]
        if unknown:
            raise OptionError("include", f"include: {unknown[0][:40]!r} is not a section; choose from "
                                         f"{', '.join(SECTIONS)}.")
        sections = frozenset(chosen)

    feedback: list[int] = []
    for part in _items(params.get("feedback") or ""):
        if not part.isascii() or not part.isdigit() or len(part) > 18 or int(part) < 1:
            raise OptionError("feedback", f"feedback: {part[:40]!r} is not the id of a task in your work history.")
        if int(part) not in feedback:
            feedback.append(int(part))
    if len(feedback) > MAX_FEEDBACK:
        raise OptionError("feedback", f"feedback: quote at most {MAX_FEEDBACK} pieces of requester feedback.")

    holder_name = clean_holder_name(params.get("holder_name") or "")
    self_reported = (params.get("self_reported") or "").strip() or "label"
    if self_reported not in SELF_REPORTED_CHOICES:
        raise OptionError("self_reported", "self_reported: choose label (count self-reported tasks and say so) or "
                                           "omit (leave them out).")
    return Options(start=start, end=end, zone=zone, platforms=tuple(dict.fromkeys(platforms)), sections=sections,
                   feedback_ids=tuple(feedback), holder_name=holder_name, self_reported=self_reported)
