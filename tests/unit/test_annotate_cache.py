"""The annotate cache's rules: writes invalidate, loads that raced a write are not kept, entries expire."""
from __future__ import annotations

from server.db.engine import CHANGED_REQUESTERS
from server.requesters.summary import platform_from_row
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
    cache.put_types(2, second, {20: type_facts(), 21: type_facts()})  # 4 > 3: the oldest requester goes
    assert cache.requester(1, 1.0) is None and cache.requester(2, 1.0) is second
    assert cache.type_facts == 2 and set(second.types) == {20, 21}
    cache.changed({2})
    assert cache.type_facts == 0


def test_expired_requesters_are_dropped_as_new_ones_arrive():
    cache = AnnotateCache(ttl=5)
    cache.put_requester(1, 0, 0.0, facts("old"))
    cache.put_requester(2, 0, 10.0, facts("new"))
    assert list(cache.requesters.data) == [2]


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
