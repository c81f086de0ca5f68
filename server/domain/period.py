"""The period a dashboard or earnings request covers, read from its query (pure: no I/O, `now` is passed in).

Shared by GET /api/v1/me/earnings (errors become 400 invalid_parameter, all at once) and GET /me (errors become the form's field errors).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.domain.earnings import DEFAULT_GAP_LIMIT, MAX_GAP_LIMIT

DEFAULT_DAYS = 45  # the period the extension syncs
MAX_DAYS = 3 * 365 + 1  # three years, a leap day included
EARLIEST = date(2005, 1, 1)  # no platform before MTurk (2005); also keeps day arithmetic far from date.min
LATEST = date(2100, 12, 31)
DEFAULT_ZONE = "UTC"
DEFAULT_GAP_MINUTES = int(DEFAULT_GAP_LIMIT.total_seconds() // 60)
MAX_GAP_MINUTES = int(MAX_GAP_LIMIT.total_seconds() // 60)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ZONE = re.compile(r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$")
MAX_ZONE_CHARS = 64


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    zone_name: str
    zone: ZoneInfo
    gap_minutes: int

    @property
    def gap_limit(self) -> timedelta:
        return timedelta(minutes=self.gap_minutes)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class PeriodError:
    field: str  # the query parameter: from | to | tz | gap_minutes
    message: str  # for people, without the parameter's name (the API puts it in front, the page's label is near)


def _zone(text: str) -> ZoneInfo | None:
    if len(text) > MAX_ZONE_CHARS or not _ZONE.match(text):
        return None
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _day(text: str, field: str, errors: list[PeriodError]) -> date | None:
    words = "first" if field == "from" else "last"
    try:
        if not _DATE.match(text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        errors.append(PeriodError(field, f"Give the {words} day as YYYY-MM-DD, for example 2026-11-20."))
        return None
    if not EARLIEST <= day <= LATEST:
        errors.append(PeriodError(field, f"Give a day from {EARLIEST.isoformat()} to {LATEST.isoformat()}."))
        return None
    return day


def parse_period(from_text: str | None, to_text: str | None, tz_text: str | None, gap_text: str | None,
                 now: datetime) -> tuple[Period | None, list[PeriodError]]:
    """The period of a query, or the problems with it (then None). Empty values mean the defaults: the 45 days
    ending today in the time zone, UTC, a 10-minute search-gap limit."""
    errors: list[PeriodError] = []
    zone_name = (tz_text or "").strip() or DEFAULT_ZONE
    zone = _zone(zone_name)
    if zone is None:
        errors.append(PeriodError("tz", "Give an IANA time zone name, for example Europe/Berlin or "
                                        "America/New_York."))
    gap_text = (gap_text or "").strip()
    gap_minutes = DEFAULT_GAP_MINUTES
    if gap_text:
        if gap_text.isascii() and gap_text.isdigit() and len(gap_text) <= 4 and int(gap_text) <= MAX_GAP_MINUTES:
            gap_minutes = int(gap_text)
        else:
            errors.append(PeriodError("gap_minutes", f"Give a whole number of minutes from 0 to "
                                                     f"{MAX_GAP_MINUTES}."))
    today = now.astimezone(zone or ZoneInfo(DEFAULT_ZONE)).date()
    from_text, to_text = (from_text or "").strip(), (to_text or "").strip()
    end = _day(to_text, "to", errors) if to_text else today
    start = _day(from_text, "from", errors) if from_text else (
        end - timedelta(days=DEFAULT_DAYS - 1) if end is not None else None)
    if start is not None and end is not None:
        if start > end:
            errors.append(PeriodError("from", "The first day comes after the last day."))
        elif (end - start).days + 1 > MAX_DAYS:
            errors.append(PeriodError("from", f"A period can cover at most three years ({MAX_DAYS} days)."))
    if errors or start is None or end is None or zone is None:
        return None, errors
    return Period(start=start, end=end, zone_name=zone_name, zone=zone, gap_minutes=gap_minutes), []
