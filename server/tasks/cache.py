"""An in-process cache of what annotate looks up, so a page of known tasks costs no database round trip.

What is cached, and how it stays true:
* task identity (TaskKey → row ids, latest hit_set_id): task types are never renamed, so an entry stays
  right; a changed hit_set_id is written through.
* per-requester facts (its summary, its prior, its task types' stored statistics): every write that
  changes a requester bumps the requester's version after commit (see `watch_commits`), and an entry
  loaded under an older version is ignored. A reader that loaded data before a commit cannot store it
  after: it stores under the version it saw before reading, which the commit has bumped.
* platform priors: refreshed at most every `ttl` seconds; they move slowly and only feed shrinkage.

Other server processes' writes are not seen by this process's versions: with several processes every
entry also expires after `ttl` seconds, which bounds how stale a figure can be.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from server import pay
from server.community.weights import Weights
from server.db.engine import CHANGED_REQUESTERS
from server.db.models import Requester, RequesterStats, SourceRequesterStats
from server.requesters.summary import Platform, RequesterSummary
from server.tasks.identity import TaskKey

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_TTL = 30.0


@dataclass(slots=True)
class TaskRef:
    requester_pk: int
    task_type_id: int
    latest_hit_set_id: str | None
    stated_seconds: int | None


@dataclass(slots=True)
class TypeFacts:
    """A task type's stored statistics (this community's, and other communities' by source name), decoded,
    and what was computed from them (valid as long as the requester facts holding them: both come from
    the same stored aggregates)."""

    summary: pay.SampleSummary | None
    flag_counts: dict[str, int]
    reviews: int
    imported: list[tuple[str, pay.SampleSummary | None, dict[str, int], int]] = field(default_factory=list)
    views: dict[Weights, tuple[pay.SampleSummary | None, list[str]]] = field(default_factory=dict)
    computed: dict[Hashable, Any] = field(default_factory=dict)  # (inputs, weights) → result, see tasks/annotate.py


@dataclass(slots=True)
class RequesterFacts:
    requester: Requester
    stats: RequesterStats | None
    imported: list[tuple[str, SourceRequesterStats]] = field(default_factory=list)
    # Per set of weights: (the platform it was computed with, the summary, the prior).
    views: dict[Weights, tuple[Platform, RequesterSummary, pay.Prior | None]] = field(default_factory=dict)
    types: dict[int, TypeFacts] = field(default_factory=dict)  # filled as its task types are looked up


class Bounded(Generic[K, V]):
    """A dict that forgets its oldest entries past `limit` (enough for a cache of small values)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        return self.data.get(key)

    def put(self, key: K, value: V) -> None:
        self.data[key] = value
        if len(self.data) > self.limit:
            self.data.popitem(last=False)

    def pop(self, key: K) -> None:
        self.data.pop(key, None)

    def clear(self) -> None:
        self.data.clear()


class AnnotateCache:
    def __init__(self, ttl: float = DEFAULT_TTL, max_tasks: int = 200_000, max_requesters: int = 50_000) -> None:
        self.ttl = ttl
        self.tasks: Bounded[TaskKey, TaskRef] = Bounded(max_tasks)
        # The same refs by the task's fields as the page spelled them: skips normalizing known titles.
        self.as_spelled: Bounded[tuple[str, str, str, int, str], TaskRef] = Bounded(max_tasks)
        self.requesters: Bounded[int, tuple[int, float, RequesterFacts]] = Bounded(max_requesters)
        self.platforms: dict[str, tuple[float, Platform]] = {}
        self.versions: dict[int, int] = {}

    # -- versions ------------------------------------------------------------------------------
    def version(self, requester_pk: int) -> int:
        return self.versions.get(requester_pk, 0)

    def changed(self, requester_pks: set[int]) -> None:
        for pk in requester_pks:
            self.versions[pk] = self.versions.get(pk, 0) + 1
            self.requesters.pop(pk)
        self.platforms.clear()  # a write moves the platform sums; cheap to reload

    # -- requester facts -----------------------------------------------------------------------
    def requester(self, requester_pk: int, now: float) -> RequesterFacts | None:
        entry = self.requesters.get(requester_pk)
        if entry is None:
            return None
        version, loaded_at, facts = entry
        if version != self.version(requester_pk) or now - loaded_at > self.ttl:
            self.requesters.pop(requester_pk)
            return None
        return facts

    def put_requester(self, requester_pk: int, version: int, loaded_at: float, facts: RequesterFacts) -> None:
        if version == self.version(requester_pk):
            self.requesters.put(requester_pk, (version, loaded_at, facts))

    # -- platforms -----------------------------------------------------------------------------
    def platform(self, name: str, now: float) -> Platform | None:
        entry = self.platforms.get(name)
        if entry is None or now - entry[0] > self.ttl:
            return None
        return entry[1]

    def put_platform(self, name: str, loaded_at: float, platform: Platform) -> None:
        self.platforms[name] = (loaded_at, platform)

    def after_commit(self, info: dict[str, Any]) -> None:
        """Installed as the sessions' ON_COMMIT hook (server/db/engine.py) by the app factory."""
        changed = info.pop(CHANGED_REQUESTERS, None)
        if changed:
            self.changed(changed)

    def clear(self) -> None:
        self.tasks.clear()
        self.as_spelled.clear()
        self.requesters.clear()
        self.platforms.clear()


def clock() -> float:
    return time.monotonic()


def note_changed_requester(session: AsyncSession, requester_pk: int) -> None:
    """Called by the aggregate refresh: this requester's cached facts are stale once the session commits."""
    session.info.setdefault(CHANGED_REQUESTERS, set()).add(requester_pk)
