"""The annotate cache's rules: writes invalidate, loads that raced a write are not kept, entries expire."""
from __future__ import annotations

from server.db.engine import CHANGED_REQUESTERS
from server.domain.summary import platform_from_row
from server.tasks.cache import AnnotateCache, Bounded, RequesterFacts, RequesterIdent, TypeFacts


def facts(name: str = "R") -> RequesterFacts:
    return RequesterFacts(ident=RequesterIdent(platform="mturk", external_id=name, name=name), stats=None)


def test_a_commit_that_changed_a_requester_drops_its_facts():
    cache = AnnotateCache(ttl=60)
    cache.put_requester(7, cache.version(7), 0.0, facts())
    assert cache.requester(7, 1.0) is not None
    cache.after_commit({CHANGED_REQUESTERS: {7}})
    assert cache.requester(7, 1.0) is None


def test_facts_loaded_before_a_commit_are_not_stored_after_it():
    cache = AnnotateCache(ttl=60)
    version_seen_before_reading = cache.version(7)
    cache.after_commit({CHANGED_REQUESTERS: {7}})  # a write lands while the reader is reading
    cache.put_requester(7, version_seen_before_reading, 0.0, facts())
    assert cache.requester(7, 1.0) is None


def test_other_requesters_keep_their_facts():
    cache = AnnotateCache(ttl=60)
    cache.put_requester(8, cache.version(8), 0.0, facts("other"))
    cache.after_commit({CHANGED_REQUESTERS: {7}})
    assert cache.requester(8, 1.0) is not None


def test_entries_expire_after_the_ttl_so_other_processes_writes_show():
    cache = AnnotateCache(ttl=5)
    cache.put_requester(7, cache.version(7), 100.0, facts())
    cache.put_platform("mturk", 100.0, platform_from_row("mturk", None))
    assert cache.requester(7, 104.9) is not None and cache.platform("mturk", 104.9) is not None
    assert cache.requester(7, 105.1) is None and cache.platform("mturk", 105.1) is None


def test_a_commit_without_changes_keeps_everything():
    cache = AnnotateCache(ttl=60)
    cache.put_requester(7, cache.version(7), 0.0, facts())
    cache.after_commit({})
    assert cache.requester(7, 1.0) is not None


def test_bounded_forgets_the_oldest():
    bounded: Bounded[int, str] = Bounded(limit=2)
    for key in (1, 2, 3):
        bounded.put(key, str(key))
    assert bounded.get(1) is None and bounded.get(2) == "2" and bounded.get(3) == "3"


def test_no_ttl_means_nothing_is_reused():
    cache = AnnotateCache(ttl=0.0)
    cache.put_requester(7, 0, 10.0, facts())
    assert cache.requester(7, 10.000001) is None


def type_facts(requester: RequesterFacts | None = None, type_id: int = 1) -> TypeFacts:
    return TypeFacts(requester=requester or facts(), task_type_id=type_id, stated_seconds=None, summary=None,
                     flag_counts={}, reviews=0)


def test_task_types_facts_are_bounded_across_requesters():
    cache = AnnotateCache(ttl=60, max_type_facts=3)
    first, second = facts("first"), facts("second")
    cache.put_requester(1, 0, 0.0, first)
    cache.put_types(1, first, {10: type_facts(), 11: type_facts()})
    cache.put_requester(2, 0, 0.0, second)
    cache.put_types(2, second, {20: type_facts(), 21: type_facts()})  # 4 > 3: the oldest task type goes
    assert cache.requester(1, 1.0) is first and cache.requester(2, 1.0) is second  # requesters stay
    assert set(first.types) == {11} and set(second.types) == {20, 21} and cache.type_facts == 3
    cache.changed({2})
    assert cache.type_facts == 1
    third = facts("third")
    cache.put_requester(3, 0, 0.0, third)
    cache.put_types(3, third, {30: type_facts(), 31: type_facts(), 32: type_facts()})  # stale keys of 2 skipped
    assert cache.type_facts == 3 and set(first.types) == set() and set(third.types) == {30, 31, 32}


def test_expired_requesters_are_dropped_as_new_ones_arrive():
    cache = AnnotateCache(ttl=5)
    cache.put_requester(1, 0, 0.0, facts("old"))
    cache.put_requester(2, 0, 10.0, facts("new"))
    assert cache.requester(1, 10.0) is None  # expired: never used as it is, kept a while for revalidation
    cache.put_requester(3, 0, 21.0, facts("newer"))  # more than KEEP_EXPIRED (4) ttls after the first
    assert list(cache.requesters.data) == [2, 3]


def test_whether_other_communities_exist_is_not_stored_after_a_change():
    cache = AnnotateCache(ttl=60)
    changes_seen_before_reading = cache.changes
    cache.changed({7})  # an import commits while the reader is reading
    cache.put_sources(changes_seen_before_reading, 0.0, False)
    assert cache.has_sources(1.0) is None
    cache.put_sources(cache.changes, 0.0, False)
    assert cache.has_sources(1.0) is False and cache.has_sources(61.0) is None
    cache.changed({7})
    assert cache.has_sources(1.0) is None


def test_facts_reloaded_unchanged_after_their_ttl_keep_their_memos():
    """An entry past its ttl is never used as it is; reloaded with the same stored figures, the cached object
    (and what was computed from it) is kept; with other figures, the new one replaces it."""
    import asyncio  # noqa: PLC0415
    from types import SimpleNamespace  # noqa: PLC0415

    from server.tasks.cache import StatsFacts  # noqa: PLC0415
    from server.tasks.lookup import _requester_facts  # noqa: PLC0415

    def stats(reviews: int) -> StatsFacts:
        return StatsFacts(reviews=reviews, summary=None, ratings={}, rejections=0, blocks=0, approval_seconds=None,
                          median_hourly_cents=None, recent={}, flag_counts={})

    class Session:  # answers the one query _requester_facts makes, with `reviews` as stored now
        def __init__(self, reviews: int) -> None:
            self.reviews = reviews

        async def execute(self, _statement):  # type: ignore[no-untyped-def]
            return SimpleNamespace(all=lambda: [(7, "mturk", "R", "R", 7, self.reviews, None, {}, 0, 0, None, None, {}, {})],
                                   first=lambda: None)

    cache = AnnotateCache(ttl=5)
    cache.sources = (1e9, False)  # no other community: no query for their figures
    cached = RequesterFacts(ident=RequesterIdent("mturk", "R", "R"), stats=stats(3))
    cached.types[1] = type_facts(cached)
    cache.put_requester(7, cache.version(7), 100.0, cached)
    assert cache.requester(7, 106.0) is None  # past its ttl
    same = asyncio.run(_requester_facts(Session(3), {7}, cache, 106.0))  # type: ignore[arg-type]
    assert same[7] is cached and cache.requester(7, 106.5) is cached and 1 in cached.types
    changed = asyncio.run(_requester_facts(Session(4), {7}, cache, 112.0))  # type: ignore[arg-type]
    assert changed[7] is not cached and changed[7].stats is not None and changed[7].stats.reviews == 4
    assert changed[7].types == {}


def test_task_types_read_since_the_last_pass_get_a_second_chance():
    cache = AnnotateCache(ttl=60, max_type_facts=2)
    owner = facts("busy")
    cache.put_requester(1, 0, 0.0, owner)
    cache.put_types(1, owner, {10: type_facts(owner, 10), 11: type_facts(owner, 11)})
    owner.types[10].used = True  # a page read it
    cache.put_types(1, owner, {12: type_facts(owner, 12)})  # over the bound: 11, not the one in use, goes
    assert set(owner.types) == {10, 12} and cache.type_facts == 2


def test_a_requester_read_since_the_last_pass_is_kept_once_more():
    cache = AnnotateCache(ttl=60, max_requesters=2)
    busy, other = facts("busy"), facts("other")
    cache.put_requester(1, 0, 0.0, busy)  # loaded first, as a busy requester is
    cache.put_requester(2, 0, 0.0, other)
    busy.used = True  # every page reads it
    cache.put_requester(3, 0, 0.0, facts("new"))  # over the bound: the other goes, not the busy one
    assert cache.requester(1, 1.0) is busy and cache.requester(2, 1.0) is None and busy.used is False


def test_only_commits_that_may_touch_accounts_drop_kept_signed_in_callers():
    from server.tasks.cache import NO_ACCOUNT_WRITES  # noqa: PLC0415

    cache = AnnotateCache(ttl=60)
    cache.put_viewer("hash", cache.writes, 0.0, "filters")
    cache.after_commit({NO_ACCOUNT_WRITES: True})  # the task recorder's commit
    assert cache.viewer("hash", 1.0) == "filters"
    cache.after_commit({})  # any other write: a token may have been revoked
    assert cache.viewer("hash", 1.0) is None
