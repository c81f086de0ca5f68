"""The pure pieces of the set-based aggregate rebuild (server/stats/refresh.py)."""
from __future__ import annotations

from datetime import datetime, timezone

from server.domain.aggregate import NO_FLAGS, chunk_by_size, requester_aggregates, visible_reviews

NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)
LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)  # an established author (a new one's evidence waits)


def test_chunks_stay_within_the_budget_unless_one_item_alone_is_bigger() -> None:
    sizes = [("a", 3), ("b", 4), ("c", 10), ("d", 0), ("e", 1), ("f", 2)]
    chunks = list(chunk_by_size(sizes, 7))
    assert chunks == [["a", "b"], ["c"], ["d", "e", "f"]]
    assert [item for chunk in chunks for item in chunk] == [item for item, _ in sizes]  # all, in order
    assert list(chunk_by_size([], 7)) == []


def _row(review_id: int, status: str = "visible", flags: str | None = "[]", task_type_id: int | None = 7,
         author_created_at: datetime = LONG_AGO) -> tuple:
    # REVIEW_COLUMNS order: id, worker, requester, task type, 4 ratings, worked, outcome, approval, bonus,
    # updated_at, status, flags (JSON text), author created_at, author role
    return (review_id, 1, 1, task_type_id, 5, 4, None, None, 120, "approved", 600, None, NOW, status, flags,
            author_created_at, "worker")


def test_only_visible_reviews_count_and_flags_are_decoded() -> None:
    reviews = visible_reviews([_row(1), _row(2, status="held"), _row(3, status="hidden"),
                               _row(4, flags='["broken", "underpaid"]'), _row(5, flags=None)])
    assert [r.id for r in reviews] == [1, 4, 5]
    assert reviews[0].flags is NO_FLAGS and reviews[2].flags == []
    assert reviews[1].flags == ["broken", "underpaid"]


def test_requester_aggregates_of_rows_match_the_reports_they_make() -> None:
    reviews = visible_reviews([_row(1, flags='["broken"]'), _row(2, task_type_id=None)])
    result = requester_aggregates({7: 50}, reviews, [(7, 1, 30.0, "submitted"), (7, 2, 60.0, "returned")], NOW)
    assert result.task_types[7]["samples"] == 2 and result.task_types[7]["reviews"] == 1
    assert result.task_types[7]["flag_counts"] == {"broken": 1}
    assert result.requester is not None and result.requester["reviews"] == 2
    # worker 1's timing takes its review's outcome; worker 2 returned the task
    assert result.summary.approved == 1 and result.summary.n_returned == 1


def test_a_new_accounts_review_is_kept_but_counts_nothing_yet() -> None:
    reviews = visible_reviews([_row(1, flags='["broken"]', author_created_at=NOW)])
    result = requester_aggregates({7: 50}, reviews, [], NOW)
    # the review is there (it is listed publicly), its ratings, flags and time do not move a figure
    assert result.requester is not None and result.requester["reviews"] == 1
    assert result.requester["ratings"]["pay"] == [0, 0.0] and result.requester["flag_counts"] == {}
    assert result.task_types == {} and result.summary.n == 0
