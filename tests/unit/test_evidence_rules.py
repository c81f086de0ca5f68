"""The pure rules of issue 18 item 2 (server/domain): account standing, one account counts once, bursts of
timings, titles normalized before they name a task type, bands that never rest on one account, and what a
figure says it rests on. No I/O: a fixed NOW, never the wall clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import pay
from server.domain.aggregate import ReviewRow, requester_aggregates
from server.domain.evidence import hourly_label, rests_on
from server.domain.identity import identity_title
from server.domain.moderation import BURST_SIZE, BURST_WINDOW, TimingEvidence, timing_burst
from server.domain.vocab import should_avoid, weighted_flags
from server.domain.weights import NEW_ACCOUNT_AGE, Standing, account_weight, agreement_factor, is_new

NOW = datetime(2026, 12, 31, 12, 0, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=3000)
PLATFORM = pay.platform_prior(0, 0.0, 0, 0)


def aged(days: float, **facts: int) -> Standing:
    return Standing(created_at=NOW - timedelta(days=days), **facts)


# --- titles ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("title", [
    "Tag images", "tag images", "TAG IMAGES", "Tag images.", "Tag images!!", "  Tag   images ", "Tag\u200b images",
    "Tag\u00ad images", "Tag\ufeffimages".replace("\ufeff", "\ufeff "), "T\u0430g images",  # Cyrillic а
    "\uff34\uff41\uff47 images",  # fullwidth Ｔａｇ
    "T\u03b1g im\u0430ges",  # Greek α, Cyrillic а
    "Tag - images", "Tag\timages",
])
def test_titles_that_read_the_same_name_one_task_type(title):
    assert identity_title(title) == "tag images"


@pytest.mark.parametrize(("one", "other"), [
    ("$1 survey", "1 survey"),  # symbols stay
    ("Tag images", "Tag image"),
    ("Survey 10 min", "Survey 15 min"),
])
def test_different_titles_stay_different(one, other):
    assert identity_title(one) != identity_title(other)


def test_a_word_of_another_script_is_left_as_it_is():
    # "работа" (Russian: work) shares letters with Latin look-alikes but is not meant to read as Latin
    assert identity_title("Работа") == "работа"
    assert identity_title("Работа") != identity_title("pabota")


@given(st.text(max_size=80))
def test_identity_title_is_idempotent(title):
    once = identity_title(title)
    assert identity_title(once) == once
    assert len(once) <= 500


# --- standing -------------------------------------------------------------------------------------------

def test_a_new_account_counts_nothing_however_active():
    fresh = aged(1, requesters=200, history_requesters=200)
    assert is_new(fresh, NOW) and account_weight(fresh, NOW) == 0
    assert account_weight(aged(NEW_ACCOUNT_AGE.days), NOW) == 0.1  # the eighth day: age alone


def test_weight_grows_with_age_and_activity_within_the_ceiling_of_its_age():
    assert [account_weight(aged(d), NOW) for d in (8, 31, 91, 366)] == [0.1, 0.25, 0.5, 1.0]
    assert account_weight(aged(8, requesters=5), NOW) == 0.5  # 0.25 + 5 × 0.05
    assert account_weight(aged(8, requesters=100), NOW) == 0.5  # the first month's ceiling
    assert account_weight(aged(31, requesters=10), NOW) == 0.75
    assert account_weight(aged(91, requesters=15), NOW) == 1.0
    assert account_weight(aged(8, history_requesters=4), NOW) == pytest.approx(0.35)
    assert account_weight(Standing(created_at=NOW, role="moderator"), NOW) == 1.0
    assert account_weight(Standing(), NOW) == 1.0  # another community's author: its community weight applies


def test_disagreeing_accounts_count_less():
    assert agreement_factor(4, 0) == 1.0  # too few comparisons to judge
    assert agreement_factor(10, 6) == 1.0
    assert agreement_factor(10, 3) == pytest.approx(0.5)
    assert agreement_factor(10, 0) == 0.2
    assert account_weight(aged(400, compared=10, agreed=0), NOW) == 0.2


# --- one account counts once ----------------------------------------------------------------------------

def timings(worker: int, seconds: float, count: int, type_id: int = 1) -> list[tuple[int, int, float, str]]:
    return [(type_id, worker, seconds, "approved")] * count


def hourly_of(result, type_id: int = 1, reward: int = 100) -> pay.Hourly:
    stored = result.task_types[type_id]["summary"]
    return pay.effective_hourly(msgspec.convert(stored, pay.SampleSummary), reward, None, PLATFORM)


def test_many_timings_of_one_account_weigh_as_one_account():
    honest = timings(1, 600, 1) + timings(2, 600, 1) + timings(3, 600, 1)
    standings = {w: Standing(created_at=OLD) for w in (1, 2, 3, 4)}
    base = requester_aggregates({1: 100}, [], honest, NOW, standings)
    flooded = requester_aggregates({1: 100}, [], honest + timings(4, 20, 50), NOW, standings)
    one_more = requester_aggregates({1: 100}, [], honest + timings(4, 20, 1), NOW, standings)
    flood, single = hourly_of(flooded), hourly_of(one_more)
    assert flood.accounts == single.accounts == 4
    assert flood.weight == pytest.approx(4.0) == single.weight
    # fifty fast timings move the figure no further than one
    assert flood.cents_per_hour == pytest.approx(single.cents_per_hour)
    assert hourly_of(base).cents_per_hour < flood.cents_per_hour


def test_a_new_accounts_timings_are_kept_and_not_counted():
    standings = {1: Standing(created_at=OLD), 2: Standing(created_at=OLD), 9: aged(2)}
    honest = timings(1, 600, 1) + timings(2, 600, 1)
    base = hourly_of(requester_aggregates({1: 100}, [], honest, NOW, standings))
    attacked = hourly_of(requester_aggregates({1: 100}, [], honest + timings(9, 20, 3), NOW, standings))
    assert attacked.cents_per_hour == base.cents_per_hour and attacked.accounts == 2


def test_a_burst_of_new_accounts_timings_waits():
    start = NOW - timedelta(hours=3)
    fresh = [TimingEvidence(w, 1, start + timedelta(minutes=w), True) for w in range(BURST_SIZE)]
    assert timing_burst(fresh) == {(w, 1) for w in range(BURST_SIZE)}
    assert timing_burst(fresh[:-1]) == set()
    spread = [TimingEvidence(w, 1, start + w * (BURST_WINDOW + timedelta(minutes=1)), True) for w in range(BURST_SIZE)]
    assert timing_burst(spread) == set()
    established = [t._replace(new_account=False) for t in fresh]
    assert timing_burst(established) == set()


def test_one_accounts_many_ratings_of_a_requester_are_averaged_first():
    def review(i: int, worker: int, value: int, type_id: int) -> ReviewRow:
        return ReviewRow(i, worker, 1, type_id, value, None, None, None, None, "approved", None, None, NOW, [],
                         OLD, "worker")
    honest = [review(1, 1, 2, 1), review(2, 2, 3, 1)]
    # one account reviewing the requester under 30 made-up titles
    attack = [review(10 + i, 9, 5, 100 + i) for i in range(30)]
    rewards = {1: 100, **{100 + i: 100 for i in range(30)}}
    standings = {w: Standing(created_at=OLD) for w in (1, 2, 9)}
    n, total = requester_aggregates(rewards, honest + attack, [], NOW, standings).ratings["pay"]
    assert total / n == pytest.approx((2 + 3 + 5) / 3)  # one account's say, not thirty


# --- bands and words ------------------------------------------------------------------------------------

def test_one_account_never_makes_good():
    samples = [pay.Sample(30, 100, "approved")] * 20
    summary = pay.summarize(msgspec.structs.replace(s, weight=1 / 20) for s in samples)
    summary.accounts = 1
    hourly = pay.effective_hourly(summary, 100, None, PLATFORM)
    assert hourly.cents_per_hour > 725 and pay.band(hourly.cents_per_hour) == "good"
    assert pay.band_for(hourly) == "ok"
    assert rests_on(hourly) == "20 timings from 1 account"


def test_a_claim_is_labelled_and_never_good():
    hourly = pay.effective_hourly(None, 100, None, PLATFORM, stated_seconds=30)
    assert hourly.basis == "stated" and hourly.cents_per_hour > 725
    assert pay.band_for(hourly) == "ok"
    assert hourly_label(hourly, "USD").startswith("claims $") and rests_on(hourly) == "the requester's claim"


def test_rests_on_words():
    one = pay.Hourly(cents_per_hour=500.0, basis="task", n=1, accounts=1)
    assert rests_on(one) == "1 timing"
    assert rests_on(pay.Hourly(cents_per_hour=500.0, basis="task", n=3, accounts=2)) == "3 timings from 2 accounts"
    assert rests_on(pay.Hourly(cents_per_hour=500.0, basis="requester", n=8, accounts=3)) == (
        "8 timings of the requester's other tasks, from 3 accounts")
    assert rests_on(pay.Hourly(cents_per_hour=None, basis="unknown", n=0)) == "no timings yet"


def test_avoid_needs_two_accounts_worth_of_reports():
    flags, reports = weighted_flags([({"broken": 1.0}, 1.0, 1.0)])
    assert flags == ["broken"]  # shown: one report out of one review
    assert not should_avoid(flags, 0.0, reports)  # but one account never makes "avoid"
    flags, reports = weighted_flags([({"broken": 2.0}, 3.0, 1.0)])
    assert should_avoid(flags, 0.0, reports)
    assert not should_avoid([], 1.5)  # blocks: one and a half accounts' worth is not two
    assert should_avoid([], 2.0)
