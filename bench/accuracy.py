"""Accuracy of the figures workers are shown, against a simulated marketplace whose truth is known.

    python bench/accuracy.py [--seed 1 --reps 12 --attack-markets 3] [--section accuracy] [--no-docs] [--json FILE]

Pure and fast: no server, no database. The marketplace's evidence goes through the same domain functions
the server uses (server/domain: identity, moderation's burst rules, aggregate, summary, pay, vocab), in the
order annotate uses them (server/tasks/compute.py), so what is measured is what a worker would be shown.

The marketplace (seeded):

* requesters with 1-6 task types each; a task type has a true median duration (log-normal around 5
  minutes, from 20 s to 2 h), a reward that makes its true hourly log-normal around $6/h, the requester's
  approval rate (most near 1, some poor), a return rate, and sometimes a duration stated in its title (often
  optimistic: requesters' claims run short). A few task types are broken; a few requesters block workers.
* honest workers (established accounts, months or years old): each has a speed of their own (log-normal,
  σ 0.25); a timing is the true median × their speed × noise (σ 0.35); 6 % of timings had the tab left open
  (× 2-20); returned work counts its time with no pay; 40 % of reports also write a review (ratings from
  the pay and approval they met, the outcome, "broken" on broken tasks), some review without timing.
* the truth of a task type: reward × P(paid) × 3600 × (1 − q) / ((1 − q)·d + q·d_r), with d the true median
  duration, q the return rate and d_r the mean time of a returned attempt: what pay.effective_hourly
  estimates. A task is truly "avoid" when broken or its requester blocks workers.

Measured:

1. **By number of timings n** (0, 1, 2, 3, 5, 10, 20, 50 honest workers on the task; the requester's other
   task types carry their usual evidence): error of the shown hourly against the truth, how often the truth
   lies inside the shown low–high range against the share that range claims, the false-good rate (shown
   "good" while truly below the worker's target, $7.25/h: among such tasks) and the false-avoid rate
   (shown "avoid" while truly not).
2. **Attacks**: on a marketplace with honest evidence, k attacker accounts (k = 1, 2, 5, 10) act against
   a target task and its requester: fresh accounts (minutes old) acting in one burst or one a day, and
   sleeper accounts (60 days old, no other activity). Scenarios: single fast timings, floods of fast
   timings, slow timings, 5-star and 1-star floods, "blocked" floods, "broken" floods, 30 made-up titles
   each, confusable titles (case, a trailing ".", zero-width space, Cyrillic "а", fullwidth letters),
   +1 cent variants. Reported: how often any band of the requester (its own or any of its task types')
   changed, and how far the target's hourly, the requester's hourly and its pay rating moved.

Targets (exit status 2 when one is missed): false-good ≤ 1 % at every n; the low–high range holds the
truth as often as it says, within 10 points, at every n where it is shown; 5 fresh accounts change no
band, in any scenario. The result goes to docs/benchmarks.md between `<!-- bench:<section>:start/end -->`.
"""
from __future__ import annotations

import argparse
import json
import math
import platform as platform_module
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/accuracy.py` from anywhere
    sys.path.insert(0, str(ROOT))

import msgspec  # noqa: E402

from scrapers.model import Task  # noqa: E402
from server.domain import pay  # noqa: E402
from server.domain.aggregate import PlatformSums, ReviewRow, requester_aggregates  # noqa: E402
from server.domain.identity import TaskKey, task_key  # noqa: E402
from server.domain.moderation import BURST_WINDOW, BurstCandidate, burst_to_hold, review_carries_evidence  # noqa: E402
from server.domain.summary import Platform, combined_sample_summary, platform_from_row, summary_of  # noqa: E402
from server.domain.vocab import should_avoid, weighted_flags  # noqa: E402
from server.domain.weights import Standing, is_new  # noqa: E402

SECTION_ID = "accuracy"
DOCS = ROOT / "docs" / "benchmarks.md"
NOW = datetime(2027, 1, 1, tzinfo=timezone.utc)  # the simulated present (never the wall clock)
TARGET = pay.DEFAULT_TARGET_CENTS_PER_HOUR
N_LEVELS = (0, 1, 2, 3, 5, 10, 20, 50)
ATTACKERS = (1, 2, 5, 10)
FALSE_GOOD_TARGET = 0.01
CALIBRATION_POINTS = 0.10
FRESH_TARGET_K = 5

# --- the marketplace ----------------------------------------------------------------------------------

REQUESTERS = 80
HONEST_WORKERS = 600
SPEED_SIGMA = 0.25  # between workers
NOISE_SIGMA = 0.35  # one worker, one task
TAB_OPEN = 0.06  # timings with the tab left open
REVIEW_SHARE = 0.4  # reports that also write a review
REVIEW_ONLY = 0.15  # reports that are a review with a remembered time, no timing
WORDS = ("survey", "images", "receipts", "audio", "products", "tweets", "addresses", "videos", "logos", "forms",
         "sentences", "websites", "menus", "faces", "charts", "emails")
VERBS = ("Categorize", "Transcribe", "Tag", "Answer a short survey about", "Rate", "Find the", "Describe",
         "Verify", "Label", "Compare")


@dataclass
class TaskTruth:
    type_index: int
    title: str
    reward_cents: int
    median_seconds: float
    return_rate: float
    broken: bool
    stated_seconds: int | None  # what the title says (None: says nothing)


@dataclass
class RequesterTruth:
    external_id: str
    name: str
    approval: float  # P(approved) of a submitted task
    block_rate: float  # P(blocked) of a submitted task (0 for most)
    tasks: list[TaskTruth]

    def paid(self) -> float:
        return self.approval * (1.0 - self.block_rate)

    def truth(self, task: TaskTruth) -> float:
        q = task.return_rate
        d, d_r = task.median_seconds, task.median_seconds * RETURNED_FRACTION
        return task.reward_cents * self.paid() * 3600.0 * (1.0 - q) / ((1.0 - q) * d + q * d_r)

    def truly_avoid(self, task: TaskTruth) -> bool:
        return task.broken or self.block_rate > 0


RETURNED_FRACTION = 0.275  # a returned attempt takes on average this share of the median duration (U(0.05, 0.5))


def make_market(rng: random.Random) -> list[RequesterTruth]:
    requesters = []
    for r in range(REQUESTERS):
        approval = rng.uniform(0.97, 1.0) if rng.random() < 0.82 else rng.uniform(0.55, 0.92)
        block_rate = rng.uniform(0.1, 0.3) if rng.random() < 0.05 else 0.0
        speed = rng.gauss(0.0, 0.5)  # some requesters make long tasks
        optimism = rng.uniform(0.5, 1.1)  # stated durations run short of the truth
        tasks = []
        titles: set[str] = set()
        for t in range(rng.randint(1, 6)):
            title = f"{rng.choice(VERBS)} {rng.choice(WORDS)}"
            while title in titles:
                title += f" ({len(titles) + 1})"
            titles.add(title)
            seconds = min(7200.0, max(20.0, math.exp(rng.gauss(math.log(300) + speed, 0.9))))
            hourly = math.exp(rng.gauss(math.log(600), 0.6))
            reward = max(1, round(hourly * seconds / 3600))
            broken = rng.random() < 0.03
            stated = None
            if rng.random() < 0.3:
                stated = max(60, round(seconds * optimism * math.exp(rng.gauss(0, 0.3)) / 60) * 60)
            tasks.append(TaskTruth(t, title, reward, seconds, 0.6 if broken else rng.uniform(0.0, 0.12), broken, stated))
        requesters.append(RequesterTruth(f"AREQ{r:05d}BENCH", f"Requester {r}", approval, block_rate, tasks))
    return requesters


# --- accounts and evidence ----------------------------------------------------------------------------


@dataclass
class Account:
    id: int
    created_at: datetime
    role: str = "worker"
    speed: float = 1.0  # honest workers' own pace
    requesters: int = 0  # what the standing job would have found (server/stats/standing.py)
    history_requesters: int = 0
    compared: int = 0
    agreed: int = 0

    def standing(self) -> Standing:
        return Standing(created_at=self.created_at, role=self.role, requesters=self.requesters,
                        history_requesters=self.history_requesters, compared=self.compared, agreed=self.agreed)


@dataclass
class Timing:
    key: TaskKey
    worker_id: int
    seconds: float
    outcome: str
    created_at: datetime


@dataclass
class ReviewIn:
    key: TaskKey
    worker_id: int
    ratings: dict[str, int | None]
    worked_seconds: int | None
    outcome: str | None
    flags: list[str]
    created_at: datetime


@dataclass
class Evidence:
    """What workers sent about one requester, in the order they sent it."""

    timings: list[Timing] = field(default_factory=list)
    reviews: list[ReviewIn] = field(default_factory=list)

    def copy(self) -> Evidence:
        return Evidence(list(self.timings), list(self.reviews))


def key_of(requester: RequesterTruth, title: str, reward_cents: int) -> TaskKey:
    return task_key(Task(platform="mturk", requester_id=requester.external_id, requester_name=requester.name,
                         title=title, reward_cents=reward_cents))


def honest_accounts(rng: random.Random) -> list[Account]:
    """Workers of months or years, each with the activity the standing job finds: evidence about 2-150
    requesters, some platform history imported, timings that mostly agree with others'."""
    out = []
    for i in range(1, HONEST_WORKERS + 1):
        requesters = int(math.exp(rng.uniform(math.log(2), math.log(150))))
        compared = rng.randint(0, requesters)
        out.append(Account(i, NOW - timedelta(days=rng.uniform(30, 1500)), speed=math.exp(rng.gauss(0, SPEED_SIGMA)),
                           requesters=requesters, history_requesters=rng.choice((0, 0, 5, 20, 60)),
                           compared=compared, agreed=round(compared * rng.uniform(0.8, 1.0))))
    return out


def _rating(value: float) -> int:
    return max(1, min(5, round(value)))


def honest_report(rng: random.Random, requester: RequesterTruth, task: TaskTruth, worker: Account,
                  evidence: Evidence) -> None:
    """One honest worker's timing and/or review of one task."""
    key = key_of(requester, task.title, task.reward_cents)
    when = NOW - timedelta(days=rng.uniform(1, 200))
    returned = rng.random() < task.return_rate
    if returned:
        seconds = task.median_seconds * worker.speed * rng.uniform(0.05, 0.5)
        outcome = "returned"
    else:
        seconds = task.median_seconds * worker.speed * math.exp(rng.gauss(0, NOISE_SIGMA))
        if rng.random() < TAB_OPEN:
            seconds *= rng.uniform(2, 20)
        draw = rng.random()
        outcome = "blocked" if draw < requester.block_rate else (
            "approved" if rng.random() < requester.approval else "rejected")
    seconds = min(seconds, 23 * 3600.0)
    review_only = rng.random() < REVIEW_ONLY
    if not review_only:
        # The extension records "submitted"; it learns the decision later for some.
        shown = outcome if outcome == "returned" or rng.random() < 0.3 else "submitted"
        evidence.timings.append(Timing(key, worker.id, max(1.0, seconds), shown, when))
    if review_only or rng.random() < REVIEW_SHARE:
        paid = outcome == "approved"
        hourly = (task.reward_cents if paid else 0) * 3600.0 / max(seconds, 1.0)
        pay_rating = _rating(3 + 1.6 * math.log2(max(hourly, 1.0) / TARGET) + rng.gauss(0, 0.7))
        fairness = _rating(5 - 6 * (1 - requester.paid()) + rng.gauss(0, 0.6))
        flags = ["broken"] if task.broken and rng.random() < 0.8 else []
        remembered = round(max(30.0, seconds * math.exp(rng.gauss(0, 0.2))) / 60) * 60 if review_only else round(seconds)
        evidence.reviews.append(ReviewIn(key, worker.id, {"pay": pay_rating, "fairness": fairness, "speed": None,
                                                          "communication": None},
                                         remembered, None if outcome == "returned" and rng.random() < 0.5 else outcome,
                                         flags, when))


# --- the rules: today's, through the domain functions ---------------------------------------------------


@dataclass
class Shown:
    """What a worker is shown of one requester: each task type's hourly and band, and the requester's."""

    tasks: dict[int, tuple[pay.Hourly, str]]  # by TaskTruth.type_index
    requester_hourly: float | None
    requester_band: str
    pay_mean: float | None
    pay_score: float | None


def _review_row(review: ReviewIn) -> SimpleNamespace:
    return SimpleNamespace(**{f"rating_{d}": v for d, v in review.ratings.items()}, outcome=review.outcome,
                           flags=review.flags, worked_seconds=review.worked_seconds)


def hold_bursts(reviews: Sequence[ReviewIn], accounts: dict[int, Account]) -> set[int]:
    """Indexes of the reviews the review write holds (server/reviews/service.py hold_burst), in arrival order."""
    status: dict[int, str] = {}
    for index, review in sorted(enumerate(reviews), key=lambda pair: pair[1].created_at):
        status[index] = "visible"
        now = review.created_at
        if not review_carries_evidence(_review_row(review)):
            continue
        candidates = []
        for other, seen in status.items():
            r = reviews[other]
            if now - r.created_at > BURST_WINDOW:
                continue
            a = accounts[r.worker_id]
            candidates.append(BurstCandidate(other, r.created_at, is_new(a.standing(), now),
                                             review_carries_evidence(_review_row(r)), seen,
                                             worker_id=r.worker_id))
        for other in burst_to_hold(candidates, now):
            status[other] = "held"
    return {index for index, seen in status.items() if seen == "held"}


class Stats(SimpleNamespace):
    """A stored requester_stats row as summary_of reads it."""


def shown(requester: RequesterTruth, evidence: Evidence, accounts: dict[int, Account], platform: Platform,
          now: datetime = NOW) -> Shown:
    """Everything a worker sees of this requester after this evidence, as server/tasks/compute.py shows it."""
    type_ids: dict[TaskKey, int] = {}
    rewards: dict[int, int] = {}
    stated: dict[int, int | None] = {}
    index_of: dict[int, int] = {}
    for task in requester.tasks:  # the real task types are known (recorded when first shown)
        key = key_of(requester, task.title, task.reward_cents)
        type_id = type_ids.setdefault(key, len(type_ids) + 1)
        rewards[type_id], stated[type_id], index_of[type_id] = key.reward_cents, task.stated_seconds, task.type_index

    def type_of(key: TaskKey) -> int:
        if key not in type_ids:
            type_ids[key] = len(type_ids) + 1
            rewards[type_ids[key]] = key.reward_cents
        return type_ids[key]

    held = hold_bursts(evidence.reviews, accounts)
    rows: list[ReviewRow] = []
    reviewed: set[tuple[int, int]] = set()
    for index, review in enumerate(evidence.reviews):
        type_id = type_of(review.key)
        if (review.worker_id, type_id) in reviewed:
            continue  # one review per worker per task type: a second one is refused (409)
        reviewed.add((review.worker_id, type_id))
        if index in held:
            continue
        author = accounts[review.worker_id]
        rows.append(ReviewRow(index + 1, review.worker_id, 1, type_id, review.ratings["pay"], review.ratings["fairness"],
                              review.ratings["speed"], review.ratings["communication"], review.worked_seconds,
                              review.outcome, None, None, review.created_at, review.flags, author.created_at, author.role))
    timings = [(type_of(t.key), t.worker_id, t.seconds, t.outcome, t.created_at) for t in evidence.timings]
    families = {type_id: (key.title_key, key.currency) for key, type_id in type_ids.items()}
    standings = {worker_id: accounts[worker_id].standing()
                 for worker_id in {t.worker_id for t in evidence.timings} | {r.worker_id for r in evidence.reviews}}
    result = requester_aggregates(rewards, rows, timings, now, standings, families)
    stats = Stats(**result.requester) if result.requester is not None else None
    ident = SimpleNamespace(platform="mturk", external_id=requester.external_id, name=requester.name)
    summary = summary_of(ident, stats, platform)
    samples = combined_sample_summary(stats)
    prior = pay.requester_prior(samples, platform.prior) if samples else None
    out: dict[int, tuple[pay.Hourly, str]] = {}
    for type_id, task_index in index_of.items():
        stored = result.task_types.get(type_id)
        type_summary = msgspec.convert(stored["summary"], pay.SampleSummary) if stored else None
        evidence_ = type_summary.reviews if type_summary is not None else None
        flags, reports = weighted_flags([(evidence_.flags, evidence_.weight, 1.0)] if evidence_ is not None else [])
        hourly = pay.effective_hourly(type_summary, rewards[type_id], prior, platform.prior,
                                      stated_seconds=stated[type_id])
        avoid = should_avoid(flags, summary.evidence.blocks, reports)
        out[task_index] = (hourly, pay.band_for(hourly, TARGET, avoid=avoid))
    # The requester's own figure: what a task of it paying its median reward would be shown.
    reward = round(statistics.median(task.reward_cents for task in requester.tasks))
    own = pay.effective_hourly(None, reward, prior, platform.prior)
    requester_band = pay.band_for(own, TARGET, avoid=should_avoid([], summary.evidence.blocks))
    score = summary.scores["pay"]
    return Shown(out, own.cents_per_hour, requester_band, score.mean, score.score)


def platform_of(market: Sequence[RequesterTruth], evidence: dict[str, Evidence], accounts: dict[int, Account]) -> Platform:
    """The platform prior: sums over every requester (as server/stats/refresh.py keeps them)."""
    sums = PlatformSums()
    empty = platform_from_row("mturk", None)
    for requester in market:
        ev = evidence[requester.external_id]
        type_ids = {key_of(requester, t.title, t.reward_cents): i for i, t in enumerate(requester.tasks, 1)}
        rewards = {i: t.reward_cents for i, t in enumerate(requester.tasks, 1)}
        timings = [(type_ids[t.key], t.worker_id, t.seconds, t.outcome, t.created_at) for t in ev.timings
                   if t.key in type_ids]
        rows = [ReviewRow(n, r.worker_id, 1, type_ids[r.key], r.ratings["pay"], r.ratings["fairness"], None, None,
                          r.worked_seconds, r.outcome, None, None, r.created_at, r.flags,
                          accounts[r.worker_id].created_at, "worker")
                for n, r in enumerate(ev.reviews, 1) if r.key in type_ids]
        standings = {w: accounts[w].standing() for w in {t.worker_id for t in ev.timings} | {r.worker_id for r in ev.reviews}}
        result = requester_aggregates(rewards, rows, timings, NOW, standings)
        sums.add(result.summary, result.ratings)
    if not sums.n_completed:
        return empty
    row = SimpleNamespace(**sums.row("mturk", NOW))
    return platform_from_row("mturk", row)


# --- 1. accuracy by number of timings -------------------------------------------------------------------


@dataclass
class ByN:
    n: int
    tasks: int = 0
    errors: list[float] = field(default_factory=list)  # |log(shown / truth)| of tasks with a figure
    ranged: int = 0  # tasks shown with a low–high range
    covered: int = 0  # … whose range holds the truth
    claimed: list[float] = field(default_factory=list)  # the share each shown range claims to hold
    below: int = 0  # tasks truly below the target
    false_good: int = 0
    not_avoid: int = 0
    false_avoid: int = 0
    bands: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    bases: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def row(self) -> dict[str, Any]:
        errors = sorted(self.errors)

        def pct(q: float) -> float | None:
            return (math.exp(errors[min(len(errors) - 1, int(q * len(errors)))]) - 1) * 100 if errors else None

        return {"n": self.n, "tasks": self.tasks, "with_figure": len(errors), "median_error_pct": pct(0.5),
                "p90_error_pct": pct(0.9), "ranged": self.ranged,
                "coverage": self.covered / self.ranged if self.ranged else None,
                "claimed": statistics.fmean(self.claimed) if self.claimed else None,
                "below_target": self.below, "false_good": self.false_good,
                "false_good_rate": self.false_good / self.below if self.below else 0.0,
                "not_avoid": self.not_avoid, "false_avoid": self.false_avoid,
                "false_avoid_rate": self.false_avoid / self.not_avoid if self.not_avoid else 0.0,
                "bands": dict(self.bands), "bases": dict(self.bases)}


def range_claim(hourly: pay.Hourly) -> float | None:
    """What the shown low–high claims: the figure's range holds the truth RANGE_COVERAGE of the time."""
    return pay.RANGE_COVERAGE if hourly.low is not None and hourly.high is not None else None


def baseline_evidence(rng: random.Random, market: Sequence[RequesterTruth], workers: list[Account]) -> dict[str, Evidence]:
    """Every task type with its usual number of honest workers."""
    evidence = {}
    for requester in market:
        ev = Evidence()
        for task in requester.tasks:
            for worker in rng.sample(workers, usual_count(rng)):
                honest_report(rng, requester, task, worker, ev)
        evidence[requester.external_id] = ev
    return evidence


def usual_count(rng: random.Random) -> int:
    return rng.choice((0, 1, 2, 3, 5, 8, 13, 20, 30))


def by_n(seed: int, reps: int) -> list[dict[str, Any]]:
    results = {n: ByN(n) for n in N_LEVELS}
    for rep in range(reps):
        rng = random.Random(seed * 1000 + rep)
        market = make_market(rng)
        workers = honest_accounts(rng)
        accounts = {a.id: a for a in workers}
        # The platform prior from the usual evidence; it hardly depends on one requester.
        platform = platform_of(market, baseline_evidence(rng, market, workers), accounts)
        for n in N_LEVELS:
            for requester in market:
                # Half its task types (at least one) get exactly n workers; the others their usual evidence.
                chosen = {t.type_index for t in requester.tasks if rng.random() < 0.5} or {requester.tasks[0].type_index}
                ev = Evidence()
                for task in requester.tasks:
                    count = n if task.type_index in chosen else usual_count(rng)
                    for worker in rng.sample(workers, count):
                        honest_report(rng, requester, task, worker, ev)
                seen = shown(requester, ev, accounts, platform)
                for task in requester.tasks:
                    if task.type_index not in chosen:
                        continue
                    hourly, band = seen.tasks[task.type_index]
                    tally(results[n], requester, task, hourly, band)
    return [results[n].row() for n in N_LEVELS]


def tally(result: ByN, requester: RequesterTruth, task: TaskTruth, hourly: pay.Hourly, band: str) -> None:
    truth = requester.truth(task)
    result.tasks += 1
    result.bands[band] += 1
    result.bases[hourly.basis] += 1
    if hourly.cents_per_hour is not None and hourly.cents_per_hour > 0 and truth > 0:
        result.errors.append(abs(math.log(hourly.cents_per_hour / truth)))
    claim = range_claim(hourly)
    if claim is not None and hourly.low is not None and hourly.high is not None:
        result.ranged += 1
        result.claimed.append(claim)
        result.covered += hourly.low <= truth <= hourly.high
    if truth < TARGET:
        result.below += 1
        result.false_good += band == "good"
    if not requester.truly_avoid(task):
        result.not_avoid += 1
        result.false_avoid += band == "avoid"


# --- 2. attacks -----------------------------------------------------------------------------------------

ZERO_WIDTH = "\u200b"
CYRILLIC = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440"}


def confusables(title: str) -> list[str]:
    """Titles a worker reads as the same task: case, a trailing ".", spaces, zero-width space, Cyrillic
    letters that look Latin, fullwidth letters."""
    first = next((c for c in title if c in CYRILLIC), None)
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in title)
    variants = [title.upper(), title.lower(), title + ".", title + " .", "  " + title.replace(" ", "  "),
                title[:3] + ZERO_WIDTH + title[3:], fullwidth,
                title.replace(first, CYRILLIC[first], 1) if first else title + ZERO_WIDTH]
    return variants


@dataclass
class Attack:
    """One attacker account acting on one target."""

    rng: random.Random
    requester: RequesterTruth
    task: TaskTruth
    account: Account
    when: datetime
    evidence: Evidence

    def key(self, title: str | None = None, reward_cents: int | None = None) -> TaskKey:
        return key_of(self.requester, self.task.title if title is None else title,
                      self.task.reward_cents if reward_cents is None else reward_cents)

    def timing(self, key: TaskKey, seconds: float, outcome: str, after: timedelta = timedelta(0)) -> None:
        self.evidence.timings.append(Timing(key, self.account.id, seconds, outcome, self.when + after))

    def review(self, key: TaskKey, stars: int | None, outcome: str | None, seconds: int | None,
               flags: list[str] | None = None, after: timedelta = timedelta(0)) -> None:
        self.evidence.reviews.append(ReviewIn(key, self.account.id, {d: stars for d in ("pay", "fairness", "speed", "communication")},
                                              seconds, outcome, flags or [], self.when + after))


@dataclass
class Scenario:
    name: str
    what: str
    act: Callable[[Attack], None]


def _fast_timing(a: Attack) -> None:
    a.timing(a.key(), 20.0, "submitted")


def _fast_flood(a: Attack) -> None:
    for i in range(20):
        a.timing(a.key(), 20.0 + i, "approved", timedelta(seconds=30 * i))


def _slow(a: Attack) -> None:
    for i in range(3):
        a.timing(a.key(), 6 * 3600.0, "submitted", timedelta(minutes=i))


def _five_star(a: Attack) -> None:
    a.review(a.key(), 5, "approved", 30)


def _one_star(a: Attack) -> None:
    a.review(a.key(), 1, "rejected", 3 * 3600)


def _blocked(a: Attack) -> None:
    a.timing(a.key(), a.task.median_seconds, "blocked")
    a.review(a.key(), None, "blocked", None)


def _broken(a: Attack) -> None:
    a.review(a.key(), 5, "approved", None, ["broken"])


def _fake_task(a: Attack, key: TaskKey, i: int) -> None:
    a.review(key, 5, "approved", 30, after=timedelta(seconds=i))
    a.timing(key, 20.0, "approved", timedelta(seconds=i))


def _made_up(a: Attack) -> None:
    for i in range(30):
        _fake_task(a, a.key(f"Made-up task {a.account.id} number {i}", a.rng.randint(50, 500)), i)


def _confusable(a: Attack) -> None:
    for i, title in enumerate(confusables(a.task.title)):
        _fake_task(a, a.key(title), i)


def _plus_cent(a: Attack) -> None:
    for i in range(30):
        _fake_task(a, a.key(reward_cents=a.task.reward_cents + 1 + i), i)


SCENARIOS = (
    Scenario("fast-timing", "one 20 s timing each", _fast_timing),
    Scenario("fast-flood", "20 timings of 20 s each", _fast_flood),
    Scenario("slow-timings", "3 timings of 6 h each", _slow),
    Scenario("5-star", "a 5-star review, approved, 30 s", _five_star),
    Scenario("1-star", "a 1-star review, rejected, 3 h", _one_star),
    Scenario("blocked", "a blocked timing and review", _blocked),
    Scenario("broken", "a 5-star review flagged broken", _broken),
    Scenario("made-up-titles", "30 made-up task types, 5 stars and 20 s each", _made_up),
    Scenario("confusable-titles", "8 look-alike titles, 5 stars and 20 s each", _confusable),
    Scenario("plus-one-cent", "30 reward variants (+1-30 cents), 5 stars and 20 s each", _plus_cent),
)
MODES = {
    "fresh-burst": "fresh accounts, minutes old, all within an hour",
    "fresh-daily": "fresh accounts, one a day (the last measured right after it acted)",
    "sleeper": "accounts 60 days old with no other activity, all within an hour",
}


def attackers(mode: str, k: int, first_id: int) -> list[tuple[Account, datetime]]:
    """(account, when it acts), the measurement taken at NOW. Each has the standing the standing job finds for
    it: evidence about one requester (the target)."""
    out = []
    for i in range(k):
        if mode == "fresh-burst":
            when = NOW - timedelta(minutes=60 - 5 * i)
            out.append((Account(first_id + i, when - timedelta(minutes=10), requesters=1), when))
        elif mode == "fresh-daily":
            when = NOW - timedelta(days=k - 1 - i, minutes=5)
            out.append((Account(first_id + i, when - timedelta(minutes=10), requesters=1), when))
        else:
            when = NOW - timedelta(minutes=60 - 5 * i)
            out.append((Account(first_id + i, NOW - timedelta(days=60), requesters=1), when))
    return out


@dataclass
class AttackResult:
    scenario: str
    mode: str
    k: int
    targets: int = 0
    band_changed: int = 0  # targets where any band of the requester changed
    target_band_changed: int = 0  # … the target task's own band
    moves: list[float] = field(default_factory=list)  # |log ratio| of the target's hourly
    requester_moves: list[float] = field(default_factory=list)  # |log ratio| of the requester's hourly
    pay_mean_moves: list[float] = field(default_factory=list)
    appeared: int = 0  # targets whose hourly, requester hourly or pay mean was not shown before and is after (or the reverse)
    examples: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        def worst(values: list[float], log: bool = True) -> float:
            if not values:
                return 0.0
            m = max(values)
            return (math.exp(m) - 1) * 100 if log else m

        return {"scenario": self.scenario, "mode": self.mode, "k": self.k, "targets": self.targets,
                "band_changed": self.band_changed, "target_band_changed": self.target_band_changed,
                "appeared": self.appeared, "max_move_pct": worst(self.moves),
                "median_move_pct": (math.exp(statistics.median(self.moves)) - 1) * 100 if self.moves else 0.0,
                "max_requester_move_pct": worst(self.requester_moves),
                "max_pay_mean_move": worst(self.pay_mean_moves, log=False), "examples": self.examples[:3]}


def _log_move(before: float | None, after: float | None) -> float | None:
    """|log(after / before)|; None when a figure appeared or went (counted apart)."""
    if before is None and after is None:
        return 0.0
    if before is None or after is None or before <= 0 or after <= 0:
        return None if before != after else 0.0
    return abs(math.log(after / before))


def attacks(seed: int, markets: int, targets_per_market: int) -> list[dict[str, Any]]:
    results: dict[tuple[str, str, int], AttackResult] = {}
    for m in range(markets):
        rng = random.Random(seed * 7919 + m)
        market = make_market(rng)
        workers = honest_accounts(rng)
        accounts: dict[int, Account] = {a.id: a for a in workers}
        evidence = baseline_evidence(rng, market, workers)
        platform = platform_of(market, evidence, accounts)
        picks = rng.sample([(r, t) for r in market for t in r.tasks], targets_per_market)
        for requester, target in picks:
            before = shown(requester, evidence[requester.external_id], accounts, platform)
            for scenario in SCENARIOS:
                for mode in MODES:
                    for k in ATTACKERS:
                        result = results.setdefault((scenario.name, mode, k), AttackResult(scenario.name, mode, k))
                        ev = evidence[requester.external_id].copy()
                        attack_accounts = dict(accounts)
                        act_rng = random.Random(rng.random())
                        for account, when in attackers(mode, k, 10_000_000):
                            attack_accounts[account.id] = account
                            scenario.act(Attack(act_rng, requester, target, account, when, ev))
                        after = shown(requester, ev, attack_accounts, platform)
                        compare(result, requester, target, before, after)
    return [r.row() for r in results.values()]


def compare(result: AttackResult, requester: RequesterTruth, target: TaskTruth, before: Shown, after: Shown) -> None:
    result.targets += 1
    b_hourly, b_band = before.tasks[target.type_index]
    a_hourly, a_band = after.tasks[target.type_index]
    changed = [t.type_index for t in requester.tasks if before.tasks[t.type_index][1] != after.tasks[t.type_index][1]]
    requester_changed = before.requester_band != after.requester_band
    if changed or requester_changed:
        result.band_changed += 1
        if len(result.examples) < 3:
            what = f"task {b_band}→{a_band}" if target.type_index in changed else (
                f"another task {before.tasks[changed[0]][1]}→{after.tasks[changed[0]][1]}" if changed else "")
            if requester_changed:
                what += ("; " if what else "") + f"requester {before.requester_band}→{after.requester_band}"
            result.examples.append(what)
    result.target_band_changed += b_band != a_band
    moves = [_log_move(b_hourly.cents_per_hour, a_hourly.cents_per_hour),
             _log_move(before.requester_hourly, after.requester_hourly)]
    mean_move = (abs(after.pay_mean - before.pay_mean) if before.pay_mean is not None and after.pay_mean is not None
                 else None if before.pay_mean != after.pay_mean else 0.0)
    if None in moves or mean_move is None:
        result.appeared += 1
    if moves[0] is not None:
        result.moves.append(moves[0])
    if moves[1] is not None:
        result.requester_moves.append(moves[1])
    if mean_move is not None:
        result.pay_mean_moves.append(mean_move)


# --- the report -----------------------------------------------------------------------------------------


def judge(result: dict[str, Any]) -> list[str]:
    """The targets missed, in words (empty: all met)."""
    missed = []
    for row in result["by_n"]:
        if row["false_good_rate"] > FALSE_GOOD_TARGET:
            missed.append(f"false-good {row['false_good_rate']:.1%} at n = {row['n']} (target ≤ {FALSE_GOOD_TARGET:.0%})")
        if row["coverage"] is not None and abs(row["coverage"] - row["claimed"]) > CALIBRATION_POINTS:
            missed.append(f"low–high holds the truth {row['coverage']:.0%} of the time at n = {row['n']}, "
                          f"but claims {row['claimed']:.0%}")
    for row in result["attacks"]:
        if row["k"] == FRESH_TARGET_K and row["mode"].startswith("fresh") and row["band_changed"]:
            missed.append(f"{FRESH_TARGET_K} fresh accounts ({row['mode']}, {row['scenario']}) changed a band for "
                          f"{row['band_changed']} of {row['targets']} targets")
    return missed


def _pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f} %"


def _num(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def markdown_section(result: dict[str, Any], section: str) -> str:
    o = result["options"]
    title = "Accuracy of the shown figures (`bench/accuracy.py`)" if section == SECTION_ID else \
        f"Accuracy of the shown figures, {result['label']} (`bench/accuracy.py`)"
    lines = [f"<!-- bench:{section}:start -->", f"## {title}", ""]
    lines += [result["rules"], ""]
    missed = result["missed"]
    lines += [("**All targets met.**" if not missed else "**Targets missed:** " + "; ".join(missed[:6])
               + (f"; and {len(missed) - 6} more" if len(missed) > 6 else "") + "."), ""]
    lines += ["By number of honest workers on the task (n = 0: none; the requester's other task types carry "
              f"their usual evidence). Errors of the shown hourly against the truth; the range column: how often "
              f"the truth lies inside the shown low–high, against the share it claims; false-good among tasks truly "
              f"below ${TARGET / 100:.2f}/h, false-avoid among tasks truly fine.", "",
              "| n | tasks | with a figure | median error | 90th pct error | range shown | range holds truth | range claims | false-good | false-avoid | bands (good/ok/low/avoid/unknown) |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in result["by_n"]:
        bands = "/".join(str(row["bands"].get(b, 0)) for b in ("good", "ok", "low", "avoid", "unknown"))
        lines.append(
            f"| {row['n']} | {row['tasks']:,} | {row['with_figure']:,} | {_num(row['median_error_pct'])} % | "
            f"{_num(row['p90_error_pct'])} % | {row['ranged']:,} | {_pct(row['coverage'])} | {_pct(row['claimed'])} | "
            f"{_pct(row['false_good_rate'], 1)} ({row['false_good']}/{row['below_target']}) | "
            f"{_pct(row['false_avoid_rate'], 1)} ({row['false_avoid']}/{row['not_avoid']}) | {bands} |")
    lines += ["", f"Attacks: {o['attack_markets']} marketplaces × {o['targets']} targets. A band changed: any of the "
              "target requester's bands (its own or any of its task types') differs after the attack. Moves: the largest "
              "change of the target task's hourly and of the requester's, and of its pay rating's mean (stars).", ""]
    table = {(row["scenario"], row["mode"], row["k"]): row for row in result["attacks"]}
    lines += ["Requesters with a band changed (of the targets), by number of attacker accounts k:", "",
              "| scenario | accounts | " + " | ".join(f"k = {k}" for k in ATTACKERS) + " |",
              "|---|---|" + "---:|" * len(ATTACKERS)]
    for scenario in SCENARIOS:
        for mode in MODES:
            cells = []
            for k in ATTACKERS:
                row = table.get((scenario.name, mode, k))
                cell = f"{row['band_changed']}/{row['targets']}" if row else "–"
                cells.append(f"**{cell}**" if row and k == FRESH_TARGET_K and mode.startswith("fresh") else cell)
            lines.append(f"| {scenario.name} | {mode} | " + " | ".join(cells) + " |")
    lines += ["", f"How far k = 1 and k = {FRESH_TARGET_K} attackers moved figures (the largest move over the targets; "
              "\"appeared\": targets where a figure that was not shown before is shown after, or the reverse):", "",
              "| scenario | accounts | target hourly, k = 1 | target hourly, k = 5 | requester hourly, k = 5 | pay mean, k = 5 (stars) | appeared, k = 5 |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for scenario in SCENARIOS:
        for mode in MODES:
            one, five = table.get((scenario.name, mode, 1)), table.get((scenario.name, mode, FRESH_TARGET_K))
            if one is None or five is None:
                continue
            lines.append(f"| {scenario.name} | {mode} | {_num(one['max_move_pct'])} % | {_num(five['max_move_pct'])} % | "
                         f"{_num(five['max_requester_move_pct'])} % | {_num(five['max_pay_mean_move'], 2)} | "
                         f"{five['appeared']}/{five['targets']} |")
    lines += ["", "Scenarios: " + "; ".join(f"**{s.name}**: {s.what}" for s in SCENARIOS) + ". Accounts: "
              + "; ".join(f"**{name}**: {what}" for name, what in MODES.items()) + ".", ""]
    examples = [f"{row['scenario']} ({row['mode']}, k = {row['k']}): {', '.join(row['examples'])}"
                for row in result["attacks"] if row["k"] == FRESH_TARGET_K and row["examples"]
                and row["mode"].startswith("fresh")][:6]
    if examples:
        lines += ["Examples of bands 5 fresh accounts changed: " + "; ".join(examples) + ".", ""]
    lines += [f"- Marketplace: {REQUESTERS} requesters with 1-6 task types each, {HONEST_WORKERS} honest workers "
              f"(speed σ {SPEED_SIGMA}, noise σ {NOISE_SIGMA}, {TAB_OPEN:.0%} tabs left open, returns), "
              f"{o['reps']} marketplaces for the table by n (seed {o['seed']}); target ${TARGET / 100:.2f}/h.",
              f"- Command: `{result['command']}`",
              f"- Date: {result['date']}; code: {result['revision']}; {result['seconds']:.0f} s; Python {result['python']}",
              f"<!-- bench:{section}:end -->"]
    return "\n".join(lines)


RULES = ("Rules measured: issue 18's (docs/evidence.md): evidence weighs by its account's standing (nothing in the first "
         "week), one account counts once per task type and requester, bursts of new accounts' reviews or timings wait, "
         "titles are normalized before they name a task type and reward variants share their evidence; \"good\" needs "
         "two accounts' worth of the task's own timings and a 95 % lower bound above the target, \"avoid\" two accounts' "
         "worth of reports; low–high is the figure's 80 % range.")


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    from bench.common import git_revision, now_utc  # noqa: PLC0415  # only when run as a script

    started = time.monotonic()
    rows = by_n(args.seed, args.reps)
    attack_rows = attacks(args.seed, args.attack_markets, args.targets)
    result = {
        "options": {"seed": args.seed, "reps": args.reps, "attack_markets": args.attack_markets, "targets": args.targets},
        "label": args.label, "rules": RULES, "by_n": rows, "attacks": attack_rows,
        "command": "python bench/accuracy.py " + " ".join(args.argv), "date": now_utc(), "revision": git_revision(),
        "python": platform_module.python_version(), "seconds": time.monotonic() - started,
    }
    result["missed"] = judge(result)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1, help="seed of the marketplaces")
    parser.add_argument("--reps", type=int, default=12, help="marketplaces for the table by number of timings")
    parser.add_argument("--attack-markets", type=int, default=3, help="marketplaces for the attacks")
    parser.add_argument("--targets", type=int, default=20, help="target tasks per attack marketplace")
    parser.add_argument("--section", default=SECTION_ID, help="the section of docs/benchmarks.md to write")
    parser.add_argument("--label", default="current rules", help="what the section measures, in its title")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--json", type=Path, default=None, help="also write the full result as JSON here")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.reps < 1 or args.attack_markets < 1 or args.targets < 1:
        parser.error("--reps, --attack-markets and --targets must be at least 1")
    result = benchmark(args)
    print(json.dumps({"by_n": [{k: v for k, v in row.items() if k not in ("bands", "bases")} for row in result["by_n"]],
                      "missed": result["missed"]}, indent=1, default=str))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    if not args.no_docs:
        from bench.common import write_section  # noqa: PLC0415

        write_section(DOCS, args.section, markdown_section(result, args.section))
        print(f"Wrote {DOCS.relative_to(ROOT)}", file=sys.stderr)
    return 2 if result["missed"] else 0


if __name__ == "__main__":
    sys.exit(main())
