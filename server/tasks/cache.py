"""An in-process cache of what annotate looks up, so a page of known tasks costs no database round trip.

What is cached, and how it stays true:
* task identity (TaskKey → row ids, latest hit_set_id): task types are never renamed, so an entry stays
  right; a changed hit_set_id is written through.
* per-requester facts (its summary, its prior, its task types' stored statistics): every write that
  changes a requester bumps the requester's version after commit (see `watch_commits`), and an entry
  loaded under an older version is ignored. A reader that loaded data before a commit cannot store it
  after: it stores under the version it saw before reading, which the commit has bumped.
* platform priors: refreshed at most every `ttl` seconds; they move slowly and only feed shrinkage.
* whether other communities exist at all (any `sources` row): while none does, annotate skips the two
  queries for their figures. Kept like the platforms (ttl, dropped on every change): an import's
  commit notes the requesters it touched, which drops it.

Other server processes' writes are not seen by this process's versions: with several processes every
entry also expires after `ttl` seconds, which bounds how stale a figure can be. An expired requester's
facts are reloaded; when the stored figures are the same, the cached object and everything computed from
it are kept (lookup.py `_unchanged`).
* signed-in callers: their token check and saved filters by token hash, for at most VIEWER_TTL seconds;
  every commit of a write that may touch accounts (any but the task recorder's) drops them all.
* whole answers that rest only on stored facts (the /listen list per filter set): dropped on any change.

Memory is bounded by entry counts, sized from what an entry costs (measured with tracemalloc at the
default benchmark scale, docs/benchmarks.md "Profiling annotate and ingest (issue 16)"): ~4.7 KB per cached
task type including its requester's share and the memoized figures and JSON. Records are slotted, the
stored aggregates decoded once into structs, no ORM objects. Past a bound the oldest entries go first, but
what a page read since the last pass is passed over once (CLOCK, a second chance): a busy requester,
loaded first and read by every page, stays; task types go one by one, not with their requester.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec

from server.domain import pay
from server.domain.weights import Weights
from server.db.engine import CHANGED_REQUESTERS
from server.domain.summary import Platform, RequesterSummary
from server.domain.identity import TaskKey

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_TTL = 30.0
# session.info key: this session's commits never touch tokens or saved filters (the task recorder's), so they
# leave the kept signed-in callers alone.
NO_ACCOUNT_WRITES = "fairfinder_no_account_writes"
KEEP_EXPIRED = 4  # ttls an expired requester's facts are kept for revalidation
VIEWER_TTL = 5.0  # a token revoked, or filters saved, through another process are seen by this one within it


@dataclass(slots=True, eq=False)  # compared by identity: `None in refs` must not call an __eq__ per ref
class TaskRef:
    """A recorded task type: its requester's row id, its own, and what is stored of its batch and duration."""

    requester_pk: int
    task_type_id: int
    latest_hit_set_id: str | None
    stated_seconds: int | None


@dataclass(slots=True, frozen=True)
class RequesterIdent:
    """What a requester summary shows of the requester row (not the ORM object: facts stay small)."""

    platform: str
    external_id: str
    name: str


@dataclass(slots=True, eq=False)
class StatsFacts:
    """A requester's stored aggregates, this community's or another's (the StatsRow that summaries read)."""

    reviews: int
    summary: pay.SampleSummary | None  # decoded once (summaries convert a SampleSummary as itself)
    ratings: dict[str, Any]
    rejections: int
    blocks: int
    approval_seconds: float | None
    median_hourly_cents: float | None
    recent: dict[str, Any]
    flag_counts: dict[str, Any]

    @classmethod
    def of_columns(cls, values: Sequence[Any]) -> StatsFacts:
        """From the columns in field order (lookup.py reads them so)."""
        return cls(values[0], _summary(values[1]), *values[2:])

    @classmethod
    def of(cls, row: Any) -> StatsFacts:
        return cls(reviews=row.reviews, summary=_summary(row.summary), ratings=row.ratings, rejections=row.rejections,
                   blocks=row.blocks, approval_seconds=row.approval_seconds,
                   median_hourly_cents=row.median_hourly_cents, recent=row.recent, flag_counts=row.flag_counts)


def _summary(data: dict[str, Any] | None) -> pay.SampleSummary | None:
    return msgspec.convert(data, pay.SampleSummary) if data else None


@dataclass(slots=True, eq=False)
class ImportedType:
    """Another community's statistics of one task type."""

    source: str
    summary: pay.SampleSummary | None
    flag_counts: dict[str, int]
    reviews: int


@dataclass(slots=True, eq=False)
class RequesterView:
    """A requester as a worker with some set of weights sees it (memoized in RequesterFacts.views)."""

    platform: Platform  # the platform facts it was computed with: recomputed when they are reloaded
    summary: RequesterSummary
    prior: pay.Prior | None
    encoded: msgspec.Raw  # the summary as the answer's JSON, encoded once


@dataclass(slots=True, eq=False)
class TypeView:
    """A task type's samples and active flags, other communities' counted as some weights say."""

    samples: pay.SampleSummary | None
    flags: list[str]
    reports: dict[str, float] = field(default_factory=dict)  # weight of the accounts behind each flag


@dataclass(slots=True, eq=False)
class Banded:
    """The answer's `hourly` for one target wage, as its JSON only (the typed answer decodes it: compact)."""

    encoded: msgspec.Raw


@dataclass(slots=True, eq=False)
class Figures:
    """The pay figures of one task type for one reward, currency, stated duration and set of weights
    (memoized in TypeFacts.figures; see server/tasks/compute.py)."""

    prior: pay.Prior  # the platform prior they were computed with
    hourly: pay.Hourly
    avoid: bool  # the flags or the requester's blocks say to avoid it
    requester: RequesterView
    flags: list[str]
    encoded_flags: msgspec.Raw
    banded: dict[int, Banded] = field(default_factory=dict)  # target wage → the answer's hourly


@dataclass(slots=True, eq=False)
class RequesterFacts:
    ident: RequesterIdent
    stats: StatsFacts | None
    imported: list[tuple[str, StatsFacts]] = field(default_factory=list)
    views: dict[Weights, RequesterView] = field(default_factory=dict)  # per set of weights
    types: dict[int, TypeFacts] = field(default_factory=dict)  # filled as its task types are looked up
    used: bool = False  # read since the bound last passed over it: kept once more (busy requesters load first)


def _second_chance(entry: tuple[int, float, RequesterFacts]) -> bool:
    facts = entry[2]
    if facts.used:
        facts.used = False
        return True
    return False


@dataclass(slots=True, eq=False)
class TypeFacts:
    """A task type's stored statistics (this community's, and other communities' by source name), decoded,
    and what was computed from them (valid as long as the requester facts holding them: both come from
    the same stored aggregates). `task_type_id` is None for a never-seen task not recorded yet: its facts
    are then empty, made per request and never memoized."""

    requester: RequesterFacts
    task_type_id: int | None
    stated_seconds: int | None  # as stored for the task type, when the page does not say
    summary: pay.SampleSummary | None
    flag_counts: dict[str, int]
    reviews: int
    imported: list[ImportedType] = field(default_factory=list)
    views: dict[Weights, TypeView] = field(default_factory=dict)
    figures: dict[tuple[int, str, int | None, Weights], Figures] = field(default_factory=dict)
    used: bool = False  # read since the bound last passed over it (AnnotateCache.put_types: a second chance)


class Bounded(Generic[K, V]):
    """A dict that forgets its oldest entries past `limit` (enough for a cache of small values);
    `on_drop` hears of every value that leaves other than by clear()."""

    def __init__(self, limit: int, on_drop: Callable[[V], None] | None = None,
                 spare: Callable[[V], bool] | None = None) -> None:
        self.limit = limit
        self.data: dict[K, V] = {}  # insertion-ordered; half the size of an OrderedDict
        self.on_drop = on_drop
        self.spare = spare  # past the limit: True keeps an entry once more, moved to the end (it clears its mark)

    def get(self, key: K) -> V | None:
        return self.data.get(key)

    def put(self, key: K, value: V) -> None:
        old = self.data.pop(key, None)
        if old is not None and self.on_drop:
            self.on_drop(old)
        self.data[key] = value
        if len(self.data) > self.limit:
            self._shrink()

    def _shrink(self) -> None:
        """Past the limit, the oldest entries go down to 31/32 of it, in one pass. One at a time, every drop would
        first step over the deleted slots a dict's iteration starts with: a full cache's eviction went quadratic
        (docs/benchmarks.md, issue 16)."""
        keep = self.limit - self.limit // 32
        for _ in range(2):  # the second pass finds the entries the first spared, their marks cleared
            excess = len(self.data) - keep
            if excess <= 0:
                return
            victims: list[K] = []
            spared: list[K] = []
            for key, value in self.data.items():
                if len(victims) >= excess:
                    break
                (spared if self.spare is not None and self.spare(value) else victims).append(key)
            for key in spared:
                self.data[key] = self.data.pop(key)
            for key in victims:
                dropped = self.data.pop(key)
                if self.on_drop:
                    self.on_drop(dropped)

    def drop_oldest(self) -> None:
        value = self.data.pop(next(iter(self.data)))
        if self.on_drop:
            self.on_drop(value)

    def oldest(self) -> V | None:
        return next(iter(self.data.values()), None)

    def pop(self, key: K) -> None:
        value = self.data.pop(key, None)
        if value is not None and self.on_drop:
            self.on_drop(value)

    def clear(self) -> None:
        self.data.clear()


class AnnotateCache:
    def __init__(self, ttl: float = DEFAULT_TTL, max_tasks: int = 60_000, max_requesters: int = 12_000,
                 max_type_facts: int = 30_000, max_answers: int = 64, max_viewers: int = 10_000) -> None:
        self.ttl = ttl
        self.tasks: Bounded[TaskKey, TaskRef] = Bounded(max_tasks)
        # The same refs by the task's fields as the page spelled them: skips normalizing known titles.
        self.as_spelled: Bounded[tuple[str, str, str, int, str], TaskRef] = Bounded(max_tasks)
        # Requester row ids by (platform, external id): the facts of a known requester's unseen task.
        self.requester_pks: Bounded[tuple[str, str], int] = Bounded(max_requesters)
        # Whole computed answers that depend on nothing but stored facts (the /listen list per filter set):
        # (changes counter when computed, computed at, value); dropped on any change and after ttl.
        self.answers: Bounded[Hashable, tuple[int, float, Any]] = Bounded(max_answers)
        # Signed-in callers' saved filters by token hash (server/tasks/routes.py): (loaded at, filters). Dropped
        # on every commit of a write in this process (a revoked token, saved filters); other processes' writes
        # are seen within VIEWER_TTL.
        self.viewers: Bounded[str, tuple[float, Any]] = Bounded(max_viewers)
        self.requesters: Bounded[int, tuple[int, float, RequesterFacts]] = Bounded(max_requesters, self._dropped,
                                                                                 _second_chance)
        self.max_type_facts = max_type_facts
        self.type_facts = 0  # task types' facts held by the cached requesters' facts, all together
        # (requester, task type) in the order they were added: a deque, popped at the front in O(1) (a dict's front
        # deletions make each next one step over the deleted slots).
        self.type_order: deque[tuple[int, int]] = deque()
        self.platforms: dict[str, tuple[float, Platform]] = {}
        self.sources: tuple[float, bool] | None = None  # (loaded at, any other community known)
        self.versions: dict[int, int] = {}
        self.changes = 0  # calls of changed(): a flag read before one is not stored after it
        self.writes = 0  # write commits of this process seen by after_commit

    # -- versions ------------------------------------------------------------------------------
    def version(self, requester_pk: int) -> int:
        return self.versions.get(requester_pk, 0)

    def changed(self, requester_pks: set[int]) -> None:
        for pk in requester_pks:
            self.versions[pk] = self.versions.get(pk, 0) + 1
            self.requesters.pop(pk)
        self.platforms.clear()  # a write moves the platform sums; cheap to reload
        self.sources = None
        self.answers.clear()
        self.changes += 1

    # -- requester facts -----------------------------------------------------------------------
    def requester(self, requester_pk: int, now: float) -> RequesterFacts | None:
        entry = self.requesters.get(requester_pk)
        if entry is None:
            return None
        version, loaded_at, facts = entry
        if version != self.version(requester_pk) or now - loaded_at > self.ttl:
            return None  # kept for revalidation (put_requester drops it later)
        return facts

    def put_requester(self, requester_pk: int, version: int, loaded_at: float, facts: RequesterFacts) -> None:
        if version == self.version(requester_pk):
            self.requesters.put(requester_pk, (version, loaded_at, facts))  # a kept object: counted out, in again
            self.type_facts += len(facts.types)
            # Entries go in in load order, so the expired ones are at the front. They are kept a while past their
            # ttl (never used as they are): a reload that finds the same stored figures keeps their memos
            # (lookup.py `_unchanged`) instead of computing every figure again.
            while (oldest := self.requesters.oldest()) is not None and loaded_at - oldest[1] > KEEP_EXPIRED * self.ttl:
                self.requesters.drop_oldest()

    def put_types(self, requester_pk: int, facts: RequesterFacts, found: dict[int, TypeFacts]) -> None:
        """Add task types' facts to a requester's (counted against `max_type_facts` while cached).

        Past the bound the oldest task types go, one by one, not whole requesters: a busy requester holds
        thousands of task types, most pages show a few of them, and dropping it whole made every page load
        them again. A task type read since the last pass is passed over once (CLOCK: about LRU, without
        moving anything on the hot path), so the types of pages in use stay."""
        added = [type_id for type_id in found if type_id not in facts.types]
        facts.types.update(found)
        entry = self.requesters.get(requester_pk)
        if entry is not None and entry[2] is facts:
            self.type_facts += len(added)
            order = self.type_order
            order.extend((requester_pk, type_id) for type_id in added)
            passes = 0
            while self.type_facts > self.max_type_facts and order and passes < 2 * len(order):
                passes += 1
                key = order.popleft()
                holder = self.requesters.data.get(key[0])
                held = holder[2].types.get(key[1]) if holder is not None else None
                if held is None:
                    continue  # its requester was dropped or reloaded since
                if held.used:  # read since the last pass: a second chance at the end of the line (CLOCK)
                    held.used = False
                    order.append(key)
                    continue
                del holder[2].types[key[1]]  # type: ignore[index]
                self.type_facts -= 1
            if len(order) > 2 * self.max_type_facts:  # keys of requesters dropped or reloaded since: forget them
                self.type_order = deque((pk, type_id) for pk, (_, _, held) in self.requesters.data.items()
                                        for type_id in held.types)

    def _dropped(self, entry: tuple[int, float, RequesterFacts]) -> None:
        self.type_facts -= len(entry[2].types)

    # -- platforms -----------------------------------------------------------------------------
    def platform(self, name: str, now: float) -> Platform | None:
        entry = self.platforms.get(name)
        if entry is None or now - entry[0] > self.ttl:
            return None
        return entry[1]

    def put_platform(self, name: str, loaded_at: float, platform: Platform) -> None:
        self.platforms[name] = (loaded_at, platform)

    def has_sources(self, now: float) -> bool | None:
        """Whether any other community is known (None: not loaded, or older than ttl)."""
        if self.sources is None or now - self.sources[0] > self.ttl:
            return None
        return self.sources[1]

    def put_sources(self, changes: int, loaded_at: float, any_source: bool) -> None:
        """`changes`: the counter as it was before reading (see `requester`'s versions)."""
        if changes == self.changes:
            self.sources = (loaded_at, any_source)

    # -- whole answers ---------------------------------------------------------------------------
    def answer(self, key: Hashable, now: float) -> Any | None:
        entry = self.answers.get(key)
        if entry is None or entry[0] != self.changes or now - entry[1] > self.ttl:
            return None
        return entry[2]

    def put_answer(self, key: Hashable, changes: int, computed_at: float, value: Any) -> None:
        """`changes`: the counter as it was before computing (an answer that raced a write is not kept)."""
        if changes == self.changes:
            self.answers.put(key, (changes, computed_at, value))

    # -- signed-in callers ------------------------------------------------------------------------
    def viewer(self, token_hash: str, now: float) -> Any | None:
        entry = self.viewers.get(token_hash)
        if entry is None or now - entry[0] > min(self.ttl, VIEWER_TTL):
            return None
        return entry[1]

    def put_viewer(self, token_hash: str, writes: int, loaded_at: float, filters: Any) -> None:
        """`writes`: the counter of write commits as it was before reading (a read that raced one is not kept)."""
        if writes == self.writes:
            self.viewers.put(token_hash, (loaded_at, filters))

    def after_commit(self, info: dict[str, Any]) -> None:
        """Installed as the sessions' ON_COMMIT hook (server/db/engine.py) by the app factory."""
        if not info.get(NO_ACCOUNT_WRITES):
            self.writes += 1
            self.viewers.clear()  # any write may have revoked a token or saved new filters
        changed = info.pop(CHANGED_REQUESTERS, None)
        if changed:
            self.changed(changed)

    def clear(self) -> None:
        self.viewers.clear()
        self.tasks.clear()
        self.as_spelled.clear()
        self.requester_pks.clear()
        self.answers.clear()
        self.changes += 1
        self.requesters.clear()
        self.type_facts = 0
        self.type_order = deque()
        self.platforms.clear()
        self.sources = None


def clock() -> float:
    return time.monotonic()
