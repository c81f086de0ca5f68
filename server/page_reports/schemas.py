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


class ElementIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One kind of element under the list, and how many the page has."""

    tag: Tag
    classes: Annotated[list[Name], msgspec.Meta(max_length=shape.MAX_CLASSES)]
    testid: Name | None
    count: Count


class CountsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    rows_seen: Annotated[int, msgspec.Meta(ge=0, le=shape.MAX_COUNT, description="task rows the page shows")]
    tasks_read: Annotated[int, msgspec.Meta(ge=0, le=shape.MAX_COUNT, description="of them, read")]
    data_items: Annotated[int, msgspec.Meta(ge=0, le=shape.MAX_COUNT, description="tasks in the page's own data")]


class PageReportIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An anonymous report of a page the extension could not read: its shape only (extension/README.md)."""

    schema: Literal[1]
    platform: Platform
    extension_version: Version
    browser: Browser
    page: Page
    problem: Problem
    counts: CountsIn
    probes: Annotated[dict[ProbeName, Count], msgspec.Meta(max_length=shape.MAX_PROBES, description=(
        "for each selector the extension's reader uses, how many elements it matched"))]
    elements: Annotated[list[ElementIn], msgspec.Meta(max_length=shape.MAX_ELEMENTS)]


class PageReportStored(msgspec.Struct, kw_only=True):
    """The answer to a report: stored, under this shape's fingerprint, on this UTC day."""

    stored: bool
    fingerprint: str
    day: date


# --- what admins read -------------------------------------------------------------------------------


class DayCount(msgspec.Struct, kw_only=True):
    day: date
    reports: int


class VersionCount(msgspec.Struct, kw_only=True):
    extension_version: str
    reports: int


class BrowserCount(msgspec.Struct, kw_only=True):
    browser: str
    reports: int


class DayTotal(msgspec.Struct, kw_only=True):
    """Reports of one UTC day from one platform and extension version."""

    day: date
    platform: str
    extension_version: str
    reports: int


class LatestReport(msgspec.Struct, kw_only=True):
    """The newest report of a shape, as it was sent (its counts vary between reports of one shape)."""

    day: date
    extension_version: str
    browser: str
    counts: dict[str, int]
    probes: dict[str, int]
    elements: list[dict[str, Any]]


class ShapeOut(msgspec.Struct, kw_only=True):
    """Reports of one shape (server/domain/page_shape.py `fingerprint`) within the period."""

    fingerprint: str
    platform: str
    page: str
    problem: str
    reports: int  # within the period
    first_seen: date  # the earliest report of this shape the server keeps (before the period too)
    last_seen: date
    days: list[DayCount]  # within the period, oldest first
    versions: list[VersionCount]  # most reports first
    browsers: list[BrowserCount]
    latest: LatestReport


class PageReportsOut(msgspec.Struct, kw_only=True):
    since: date
    until: date  # today (UTC)
    platform: str | None
    extension_version: str | None
    reports: int
    per_day: list[DayTotal]  # newest day first
    shapes: list[ShapeOut]  # the most recently seen first, then the most reported
    more_shapes: int  # shapes past `limit`, not listed
