"""The pure trust rules against a brute-force reading of their text (docs/moderation.md), with hypothesis."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import get_args

from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.moderation import (
    ACCOUNT_BURST_SIZE,
    BURST_SIZE,
    BURST_WINDOW,
    FLAG_REASONS,
    ROLES,
    BurstCandidate,
    burst_members,
    burst_to_hold,
    carries_evidence,
    is_low,
    may_mute,
    should_hide,
)
from server.moderation.schemas import FlagReason

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def test_the_wire_format_knows_every_flag_reason():
    assert get_args(FlagReason) == FLAG_REASONS


# --- who hides a review -------------------------------------------------------------------------------
# The text: "a review is hidden once two distinct workers flagged it, one of them a moderator, or at once
# when an admin flags it; one worker alone, or many workers without a moderator, cannot hide it."

flaggers = st.lists(st.tuples(st.integers(0, 6), st.sampled_from(ROLES)), max_size=8)


def distinct_roles(flags):
    """One role per distinct worker (a worker flags a review once; their role is their role)."""
    return list({worker: role for worker, role in flags}.values())


def brute_should_hide(roles):
    people = list(enumerate(roles))
    if any(role == "admin" for _, role in people):
        return True
    # look for a pair of two distinct people, at least one a moderator
    return any(a != b and "moderator" in (ra, rb) for (a, ra), (b, rb) in itertools.product(people, repeat=2))


@given(flaggers)
def test_should_hide_matches_the_rule_text(flags):
    roles = distinct_roles(flags)
    assert should_hide(roles) == brute_should_hide(roles)


@given(flaggers, st.randoms())
def test_should_hide_ignores_order_and_only_grows(flags, random):
    roles = distinct_roles(flags)
    shuffled = roles[:]
    random.shuffle(shuffled)
    assert should_hide(shuffled) == should_hide(roles)
    for role in ROLES:  # one more flagger never brings a review back
        assert should_hide([*roles, role]) >= should_hide(roles)


@given(st.integers(0, 50))
def test_workers_alone_never_hide(n):
    assert not should_hide(["worker"] * n)
    assert not should_hide(["moderator"])  # nor one moderator alone
    assert should_hide(["admin"])


# --- bursts -------------------------------------------------------------------------------------------
# The text: "a burst is mass evidence about one requester within BURST_WINDOW: at least BURST_SIZE reviews
# carrying evidence (a rating, an outcome, a flag or a worked time: high or low alike) from distinct new
# accounts, or at least ACCOUNT_BURST_SIZE of them from one account, new or not. They are held instead of
# moving any figure. Hidden ones are not counted again; only visible ones are held."

candidates = st.lists(st.builds(
    BurstCandidate,
    review_id=st.integers(1, 10**6),
    created_at=st.integers(0, 2 * 24 * 60).map(lambda minutes: NOW - timedelta(minutes=minutes)),
    new_account=st.booleans(),
    evidence=st.booleans(),
    status=st.sampled_from(("visible", "held", "hidden", "restored")),
    worker_id=st.one_of(st.none(), st.integers(1, 3)),
), max_size=2 * ACCOUNT_BURST_SIZE + 4, unique_by=lambda c: c.review_id)


def brute_burst(cands):
    window = [c for c in cands
              if c.evidence and c.status != "hidden" and timedelta(0) <= NOW - c.created_at <= BURST_WINDOW]
    members = set()
    fresh = [c for c in window if c.new_account]
    if len({("w", c.worker_id) if c.worker_id is not None else ("r", c.review_id) for c in fresh}) >= BURST_SIZE:
        members |= {c.review_id for c in fresh}
    for worker in {c.worker_id for c in window if c.worker_id is not None}:
        own = [c for c in window if c.worker_id == worker]
        if len(own) >= ACCOUNT_BURST_SIZE:
            members |= {c.review_id for c in own}
    return {c.review_id for c in cands if c.review_id in members and c.status == "visible"}


@settings(max_examples=300)
@given(candidates)
def test_burst_to_hold_matches_the_rule_text(cands):
    held = burst_to_hold(cands, NOW)
    assert held == brute_burst(cands)
    assert held <= {c.review_id for c in cands if c.status == "visible" and c.evidence}
    assert {c.review_id for c in burst_members(cands, NOW)} >= held


@given(candidates, st.randoms())
def test_burst_ignores_order_and_more_evidence_never_releases_one(cands, random):
    shuffled = cands[:]
    random.shuffle(shuffled)
    assert burst_to_hold(shuffled, NOW) == burst_to_hold(cands, NOW)
    extra = BurstCandidate(review_id=10**7, created_at=NOW, new_account=True, evidence=True, worker_id=99)
    assert burst_to_hold([*cands, extra], NOW) >= burst_to_hold(cands, NOW)


def test_burst_edges():
    def fresh(i, minutes=0, **changes):
        fields = {"new_account": True, "evidence": True, "worker_id": 100 + i, **changes}
        return BurstCandidate(review_id=i, created_at=NOW - timedelta(minutes=minutes), **fields)
    assert burst_to_hold([fresh(i) for i in range(BURST_SIZE - 1)], NOW) == set()
    assert burst_to_hold([fresh(i) for i in range(BURST_SIZE)], NOW) == set(range(BURST_SIZE))
    just_inside = int(BURST_WINDOW.total_seconds() // 60)
    assert burst_to_hold([fresh(0, just_inside), fresh(1), fresh(2)], NOW) == {0, 1, 2}
    assert burst_to_hold([fresh(0, just_inside + 1), fresh(1), fresh(2)], NOW) == set()
    assert burst_to_hold([fresh(0, status="hidden"), fresh(1), fresh(2)], NOW) == set()
    assert burst_to_hold([fresh(0, status="restored"), fresh(1), fresh(2)], NOW) == {1, 2}
    # reviews saying nothing that moves a figure (a comment alone) make no burst
    assert burst_to_hold([fresh(0, evidence=False), fresh(1), fresh(2)], NOW) == set()
    # one new account's three reviews are one account, not a burst of new accounts
    assert burst_to_hold([fresh(i, worker_id=7) for i in range(BURST_SIZE)], NOW) == set()
    # one established account's many reviews of one requester are a burst of their own
    own = [fresh(i, new_account=False, worker_id=7) for i in range(ACCOUNT_BURST_SIZE)]
    assert burst_to_hold(own[:-1], NOW) == set()
    assert burst_to_hold(own, NOW) == set(range(ACCOUNT_BURST_SIZE))


def test_evidence_is_any_rating_outcome_flag_or_worked_time():
    assert not carries_evidence([None] * 4, None)
    assert carries_evidence([5, None, None, None], None)  # a high rating moves a figure as a low one does
    assert carries_evidence([None] * 4, "approved")
    assert carries_evidence([None] * 4, None, ["broken"])
    assert carries_evidence([None] * 4, None, (), 300)


# --- low reviews and mutes ----------------------------------------------------------------------------

ratings = st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=4, max_size=4)
outcomes = st.sampled_from((None, "approved", "rejected", "pending", "returned", "blocked"))


@given(ratings, outcomes)
def test_is_low_matches_the_rule_text(values, outcome):
    # "a low rating (2 stars or fewer), or a rejection or block"
    expected = outcome in ("rejected", "blocked") or any(v in (1, 2) for v in values)
    assert is_low(values, outcome) == expected


def test_may_mute_table():
    allowed = {(actor, target) for actor in ROLES for target in ROLES if may_mute(actor, target)}
    assert allowed == {("moderator", "worker"), ("admin", "worker"), ("admin", "moderator")}
