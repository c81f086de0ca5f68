"""The page-shape report's wire structs: exactly the JSON extension/README.md documents, nothing more.

Every field is required and no other is taken (`forbid_unknown_fields`); names are checked against the patterns of
server/domain/page_shape.py while decoding (a 422 `invalid_field` naming the field, in words), counts are whole
numbers 0–100000, lists and maps are bounded. What the patterns cannot say (id-like runs, a page kind its platform
never names, a name listed twice) service.py checks next, with the same error shape.
"""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec

from server.domain import page_shape as shape

Name = Annotated[str, msgspec.Meta(pattern=shape.NAME_PATTERN, description="a class name or data-testid value, with "
                                   "every id-like run replaced by '#' (extension/README.md)")]
Tag = Annotated[str, msgspec.Meta(pattern=shape.TAG_PATTERN, description="an element's tag name, lower case")]
ProbeName = Annotated[str, msgspec.Meta(pattern=shape.PROBE_PATTERN)]
Count = Annotated[int, msgspec.Meta(ge=0, le=shape.MAX_COUNT)]
Version = Annotated[str, msgspec.Meta(pattern=shape.VERSION_PATTERN, description="the extension's version, else 0")]
Platform = Literal["mturk", "prolific"]
Page = Literal["search", "requester", "queue", "studies", "other"]
Problem = Literal["no_tasks", "partial"]
Browser = Literal["chromium", "firefox", "other"]


def _described(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)  # shown in the OpenAPI document


_REPORTS = "How many reports."
_VERSION = "The extension's version the reports came from (1.2.3), else 0."
_BROWSER = "The sender's browser: chromium, firefox or other."
_DAY = "The UTC day (YYYY-MM-DD) the report was received; nothing finer is kept."


class ElementIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One kind of element under the list, and how many the page has."""

    tag: Tag
    classes: Annotated[list[Name], msgspec.Meta(max_length=shape.MAX_CLASSES, description=(
        f"The element's class names, sorted, at most {shape.MAX_CLASSES}; id-like runs replaced by '#'."))]
    testid: Annotated[Name, _described("The element's data-testid name, id-like runs replaced by '#'; null when none.")
                      ] | None
    count: Annotated[Count, _described(
        f"How many elements of this kind the page has under the list (0 to {shape.MAX_COUNT}).")]


class CountsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    rows_seen: Annotated[int, msgspec.Meta(ge=0, le=shape.MAX_COUNT, description="task rows the page shows")]
    tasks_read: Annotated[int, msgspec.Meta(ge=0, le=shape.MAX_COUNT, description="of them, read")]
    data_items: Annotated[int, msgspec.Meta(ge=0, le=shape.MAX_COUNT, description="tasks in the page's own data")]


class PageReportIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An anonymous report of a page the extension could not read: its shape only (extension/README.md)."""

    schema: Annotated[Literal[1], _described("The report format's version: 1.")]
    platform: Annotated[Platform, _described("The platform of the page: mturk or prolific.")]
    extension_version: Version
    browser: Annotated[Browser, _described(_BROWSER)]
    page: Annotated[Page, _described(
        "The kind of page, from its path only: search, requester, queue, studies or other.")]
    problem: Annotated[Problem, _described("no_tasks (nothing could be read) or partial (some rows could not).")]
    counts: Annotated[CountsIn, _described("How many task rows the page shows, how many were read, how many its data holds.")]
    probes: Annotated[dict[ProbeName, Count], msgspec.Meta(max_length=shape.MAX_PROBES, description=(
        "for each selector the extension's reader uses, how many elements it matched"))]
    elements: Annotated[list[ElementIn], msgspec.Meta(max_length=shape.MAX_ELEMENTS, description=(
        f"The platform's elements under the list, merged by (tag, classes, testid), the most frequent first, at most "
        f"{shape.MAX_ELEMENTS}; the extension's own elements left out."))]


class PageReportStored(msgspec.Struct, kw_only=True):
    """The answer to a report: stored, under this shape's fingerprint, on this UTC day."""

    stored: Annotated[bool, _described("Always true: the report was stored.")]
    fingerprint: Annotated[str, _described(
        "The shape's fingerprint: hex SHA-256 of platform, page, problem, which probes matched and the elements.")]
    day: Annotated[date, _described(_DAY)]


# --- what admins read -------------------------------------------------------------------------------


class DayCount(msgspec.Struct, kw_only=True):
    day: Annotated[date, _described("A UTC day (YYYY-MM-DD).")]
    reports: Annotated[int, _described("Reports of the shape received that day.")]


class VersionCount(msgspec.Struct, kw_only=True):
    extension_version: Annotated[str, _described(_VERSION)]
    reports: Annotated[int, _described("Reports of the shape from that version within the period.")]


class BrowserCount(msgspec.Struct, kw_only=True):
    browser: Annotated[str, _described(_BROWSER)]
    reports: Annotated[int, _described("Reports of the shape from that browser within the period.")]


class DayTotal(msgspec.Struct, kw_only=True):
    """Reports of one UTC day from one platform and extension version."""

    day: Annotated[date, _described("The UTC day (YYYY-MM-DD).")]
    platform: Annotated[str, _described("The platform: mturk or prolific.")]
    extension_version: Annotated[str, _described(_VERSION)]
    reports: Annotated[int, _described(_REPORTS)]


class LatestReport(msgspec.Struct, kw_only=True):
    """The newest report of a shape, as it was sent (its counts vary between reports of one shape)."""

    day: Annotated[date, _described(_DAY)]
    extension_version: Annotated[str, _described(_VERSION)]
    browser: Annotated[str, _described(_BROWSER)]
    counts: Annotated[dict[str, int], _described("rows_seen, tasks_read and data_items, as sent.")]
    probes: Annotated[dict[str, int], _described("For each selector of the reader, how many elements it matched.")]
    elements: Annotated[list[dict[str, Any]], _described("The elements as sent: tag, classes, testid and count.")]


class ShapeOut(msgspec.Struct, kw_only=True):
    """Reports of one shape (server/domain/page_shape.py `fingerprint`) within the period."""

    fingerprint: Annotated[str, _described("The shape's fingerprint (hex SHA-256).")]
    platform: Annotated[str, _described("The platform: mturk or prolific.")]
    page: Annotated[str, _described("The kind of page: search, requester, queue, studies or other.")]
    problem: Annotated[str, _described("no_tasks or partial.")]
    reports: Annotated[int, _described("Reports of this shape within the period.")]  # within the period
    first_seen: Annotated[date, _described(  # the earliest report of this shape the server keeps (before the period too)
        "The UTC day of the earliest report of this shape the server keeps (before the period too).")]
    last_seen: Annotated[date, _described("The UTC day of its latest report within the period.")]
    days: Annotated[list[DayCount], _described("Reports per day within the period, oldest first; days without "
                                               "reports left out.")]
    versions: Annotated[list[VersionCount], _described("Reports per extension version, most reports first.")]
    browsers: Annotated[list[BrowserCount], _described("Reports per browser, most reports first.")]
    latest: Annotated[LatestReport, _described("The newest report of this shape, as sent.")]


class PageReportsOut(msgspec.Struct, kw_only=True):
    since: Annotated[date, _described("The period's first UTC day (YYYY-MM-DD).")]
    until: Annotated[date, _described("The period's last UTC day: today.")]  # today (UTC)
    platform: Annotated[str | None, _described("Only reports of this platform; null: every platform.")]
    extension_version: Annotated[str | None, _described("Only reports of this extension version; null: every version.")]
    reports: Annotated[int, _described("Reports within the period (and the filters).")]
    per_day: Annotated[list[DayTotal], _described(
        "Reports per UTC day, platform and extension version, newest day first.")]
    shapes: Annotated[list[ShapeOut], _described(  # the most recently seen first, then the most reported
        "Reports grouped by shape: the most recently seen first, then the most reported; at most `limit`.")]
    more_shapes: Annotated[int, _described("Shapes past `limit`, not listed.")]  # shapes past `limit`, not listed
