"""The typical bonus (issue 18 item 7, server/domain/bonus.py and its use in server/domain/aggregate.py): it rests
on reviews', timings' and captured history items' bonuses, each account once, and no account sets it alone.
Pure: a fixed NOW, never the wall clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import msgspec
import pytest

from server.domain import pay
from server.domain.aggregate import ReviewRow, requester_aggregates
from server.domain.bonus import MAX_BONUS_CENTS, account_bonus, history_bonus_counts, typical_bonus
from server.domain.figures import bonus_words
from server.domain.weights import Standing

NOW = datetime(2026, 12, 31, 12, 0, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=3000)
PLATFORM = pay.platform_prior(0, 0.0, 0, 0)
FAMILY = ("survey about shopping", "GBP")  # the (title key, currency) of task type 1
STANDINGS = {w: Standing(created_at=OLD) for w in range(1, 10)}


# --- one account's bonus ----------------------------------------------------------------------------------

def test_an_account_s_bonus_is_the_mean_of_what_it_knows():
    assert account_bonus([20, 40], completed=True) == 30
    assert account_bonus([20, 40], completed=False) == 30  # a history item alone is evidence
    assert account_bonus([], completed=True) == 0  # timed work, no bonus known: none (as before)
    assert account_bonus([], completed=False) is None  # says nothing
    # junk is left out, amounts are clamped to what a bonus can be
    assert account_bonus([float("nan"), "25", None, True], completed=False) is None
    assert account_bonus([-5, 10**12], completed=False) == MAX_BONUS_CENTS / 2


# --- across accounts ------------------------------------------------------------------------------------

def test_one_account_s_huge_bonus_does_not_set_the_typical_bonus():
    honest = {1: (0.0, 1.0), 2: (0.0, 1.0), 3: (0.0, 1.0)}
    typical, counted = typical_bonus({**honest, 9: (90_000.0, 1.0)})
    assert typical == 0 and counted[9] == 0  # nobody else saw a bonus: it counts as none
    # with others who saw bonuses, it counts no higher than the highest of theirs
    seen = {1: (20.0, 1.0), 2: (30.0, 1.0), 3: (0.0, 1.0)}
    typical, counted = typical_bonus({**seen, 9: (90_000.0, 1.0)})
    assert counted[9] == 30 and typical == pytest.approx((20 + 30 + 0 + 30) / 4)
    # ... however much weight it has
    heavy, _ = typical_bonus({**seen, 9: (90_000.0, 50.0)})
    assert heavy <= 30


def test_a_bonus_seen_by_one_account_alone_does_not_count():
    assert typical_bonus({1: (50.0, 1.0)}) == (0.0, {1: 0.0})
    # a second account that saw one: both count (each no higher than the other's)
    typical, counted = typical_bonus({1: (50.0, 1.0), 2: (40.0, 1.0)})
    assert counted == {1: 40.0, 2: 40.0} and typical == 40


def test_accounts_count_by_weight_and_new_ones_not_at_all():
    typical, _ = typical_bonus({1: (20.0, 1.0), 2: (20.0, 1.0), 3: (0.0, 2.0)})
    assert typical == pytest.approx(40 / 4)
    new = typical_bonus({1: (20.0, 1.0), 2: (20.0, 1.0), 9: (10_000.0, 0.0)})
    assert new == (20.0, {1: 20.0, 2: 20.0})
    assert typical_bonus({}) == (0.0, {})
    assert typical_bonus({1: (float("inf"), 1.0), 2: (10.0, float("nan"))}) == (0.0, {})  # junk: left out


# --- history items --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("platform", "source", "state", "counts"), [
    ("prolific", "platform_page", "approved", True),
    ("prolific", "self_reported", "approved", False),  # typed in, or made by any client
    ("prolific", "platform_page", "pending", False),  # the bonus may still come
    ("prolific", "platform_page", "returned", False),
    ("prolific", "platform_page", "screened_out", False),
    ("mturk", "platform_page", "approved", False),  # MTurk's status pages show no bonus at all
])
def test_which_history_items_count(platform, source, state, counts):
    assert history_bonus_counts(platform, source, state) is counts


# --- through aggregation: what annotate's figure rests on -----------------------------------------------

def timing(worker: int, bonus: int | None = None, seconds: float = 600, outcome: str = "approved"):
    return (1, worker, seconds, outcome, OLD, bonus)


def hourly(timings, reviews=(), history=(), standings=STANDINGS) -> pay.Hourly:
    result = requester_aggregates({1: 100}, list(reviews), timings, NOW, standings, {1: FAMILY}, history=history)
    stored = result.task_types[1]["summary"]
    return pay.effective_hourly(msgspec.convert(stored, pay.SampleSummary), 100, None, PLATFORM)


def review(worker: int, bonus: int | None) -> ReviewRow:
    return ReviewRow(id=worker, worker_id=worker, requester_id=1, task_type_id=1, rating_pay=None,
                     rating_fairness=None, rating_speed=None, rating_communication=None, worked_seconds=600,
                     outcome="approved", approval_seconds=None, bonus_cents=bonus, updated_at=NOW, flags=[],
                     author_created_at=OLD, author_role="worker")


def test_timings_bonuses_count_and_the_figure_says_so():
    none = hourly([timing(1), timing(2), timing(3)])
    assert none.typical_bonus_cents is None and bonus_words(none, "GBP") == ""
    paid = hourly([timing(1, 30), timing(2, 30), timing(3, 15)])
    assert paid.typical_bonus_cents == pytest.approx(25)
    assert paid.without_bonus == pytest.approx(none.cents_per_hour)
    assert paid.cents_per_hour == pytest.approx(none.cents_per_hour * 125 / 100)
    assert bonus_words(paid, "GBP").startswith("with typical bonuses of £0.25; ")


def test_an_unknown_bonus_is_not_no_bonus():
    # worker 1's first timing knew its bonus (40), the second did not: its bonus is 40, not 20
    known = hourly([timing(1, 40), timing(1, None), timing(2, 40)])
    assert known.typical_bonus_cents == pytest.approx(40)
    # a returned timing's bonus says nothing about the task's pay
    returned = hourly([timing(1, 40), timing(2, 40), timing(3, 9_000, outcome="returned"), timing(3)])
    assert returned.typical_bonus_cents == pytest.approx(80 / 3)


def test_one_account_s_many_huge_bonuses_do_not_set_the_typical_bonus():
    honest = [timing(1, 10), timing(2, 10), timing(3, 0)]
    base = hourly(honest)
    attacked = hourly(honest + [timing(4, 90_000)] * 20)
    assert attacked.typical_bonus_cents == pytest.approx((10 + 10 + 0 + 10) / 4)
    assert attacked.typical_bonus_cents <= 10 and base.typical_bonus_cents == pytest.approx(20 / 3)
    # its review says the same: still one account
    with_review = hourly(honest + [timing(4, 90_000)], reviews=[review(4, 90_000)])
    assert with_review.typical_bonus_cents == attacked.typical_bonus_cents
    # nor does a new account, however many
    fresh = {**STANDINGS, 8: Standing(created_at=NOW - timedelta(days=2))}
    assert hourly(honest + [timing(8, 90_000)], standings=fresh).typical_bonus_cents == base.typical_bonus_cents


def test_captured_history_counts_by_account():
    timed = [timing(1), timing(2)]  # timed, no bonus known: none
    assert hourly(timed).typical_bonus_cents is None
    # worker 3 never timed it, but its platform history shows 60 and 60; worker 4's shows 30
    history = [(FAMILY, 3, 60), (FAMILY, 3, 60), (FAMILY, 4, 30)]
    with_history = hourly(timed, history=history)
    assert with_history.typical_bonus_cents == pytest.approx((0 + 0 + 30 + 30) / 4)
    # worker 1's history knows the bonus of the work it timed: its known bonus replaces "none"
    mine = hourly(timed, history=[*history, (FAMILY, 1, 30)])
    assert mine.typical_bonus_cents == pytest.approx((30 + 0 + 30 + 30) / 4)
    # another title's history says nothing about this task
    assert hourly(timed, history=[(("another study", "GBP"), 3, 60), (("another study", "GBP"), 4, 60)]) \
        .typical_bonus_cents is None


def test_reviews_bonuses_still_count():
    paid = hourly([], reviews=[review(1, 30), review(2, 30), review(3, None)])
    assert paid.typical_bonus_cents == pytest.approx(20)
