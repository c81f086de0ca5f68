"""The annotate cache's rules: writes invalidate, loads that raced a write are not kept, entries expire."""
from __future__ import annotations

from server.db.engine import CHANGED_REQUESTERS
from server.db.models import Requester
from server.requesters.summary import platform_from_row
from server.tasks.cache import AnnotateCache, Bounded, RequesterFacts


def facts(name: str = "R") -> RequesterFacts:
    return RequesterFacts(requester=Requester(platform="mturk", external_id=name, name=name), stats=None)


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
