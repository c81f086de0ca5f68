"""Annotate's pure part (server/tasks/compute.py): the JSON assembled from memoized parts is exactly the JSON of
the typed answer, memos are named records reused across pages, and never-seen tasks get honest figures."""
from __future__ import annotations

from datetime import datetime, timezone

import msgspec

from scrapers.model import Task
from server.domain import pay
from server.domain.filters import Filters, ListRule
from server.domain.summary import platform_from_row
from server.tasks.cache import Figures, RequesterFacts, RequesterIdent, StatsFacts, TypeFacts
from server.tasks.compute import page_annotations, encoded_page, unrecorded
from server.tasks.schemas import AnnotateOut

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)  # a fixed clock: verdicts compare rules' expiry with it
PLATFORM = platform_from_row("mturk", None)


def requester(name: str = "AR1", reviews: int = 0) -> RequesterFacts:
    stats = StatsFacts(reviews=reviews, summary=None, ratings={"pay": [reviews, 3.0 * reviews]}, rejections=0, blocks=0,
                       approval_seconds=None, median_hourly_cents=None, recent={}, flag_counts={}) if reviews else None
    return RequesterFacts(ident=RequesterIdent("mturk", name, f"{name} Lab"), stats=stats)


def known(owner: RequesterFacts, type_id: int, samples: int) -> TypeFacts:
    summary = pay.summarize([pay.Sample(seconds=300 + 10 * i, reward_cents=50, outcome="approved")
                             for i in range(samples)]) if samples else None
    return TypeFacts(requester=owner, task_type_id=type_id, stated_seconds=600, summary=summary,
                     flag_counts={"broken": 1} if samples > 2 else {}, reviews=samples)


def page() -> tuple[list[Task], list[TypeFacts]]:
    a, b = requester("AR1", reviews=4), requester("AR2")
    tasks = [Task(platform="mturk", requester_id=f"AR{1 + i % 2}", title=f"Survey \"{i}\" é", reward_cents=50,
                  hit_set_id=f"H{i}", description="audio needed" if i == 3 else "") for i in range(6)]
    busy = known(a, 1, 3)
    facts = [busy, known(b, 2, 0), known(a, 3, 1), unrecorded(b), busy, unrecorded(requester("ANEW"))]
    return tasks, facts


def typed_json(tasks: list[Task], facts: list[TypeFacts], filters: Filters, source: str) -> bytes:
    return msgspec.json.encode(AnnotateOut(platform="mturk", target_cents_per_hour=filters.target_cents_per_hour,
                                           filters_from=source, tasks=page_annotations(tasks, facts, PLATFORM, filters, NOW)))


def test_the_assembled_answer_is_byte_for_byte_the_typed_one() -> None:
    tasks, facts = page()
    for filters in (Filters(), Filters(target_cents_per_hour=1500, keywords_exclude=["audio"],
                                       block=[ListRule(pattern="AR2")])):
        expected = typed_json(tasks, facts, filters, "request")
        assert encoded_page("mturk", tasks, facts, PLATFORM, filters, "request", NOW) == expected
        # again, now from the memos
        assert encoded_page("mturk", tasks, facts, PLATFORM, filters, "request", NOW) == expected


def test_figures_are_memoized_per_task_type_as_named_records() -> None:
    tasks, facts = page()
    page_annotations(tasks, facts, PLATFORM, Filters(), NOW)
    memo = facts[0].figures
    assert len(memo) == 1 and all(isinstance(found, Figures) for found in memo.values())
    [found] = memo.values()
    assert found.prior is PLATFORM.prior and found.requester.summary.id == "AR1" and found.flags == ["broken"]
    assert facts[4] is facts[0]  # the same task type twice on a page shares its memo
    assert set(found.banded) == {Filters().target_cents_per_hour}
    # never-seen tasks keep nothing in shared memos
    assert facts[3].task_type_id is None and facts[5].task_type_id is None


def test_a_never_seen_task_is_answered_from_its_requester_and_stated_duration() -> None:
    tasks, facts = page()
    answered = page_annotations(tasks, facts, PLATFORM, Filters(), NOW)
    new_requester = answered[5]
    assert new_requester.task_type_id is None and new_requester.requester.reviews == 0
    assert new_requester.requester.name == "ANEW Lab" and new_requester.hourly.n == 0
    stated = Task(platform="mturk", requester_id="ANEW", title="Quick poll", reward_cents=50, stated_seconds=300)
    [with_duration] = page_annotations([stated], [unrecorded(requester("ANEW"))], PLATFORM, Filters(), NOW)
    hourly = with_duration.hourly
    assert hourly.basis == "stated" and hourly.duration_seconds == 300.0 and hourly.p_approved is not None
    assert hourly.cents_per_hour == round(50 * 3600 / 300 * hourly.p_approved, 1)  # the reward over the stated time
