"""Annotate's request and answer (the API contract of POST /api/v1/annotate). msgspec only, no I/O."""
from __future__ import annotations

from typing import Annotated, Any

import msgspec

from scrapers.model import Task
from server.domain.filters import Verdict
from server.domain.summary import RequesterSummary
from server.workers.schemas import FiltersIn
from server.workers.schemas import Platform as PlatformName

MAX_TASKS = 100


class AnnotateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Give exactly one of `tasks` (normalized), `raw` (the platform's page JSON) or `raw_html`."""

    platform: PlatformName
    tasks: Annotated[list[Task], msgspec.Meta(max_length=MAX_TASKS)] | None = None
    raw: Any = None
    raw_html: Annotated[str, msgspec.Meta(max_length=1024 * 1024)] | None = None
    filters: FiltersIn | None = None  # e.g. an extension's local filters when not signed in


class HourlyOut(msgspec.Struct, kw_only=True):
    cents_per_hour: int | None
    label: str  # "$7.50/h", "claims $7.20/h" (the requester's statement alone), or "unknown"
    band: str  # good | ok | low | unknown | avoid
    basis: str  # task | requester | stated | unknown
    n: int  # timings (and reviews' worked times) the figure rests on
    accounts: int  # … from how many accounts (docs/evidence.md)
    rests_on: str  # the same in words: "3 timings from 2 accounts", "1 timing", "the requester's claim"
    low: int | None  # the figure's 80 % range: the true hourly lies between low and high 8 times in 10
    high: int | None
    duration_seconds: int | None
    p_approved: float | None
    median_rate: int | None
    pooled_rate: int | None
    # Bonuses (docs/figures.md): cents_per_hour counts the typical bonus when timed work was paid one; this is
    # the same figure without any bonus, and `bonus` says so in words. None and "" when no bonus was seen.
    typical_bonus_cents: int | None = None
    without_bonus_cents_per_hour: int | None = None
    bonus: str = ""


# Another HourlyOut exists (server/me), so the OpenAPI component is named after the defining module: keep the
# published name `tasks_annotate_HourlyOut` from before annotate was split into modules.
HourlyOut.__module__ = "server.tasks.annotate"


class Annotation(msgspec.Struct, kw_only=True):
    index: int
    # None on the first view of a task nobody had shown before: it is recorded in the background
    # (server/tasks/recorder.py) and later views carry its id. Its figures do not wait for that.
    task_type_id: int | None
    hit_set_id: str | None
    title: str
    requester_id: str
    reward_cents: int
    currency: str
    hourly: HourlyOut
    requester: RequesterSummary
    flags: list[str]
    verdict: Verdict


class AnnotateOut(msgspec.Struct, kw_only=True):
    platform: str
    target_cents_per_hour: int
    filters_from: str  # saved | request | default
    tasks: list[Annotation]
