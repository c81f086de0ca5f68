"""Annotate's pure part: from looked-up facts to annotations. No I/O, no framework.

Everything here is arithmetic on facts that server/tasks/lookup.py gathered (from the in-process cache
or the database). What a task's figures depend on — its task type's facts, its requester's, the platform
prior, the reward, currency, stated duration and the worker's community weights — is memoized on the
facts themselves as named records (server/tasks/cache.py: RequesterView, TypeView, Figures, Banded), with
their JSON, so a page of known tasks costs two dict reads per task, and its answer is mostly copied from
JSON encoded once (`encoded_page`).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from scrapers.model import Task
from server.domain import figures as shown, pay
from server.domain.weights import Weights, weights_of
from server.domain.filters import Filters, Verdict, filters_are_inert, verdict
from server.domain.evidence import hourly_label, rests_on
from server.domain.summary import Platform, combined_sample_summary, summary_of
from server.domain.vocab import should_avoid, weighted_flags
from server.tasks.cache import Banded, Figures, RequesterFacts, RequesterView, TypeFacts, TypeView
from server.tasks.schemas import Annotation, HourlyOut

SHOWN = Verdict(hidden=False, reasons=[])  # the verdict of filters that hide nothing
_encode = msgspec.json.encode
_SHOWN_JSON = msgspec.Raw(_encode(SHOWN))
_HOURLY = msgspec.json.Decoder(HourlyOut)


class _AnnotationJson(msgspec.Struct, kw_only=True):
    """An Annotation (server/tasks/schemas.py) with its nested parts already encoded: same fields, same order,
    so the same bytes. tests/unit/test_annotate_compute.py checks that against encoding Annotation itself."""

    index: int
    task_type_id: int | None
    hit_set_id: str | None
    title: str
    requester_id: str
    reward_cents: int
    currency: str
    hourly: msgspec.Raw
    requester: msgspec.Raw
    flags: msgspec.Raw
    verdict: msgspec.Raw | Verdict


class _AnnotateOutJson(msgspec.Struct, kw_only=True):
    """AnnotateOut, the same way."""

    platform: str
    target_cents_per_hour: int
    filters_from: str
    tasks: list[_AnnotationJson]


def unrecorded(requester: RequesterFacts) -> TypeFacts:
    """The facts of a never-seen task: nothing measured yet (its requester's facts and the stated duration count)."""
    return TypeFacts(requester=requester, task_type_id=None, stated_seconds=None, summary=None, flag_counts={}, reviews=0)


def hourly_out(hourly: pay.Hourly, currency: str, band: str) -> HourlyOut:
    """`hourly` as shown (server/domain/figures.py shown_hourly): its amounts are whole cents already, kept as
    ints here (whole_cents of a whole number is itself) so the memoized JSON and the typed answer agree."""
    cents = shown.whole_cents
    return HourlyOut(
        cents_per_hour=cents(hourly.cents_per_hour),
        label=hourly_label(hourly, currency),
        band=band, basis=hourly.basis, n=hourly.n, accounts=hourly.accounts, rests_on=rests_on(hourly),
        low=cents(hourly.low), high=cents(hourly.high), duration_seconds=shown.whole_seconds(hourly.duration_seconds),
        p_approved=round(hourly.p_approved, 4) if hourly.p_approved is not None else None,
        median_rate=cents(hourly.median_rate), pooled_rate=cents(hourly.pooled_rate),
        typical_bonus_cents=cents(hourly.typical_bonus_cents), without_bonus_cents_per_hour=cents(hourly.without_bonus),
        bonus=shown.bonus_words(hourly, currency),
    )


def requester_view(requester: RequesterFacts, platform: Platform, weights: Weights) -> RequesterView:
    """The requester's summary and prior as a worker with these weights sees them (memoized)."""
    found = requester.views.get(weights)
    if found is None or found.platform is not platform:
        # summary_of reads .platform, .external_id and .name of the requester: RequesterIdent has them.
        summary = summary_of(requester.ident, requester.stats, platform, requester.imported, weights)  # type: ignore[arg-type]
        samples = combined_sample_summary(requester.stats, requester.imported, weights)  # type: ignore[arg-type]
        found = RequesterView(platform, summary, pay.requester_prior(samples, platform.prior) if samples else None,
                              msgspec.Raw(_encode(summary)))
        requester.views[weights] = found
    return found


def type_view(type_facts: TypeFacts, weights: Weights) -> TypeView:
    """The task type's samples and active flags, other communities' counted as the weights say (memoized)."""
    found = type_facts.views.get(weights)
    if found is None:
        counted = [(part, weights.of(part.source)) for part in type_facts.imported]
        counted = [(part, w) for part, w in counted if w > 0]
        # This community's reports by the weight of who gave them (pay.ReviewEvidence), other communities'
        # counted as the worker weighs them (server/domain/vocab.py weighted_flags).
        own = type_facts.summary.reviews if type_facts.summary is not None else None
        reported = [(own.flags, own.weight, 1.0) if own is not None else
                    (type_facts.flag_counts, type_facts.reviews, 1.0)]
        reported += [(part.flag_counts, part.reviews, w) for part, w in counted]
        flags, reports = weighted_flags(reported)
        if not counted:
            found = TypeView(type_facts.summary, flags, reports)
        else:
            parts = [(type_facts.summary, 1.0)] + [(part.summary, w) for part, w in counted]
            found = TypeView(pay.combine_summaries((s, w) for s, w in parts if s is not None), flags, reports)
        type_facts.views[weights] = found
    return found


def figures(task: Task, type_facts: TypeFacts, platform: Platform, weights: Weights) -> Figures:
    """The pay figures of one task: computed once per task type, inputs and weights, kept in
    `type_facts.figures` (the page loops read them there themselves: it is lookups)."""
    stated = task.stated_seconds or type_facts.stated_seconds
    requester = requester_view(type_facts.requester, platform, weights)
    samples = type_view(type_facts, weights)
    # Rounded once, here: the label, the band, the filter verdict and speech all rest on these whole cents.
    hourly = shown.shown_hourly(pay.effective_hourly(samples.samples, task.reward_cents, requester.prior,
                                                     platform.prior, stated_seconds=stated))
    avoid = should_avoid(samples.flags, requester.summary.evidence.blocks, samples.reports)
    found = Figures(prior=platform.prior, hourly=hourly, avoid=avoid,
                    requester=requester, flags=samples.flags, encoded_flags=msgspec.Raw(_encode(samples.flags)))
    if type_facts.task_type_id is not None:
        type_facts.figures[(task.reward_cents, task.currency, stated, weights)] = found
    return found


def banded(found: Figures, currency: str, target: int) -> Banded:
    """The answer's `hourly` for one target wage: its band is the only part the target changes (memoized)."""
    out = found.banded.get(target)
    if out is None:
        hourly = found.hourly
        value = hourly_out(hourly, currency, pay.band_for(hourly, target, avoid=found.avoid))
        out = found.banded[target] = Banded(msgspec.Raw(_encode(value)))
    return out


def _page_figures(tasks: Sequence[Task], facts: Sequence[TypeFacts], platform: Platform | None, weights: Weights,
                  target: int) -> list[tuple[Figures, Banded]]:
    if platform is None:  # an empty page
        return []
    prior = platform.prior
    out = []
    # Per task: one dict read for the memoized figures and one for the banded answer; the function calls
    # are inlined here because this loop runs 100 times per request.
    for task, fact in zip(tasks, facts):
        found = fact.figures.get((task.reward_cents, task.currency, task.stated_seconds or fact.stated_seconds, weights))
        if found is None or found.prior is not prior:
            found = figures(task, fact, platform, weights)
        band = found.banded.get(target)
        if band is None:
            band = banded(found, task.currency, target)
        out.append((found, band))
    return out


def page_annotations(tasks: Sequence[Task], facts: Sequence[TypeFacts], platform: Platform, filters: Filters,
                now: datetime) -> list[Annotation]:
    """One annotation per task, in page order."""
    inert = filters_are_inert(filters)
    return [
        Annotation(
            index=index, task_type_id=fact.task_type_id, hit_set_id=task.hit_set_id, title=task.title,
            requester_id=task.requester_id, reward_cents=task.reward_cents, currency=task.currency,
            hourly=_HOURLY.decode(band.encoded), requester=found.requester.summary, flags=found.flags,
            verdict=SHOWN if inert else verdict(task, found.hourly.cents_per_hour, found.hourly.duration_seconds,
                                                found.flags, filters, now))
        for index, (task, fact, (found, band)) in enumerate(zip(tasks, facts, _page_figures(
            tasks, facts, platform, weights_of(filters), filters.target_cents_per_hour)))
    ]


def encoded_page(platform_name: str, tasks: Sequence[Task], facts: Sequence[TypeFacts], platform: Platform | None,
                 filters: Filters, filters_from: str, now: datetime) -> bytes:
    """The whole answer (AnnotateOut) as JSON, from the memoized parts' JSON: the same bytes as encoding
    AnnotateOut(tasks=page_annotations(…)), without encoding each requester summary and hourly again."""
    inert = filters_are_inert(filters)
    target = filters.target_cents_per_hour
    return _encode(_AnnotateOutJson(platform=platform_name, target_cents_per_hour=target, filters_from=filters_from, tasks=[
        _AnnotationJson(
            index=index, task_type_id=fact.task_type_id, hit_set_id=task.hit_set_id, title=task.title,
            requester_id=task.requester_id, reward_cents=task.reward_cents, currency=task.currency,
            hourly=band.encoded, requester=found.requester.encoded, flags=found.encoded_flags,
            verdict=_SHOWN_JSON if inert else verdict(task, found.hourly.cents_per_hour, found.hourly.duration_seconds,
                                                      found.flags, filters, now))
        for index, (task, fact, (found, band)) in enumerate(zip(tasks, facts, _page_figures(
            tasks, facts, platform, weights_of(filters), target)))
    ]))
