"""Annotate's request and answer (the API contract of POST /api/v1/annotate). msgspec only, no I/O.

No `from __future__ import annotations` here: HourlyOut is published under another module's name (below), where
string annotations would be evaluated and `Annotated`/`described` are not defined.
"""

from typing import Annotated, Any

import msgspec

from scrapers.model import Task
from server.domain.filters import Verdict
from server.domain.summary import RequesterSummary
from server.workers.schemas import FiltersIn
from server.workers.schemas import Platform as PlatformName

MAX_TASKS = 100


def described(text: str) -> msgspec.Meta:
    """A field's description in the OpenAPI document (tests/api/test_openapi.py wants one on every field)."""
    return msgspec.Meta(description=text)


class AnnotateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Give exactly one of `tasks` (normalized), `raw` (the platform's page JSON) or `raw_html`."""

    platform: PlatformName
    # The limit and the description in one Meta on the non-null type: Litestar documents a limit only there.
    tasks: Annotated[list[Task], msgspec.Meta(
        max_length=MAX_TASKS, description=f"The page's tasks, normalized (at most {MAX_TASKS}).")] | None = None
    raw: Annotated[Any, described("The platform's own page JSON (MTurk's search results), read as the "
                                  "extension reads it.")] = None
    raw_html: Annotated[str, msgspec.Meta(
        max_length=1024 * 1024, description="The platform's page as HTML (at most 1 MiB).")] | None = None
    # e.g. an extension's local filters when not signed in
    filters: Annotated[FiltersIn | None, described(
        "Filters for this answer only; without them a signed-in worker's saved filters apply.")] = None


class HourlyOut(msgspec.Struct, kw_only=True):
    """A task's hourly pay as shown: money in whole cents (ints), durations in whole seconds, rounded once."""

    cents_per_hour: Annotated[int | None, described(
        "Estimated pay per hour of work, in whole cents of the task's currency; null when not known.")]
    label: Annotated[str, described(
        "The figure for people, from the same whole cents: \"$7.50/h\", \"claims $7.20/h\" (the requester's "
        "statement alone) or \"unknown\".")]
    band: Annotated[str, described("How the figure compares with the target wage: good, ok, low, unknown or avoid.")]
    basis: Annotated[str, described(
        "What the figure rests on: task (timings of this task), requester (their other tasks), stated (the "
        "requester's own estimate) or unknown.")]
    n: Annotated[int, described("How many timings (and reviews' worked times) the figure rests on.")]
    accounts: Annotated[int, described("From how many worker accounts those timings come (docs/evidence.md).")]
    rests_on: Annotated[str, described(
        "The same in words: \"3 timings from 2 accounts\", \"1 timing\", \"the requester's claim\".")]
    low: Annotated[int | None, described(
        "Lower end of the figure's 80 % range, in whole cents per hour: the true hourly pay lies between low "
        "and high 8 times in 10. Null when not known.")]
    high: Annotated[int | None, described("Upper end of the figure's 80 % range, in whole cents per hour.")]
    duration_seconds: Annotated[int | None, described(
        "Estimated working time of one task, in whole seconds (measured, or stated by the requester).")]
    p_approved: Annotated[float | None, described(
        "Estimated probability (0 to 1) that submitted work is approved and paid.")]
    median_rate: Annotated[int | None, described(
        "Median hourly pay of this task's own timings, in whole cents per hour; null without timings.")]
    pooled_rate: Annotated[int | None, described(
        "Hourly pay of the timings pooled with the requester's and the platform's, in whole cents per hour.")]
    # Bonuses (docs/figures.md): cents_per_hour counts the typical bonus when timed work was paid one; this is
    # the same figure without any bonus, and `bonus` says so in words. None and "" when no bonus was seen.
    typical_bonus_cents: Annotated[int | None, described(
        "The typical bonus paid for timed work, in whole cents; null when no bonus was seen.")] = None
    without_bonus_cents_per_hour: Annotated[int | None, described(
        "The hourly figure without any bonus, in whole cents per hour; null when no bonus was seen.")] = None
    bonus: Annotated[str, described("What the figure counts of bonuses, in words; empty when none was seen.")] = ""


# Another HourlyOut exists (server/me), so the OpenAPI component is named after the defining module: keep the
# published name `tasks_annotate_HourlyOut` from before annotate was split into modules.
HourlyOut.__module__ = "server.tasks.annotate"


class Annotation(msgspec.Struct, kw_only=True):
    """One task of the page, annotated."""

    index: Annotated[int, described("The task's position in the request, from 0.")]
    # None on the first view of a task nobody had shown before: it is recorded in the background
    # (server/tasks/recorder.py) and later views carry its id. Its figures do not wait for that.
    task_type_id: Annotated[int | None, described(
        "This server's id of the task type; null on the first view of a never-seen task (recorded in the "
        "background).")]
    hit_set_id: Annotated[str | None, described("The platform's task group id (MTurk HIT group, Prolific study).")]
    title: Annotated[str, described("The task's title, as the page gave it.")]
    requester_id: Annotated[str, described("The requester's id on the platform.")]
    reward_cents: Annotated[int, described("Pay for one task, in whole cents of `currency`.")]
    currency: Annotated[str, described("ISO 4217 code of the money amounts, e.g. USD.")]
    hourly: Annotated[HourlyOut, described("The task's hourly pay and what it rests on.")]
    requester: Annotated[RequesterSummary, described("The requester's figures as this worker sees them.")]
    flags: Annotated[list[str], described("Problems workers reported about this task (see docs/api.md for the "
                                          "vocabulary), those that enough accounts reported.")]
    verdict: Annotated[Verdict, described("Whether the worker's filters hide the task, and why.")]


class AnnotateOut(msgspec.Struct, kw_only=True):
    platform: Annotated[str, described("The platform the tasks are on (mturk or prolific).")]
    target_cents_per_hour: Annotated[int, described(
        "The target wage the bands compare with, in whole cents per hour.")]
    filters_from: Annotated[str, described(
        "Whose filters applied: saved (the signed-in worker's), request (the body's) or default.")]
    tasks: Annotated[list[Annotation], described("One annotation per task, in the page's order.")]
