"""Tests for server/domain/pay.py: worked examples (arithmetic in comments) and properties."""

from __future__ import annotations

import math
import statistics

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.pay import (
    SPREAD_PLATFORM,
    DEFAULT_APPROVAL,
    DEFAULT_PLATFORM_SECONDS,
    DEFAULT_TARGET_CENTS_PER_HOUR,
    GOOD_FACTOR,
    Hourly,
    Prior,
    Sample,
    SampleSummary,
    band,
    effective_hourly,
    median,
    platform_prior,
    rating_score,
    requester_prior,
    summarize,
)

# A platform with no data at all: log(600 s), approval 0.9, n = 0.
NO_DATA = platform_prior(0, 0.0, 0, 0)


def approved(seconds: float, reward: int = 50, bonus: int = 0) -> Sample:
    return Sample(seconds=seconds, reward_cents=reward, outcome="approved", bonus_cents=bonus)


def returned(seconds: float, reward: int = 50) -> Sample:
    return Sample(seconds=seconds, reward_cents=reward, outcome="returned")


# --- worked examples ----------------------------------------------------------


def test_platform_prior_without_data_is_the_default() -> None:
    assert NO_DATA == Prior(log_seconds=math.log(DEFAULT_PLATFORM_SECONDS), approval=DEFAULT_APPROVAL, n=0,
                            spread=SPREAD_PLATFORM, types=0.0)


def test_platform_prior_from_sums() -> None:
    # 10 completed, Σlog = 10·log(300) → mean log(300); approval (45 + 4·0.9)/(50 + 4) = 48.6/54 = 0.9
    p = platform_prior(10, 10 * math.log(300), 45, 50)
    assert p.log_seconds == pytest.approx(math.log(300))
    assert p.approval == pytest.approx(0.9)
    assert p.n == 10


def test_three_approved_samples_no_prior_data() -> None:
    # Samples 300, 300, 600 s at $0.50, all approved; platform prior has no data (600 s, 0.9).
    s = summarize([approved(300), approved(300), approved(600)])
    # median log = log 300 (middle of log300, log300, log600)
    assert s.median_log_seconds == pytest.approx(math.log(300))
    # log d = (3·log300 + 3·log600)/(3 + 3) → d = √(300·600) = √180000 ≈ 424.264 s
    # p = (3 + 4·0.9)/(3 + 4) = 6.6/7 ≈ 0.942857
    # hourly = 50 · 0.942857 · 3600 / 424.264 ≈ 400.02 cents/h ($4.00/h)
    h = effective_hourly(s, 50, None, NO_DATA)
    assert h.basis == "task"
    assert h.n == 3
    assert h.duration_seconds == pytest.approx(math.sqrt(180_000))
    assert h.p_approved == pytest.approx(6.6 / 7)
    assert h.cents_per_hour == pytest.approx(50 * (6.6 / 7) * 3600 / math.sqrt(180_000))
    assert h.cents_per_hour == pytest.approx(400.02, abs=0.01)
    # Per-sample rates: 50·3600/300 = 600, 600, 50·3600/600 = 300 → sorted [300, 600, 600]
    # p25 at position 0.5 → 450; p50 → 600; p75 at position 1.5 → 600
    assert (s.rate_p25, h.median_rate, s.rate_p75) == pytest.approx((450.0, 600.0, 600.0))
    # low–high is the figure's 80 % range, around it on a log scale; "floor" (what "good" must clear) lower
    assert h.low is not None and h.high is not None and h.floor is not None
    assert h.floor < h.low < h.cents_per_hour < h.high
    assert h.cents_per_hour / h.low == pytest.approx(h.high / h.cents_per_hour)
    # pooled: Σpay 150 cents over Σ 1200 s → 150·3600/1200 = 450
    assert h.pooled_rate == pytest.approx(450.0)
    assert band(h.cents_per_hour) == "low"


def test_returned_sample_costs_its_time() -> None:
    # Same three samples plus one returned after 600 s.
    s = summarize([approved(300), approved(300), approved(600), returned(600)])
    assert (s.n, s.n_completed, s.n_returned) == (4, 3, 1)
    assert s.returned_median_seconds == 600
    # d and p unchanged (424.264 s, 0.942857); q = 1/(4 + 1) = 0.2; d_r = 600
    # hourly = 50·0.942857·3600·0.8 / (0.8·424.264 + 0.2·600) = 135771.4 / 459.411 ≈ 295.53
    h = effective_hourly(s, 50, None, NO_DATA)
    d = math.sqrt(180_000)
    assert h.cents_per_hour == pytest.approx(50 * (6.6 / 7) * 3600 * 0.8 / (0.8 * d + 0.2 * 600))
    assert h.cents_per_hour == pytest.approx(295.53, abs=0.01)
    # rates [0, 300, 600, 600]: p25 at 0.75 → 225, p50 at 1.5 → 450, p75 at 2.25 → 600
    assert (s.rate_p25, h.median_rate, s.rate_p75) == pytest.approx((225.0, 450.0, 600.0))
    # pooled: 150 cents over 1800 s → 300
    assert h.pooled_rate == pytest.approx(300.0)


def test_rejected_and_bonus() -> None:
    # 200 s approved with 20¢ bonus, 200 s rejected (bonus 0). Reward 40¢.
    s = summarize([approved(200, reward=40, bonus=20), Sample(200, 40, "rejected")])
    assert (s.approved, s.decided) == (1, 2)
    assert s.mean_bonus_cents == pytest.approx(10.0)  # (20 + 0)/2 completed
    assert s.pooled_pay_cents == pytest.approx(60.0)  # 40 + 20 paid, rejected earns 0
    # rates: 60·3600/200 = 1080 and 0 → p25 270, p50 540, p75 810
    assert (s.rate_p25, s.rate_p50, s.rate_p75) == pytest.approx((270.0, 540.0, 810.0))
    # log d = (2·log200 + 3·log600)/5 → d = (200²·600³)^(1/5)
    # p = (1 + 3.6)/(2 + 4) = 4.6/6
    # hourly = (40 + 10)·(4.6/6)·3600 / d
    d = (200**2 * 600**3) ** (1 / 5)
    h = effective_hourly(s, 40, None, NO_DATA)
    assert h.cents_per_hour == pytest.approx(50 * (4.6 / 6) * 3600 / d)


def test_pending_submitted_and_unknown_outcomes_are_paid_but_undecided() -> None:
    s = summarize([Sample(100, 10, "pending"), Sample(100, 10, "submitted"), Sample(100, 10, None)])
    assert (s.approved, s.decided, s.n_completed) == (0, 0, 3)
    assert s.pooled_pay_cents == 30
    # each rate 10·3600/100 = 360
    assert (s.rate_p25, s.rate_p50, s.rate_p75) == (360.0, 360.0, 360.0)


def test_single_sample_quartiles_all_equal() -> None:
    s = summarize([approved(120, reward=30)])  # 30·3600/120 = 900
    assert (s.rate_p25, s.rate_p50, s.rate_p75) == (900.0, 900.0, 900.0)


def test_empty_summary() -> None:
    assert summarize([]) == SampleSummary()


def test_task_samples_shrink_toward_requester_prior() -> None:
    req = Prior(log_seconds=math.log(800), approval=0.5, return_rate=0.0, n=10)
    s = summarize([approved(100)])
    # log d = (1·log100 + 3·log800)/4 → d = (100·800³)^(1/4) ≈ 475.68 s
    # p = (1 + 4·0.5)/(1 + 4) = 0.6
    # hourly = 50·0.6·3600/475.68 ≈ 227.04
    h = effective_hourly(s, 50, req, NO_DATA)
    assert h.basis == "task"
    assert h.duration_seconds == pytest.approx((100 * 800**3) ** 0.25)
    assert h.p_approved == pytest.approx(0.6)
    assert h.cents_per_hour == pytest.approx(227.04, abs=0.01)


def test_requester_prior_and_requester_basis() -> None:
    # Requester history: 200 s approved, 800 s approved, 400 s rejected, one returned after 300 s.
    summary = summarize(
        [approved(200), approved(800), Sample(400, 50, "rejected"), returned(300)],
    )
    req = requester_prior(summary, NO_DATA)
    # mean log = (log200 + log800 + log400)/3 = log ∛(64·10⁶) = log 400
    assert req.log_seconds == pytest.approx(math.log(400))
    # approval = (2 + 4·0.9)/(3 + 4) = 5.6/7 = 0.8
    assert req.approval == pytest.approx(0.8)
    # return rate = 1/(4 + 1) = 0.2
    assert req.return_rate == pytest.approx(0.2)
    assert req.n == 4
    # New task type, no samples, $1.00: d = 400, p = 0.8, q = 0.2, d_r = d
    # hourly = 100·0.8·3600·0.8/(0.8·400 + 0.2·400) = 230400/400 = 576
    h = effective_hourly(None, 100, req, NO_DATA, stated_seconds=60)
    assert h.basis == "requester"
    assert h.n == 4
    assert h.cents_per_hour == pytest.approx(576.0)
    assert h.pooled_rate is None
    # its range is wider than that of a task measured as often: the task may differ from the requester's others
    assert h.low is not None and h.high is not None and h.low < h.cents_per_hour < h.high
    measured = effective_hourly(summary, 100, req, NO_DATA)
    assert measured.low is not None and measured.high is not None
    assert h.high / h.low > measured.high / measured.low
    # An empty task summary is the same as no task.
    assert effective_hourly(SampleSummary(), 100, req, NO_DATA) == effective_hourly(None, 100, req, NO_DATA)


def test_requester_prior_without_data_defers_to_platform() -> None:
    req = requester_prior(None, NO_DATA)
    assert req.n == 0
    assert (req.log_seconds, req.approval) == (NO_DATA.log_seconds, NO_DATA.approval)
    # n = 0 means it is not used as a basis: falls through to "stated".
    assert effective_hourly(None, 25, req, NO_DATA, stated_seconds=300).basis == "stated"


def test_stated_basis() -> None:
    # 25¢, stated 5 minutes, platform approval 0.9: 25·0.9·3600/300 = 270
    h = effective_hourly(None, 25, None, NO_DATA, stated_seconds=300)
    assert h.basis == "stated"
    assert h.n == 0
    assert h.cents_per_hour == pytest.approx(270.0)
    assert h.duration_seconds == 300


def test_all_returned_task_uses_stated_duration() -> None:
    # Two returns after 120 s and 240 s; stated 600 s; nothing decided so p = 3.6/4 = 0.9
    # q = 2/(2 + 1) = 2/3; d_r = mean returned time = 180
    # hourly = 100·0.9·3600·(1/3) / ((1/3)·600 + (2/3)·180) = 108000/320 = 337.5
    s = summarize([returned(120), returned(240)])
    h = effective_hourly(s, 100, None, NO_DATA, stated_seconds=600)
    assert h.basis == "task"
    assert h.duration_seconds == 600
    assert h.cents_per_hour == pytest.approx(337.5)
    # without a stated duration the prior's 600 s is used: same numbers here
    assert effective_hourly(s, 100, None, NO_DATA).cents_per_hour == pytest.approx(337.5)


def test_tiny_seconds_are_floored_to_one_second() -> None:
    s = summarize([approved(1e-9, reward=10)])
    assert s.median_log_seconds == 0.0  # log(1 s)
    assert s.rate_p50 == 36_000.0  # 10·3600/1
    h = effective_hourly(None, 10, None, NO_DATA, stated_seconds=1e-9)
    assert h.basis == "stated"
    assert h.cents_per_hour == pytest.approx(10 * 0.9 * 3600)


def test_zero_reward_is_zero_not_error() -> None:
    h = effective_hourly(summarize([approved(60, reward=0)]), 0, None, NO_DATA)
    assert h.cents_per_hour == 0.0
    assert band(h.cents_per_hour) == "low"


@pytest.mark.parametrize("stated", [None, 0, -5, float("nan"), float("inf"), 1e300])
@pytest.mark.parametrize("reward", [0, -1, 10**400, 10**6], ids=["zero", "negative", "huge_int", "10k_dollars"])
def test_junk_inputs_stay_finite(stated: float | None, reward: int) -> None:
    junk_task = SampleSummary(
        n=5,
        n_completed=7,  # inconsistent on purpose
        n_returned=9,
        median_log_seconds=float("inf"),
        approved=10,
        decided=2,
        mean_bonus_cents=float("nan"),
        rate_p25=float("nan"),
        pooled_pay_cents=float("inf"),
        pooled_seconds=0.0,
        sum_returned_seconds=float("inf"),
    )
    junk_prior = Prior(log_seconds=float("nan"), approval=7.0, return_rate=float("inf"), n=3)
    for task in (None, junk_task, SampleSummary()):
        for req in (None, junk_prior):
            h = effective_hourly(task, reward, req, junk_prior, stated_seconds=stated)
            for value in msgspec.structs.astuple(h):
                if isinstance(value, float):
                    assert math.isfinite(value)


def test_median_helper() -> None:
    assert median([]) is None
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median(iter([1.0, 2.0])) == 1.5


# --- ratings ------------------------------------------------------------------


def test_one_five_star_review_scores_below_200_reviews_of_4_6() -> None:
    prior = 4.0
    # one 5: (1·5 + 5·4)/(1 + 5) = 25/6 = 4.1667; minus 1·1/√6 = 0.4082 → 3.7584
    one = rating_score(1, 5.0, prior)
    # 200 of 4.6: (920 + 20)/205 = 4.5854; minus 1/√205 = 0.0698 → 4.5155
    many = rating_score(200, 4.6, prior)
    assert one == pytest.approx(25 / 6 - 1 / math.sqrt(6))
    assert many == pytest.approx(940 / 205 - 1 / math.sqrt(205))
    assert one is not None and many is not None and one < many


def test_rating_score_edges() -> None:
    assert rating_score(0, None, 4.0) is None
    assert rating_score(0, 5.0, 4.0) is None
    assert rating_score(3, 1.0, 1.0) == 1.0  # would be below 1: clamped
    assert rating_score(10**9, 5.0, 5.0) == pytest.approx(5.0, abs=1e-4)


# --- bands --------------------------------------------------------------------


def test_band_boundaries_default_target() -> None:
    t = DEFAULT_TARGET_CENTS_PER_HOUR  # 725
    assert band(t - 0.01) == "low"
    assert band(t) == "ok"  # exactly the target is ok
    assert band(t * GOOD_FACTOR - 0.01) == "ok"
    assert band(t * GOOD_FACTOR) == "good"  # exactly 1.4 × target is good
    assert band(1015) == "good"  # 725·1.4 = 1015 in exact arithmetic
    assert band(None) == "unknown"
    assert band(float("nan")) == "unknown"
    assert band(5000, avoid=True) == "avoid"
    assert band(None, avoid=True) == "avoid"


@pytest.mark.parametrize("target", [1, 3, 7, 11, 1000, 1500, 2000])
def test_band_boundaries_custom_target(target: int) -> None:
    assert band(target, target) == "ok"
    assert band(target * 14 / 10, target) == "good"
    assert band(target - 0.01, target) == "low"


# --- properties ---------------------------------------------------------------

OUTCOMES = st.one_of(
    st.none(),
    st.sampled_from(["approved", "pending", "submitted", "rejected", "blocked", "returned"]),
    st.text(max_size=8),
)
SECONDS = st.floats(min_value=0, max_value=1e7, allow_nan=False)
REWARDS = st.integers(min_value=0, max_value=10**6)
SAMPLES = st.builds(
    Sample,
    seconds=SECONDS,
    reward_cents=REWARDS,
    outcome=OUTCOMES,
    bonus_cents=st.integers(min_value=0, max_value=10**4),
)
PLATFORMS = st.one_of(
    st.just(NO_DATA),
    st.builds(
        lambda n, mean_log, a, d: platform_prior(n, n * mean_log, min(a, d), d),
        st.integers(0, 10**6),
        st.floats(0, 17, allow_nan=False),
        st.integers(0, 10**6),
        st.integers(0, 10**6),
    ),
)
STATED = st.one_of(st.none(), SECONDS)


@st.composite
def requesters(draw: st.DrawFn, platform: Prior) -> Prior | None:
    history = draw(st.lists(SAMPLES, max_size=6))
    return draw(st.sampled_from([None, requester_prior(summarize(history), platform)]))


@given(st.lists(SAMPLES, max_size=8), REWARDS, REWARDS, PLATFORMS, STATED, st.data())
def test_hourly_monotone_in_reward(
    samples: list[Sample], r1: int, r2: int, platform: Prior, stated: float | None, data: st.DataObject
) -> None:
    lo, hi = sorted((r1, r2))
    req = data.draw(requesters(platform))
    task = summarize(samples)
    a = effective_hourly(task, lo, req, platform, stated)
    b = effective_hourly(task, hi, req, platform, stated)
    assert a.basis == b.basis
    if a.cents_per_hour is not None and b.cents_per_hour is not None:
        assert a.cents_per_hour <= b.cents_per_hour


@given(
    st.lists(SAMPLES, min_size=1, max_size=8),
    st.lists(SECONDS, min_size=1, max_size=5),
    REWARDS,
    PLATFORMS,
    STATED,
    st.data(),
)
def test_returned_samples_never_raise_hourly(
    samples: list[Sample],
    returned_seconds: list[float],
    reward: int,
    platform: Prior,
    stated: float | None,
    data: st.DataObject,
) -> None:
    req = data.draw(requesters(platform))
    before = effective_hourly(summarize(samples), reward, req, platform, stated)
    more = samples + [returned(t, reward) for t in returned_seconds]
    after = effective_hourly(summarize(more), reward, req, platform, stated)
    assert before.cents_per_hour is not None and after.cents_per_hour is not None
    assert after.cents_per_hour <= before.cents_per_hour * (1 + 1e-12)
    # the pooled rate is the plain truth Σpay/Σhours: also never higher
    if before.pooled_rate is not None and after.pooled_rate is not None:
        assert after.pooled_rate <= before.pooled_rate * (1 + 1e-12)


@given(st.lists(SECONDS, min_size=1, max_size=5), REWARDS, PLATFORMS, SECONDS)
def test_first_returns_never_raise_a_stated_estimate(
    returned_seconds: list[float], reward: int, platform: Prior, stated: float
) -> None:
    # From no samples (basis "stated") to only returned samples (basis "task").
    # With requester data the two figures rest on different durations, so this
    # comparison is only meaningful without it.
    before = effective_hourly(None, reward, None, platform, stated)
    task = summarize([returned(t, reward) for t in returned_seconds])
    after = effective_hourly(task, reward, None, platform, stated)
    if stated > 0:
        assert before.cents_per_hour is not None and after.cents_per_hour is not None
        assert after.cents_per_hour <= before.cents_per_hour * (1 + 1e-12)


@given(REWARDS, PLATFORMS, st.sampled_from([None, SampleSummary()]), st.booleans(), st.integers(1, 5000))
def test_no_data_is_unknown(
    reward: int, platform: Prior, task: SampleSummary | None, with_empty_requester: bool, target: int
) -> None:
    req = requester_prior(None, platform) if with_empty_requester else None
    h = effective_hourly(task, reward, req, platform, None)
    assert h == Hourly(cents_per_hour=None, basis="unknown", n=0)
    assert band(h.cents_per_hour, target) == "unknown"


@given(st.lists(SAMPLES, max_size=10), REWARDS, PLATFORMS, STATED, st.data())
def test_arbitrary_inputs_finite(
    samples: list[Sample], reward: int, platform: Prior, stated: float | None, data: st.DataObject
) -> None:
    task = summarize(samples)
    for value in msgspec.structs.astuple(task):
        if isinstance(value, float):
            assert math.isfinite(value)
    req = data.draw(requesters(platform))
    h = effective_hourly(task, reward, req, platform, stated)
    assert h.basis in {"task", "requester", "stated", "unknown"}
    for value in msgspec.structs.astuple(h):
        if isinstance(value, float):
            assert math.isfinite(value)
    if h.cents_per_hour is not None:
        assert h.cents_per_hour >= 0
        assert band(h.cents_per_hour) in {"good", "ok", "low"}
    if h.p_approved is not None:
        assert 0 <= h.p_approved <= 1


@given(st.lists(SAMPLES, min_size=2, max_size=10))
def test_quartiles_match_statistics_inclusive(samples: list[Sample]) -> None:
    s = summarize(samples)
    rates = []
    for x in samples:
        secs = max(1.0, x.seconds)
        paid = x.outcome not in {"rejected", "blocked", "returned"}
        rates.append((x.reward_cents + x.bonus_cents) * 3600 / secs if paid else 0.0)
    q1, q2, q3 = statistics.quantiles(rates, n=4, method="inclusive")
    assert (s.rate_p25, s.rate_p50, s.rate_p75) == pytest.approx((q1, q2, q3))
    assert s.n == s.n_completed + s.n_returned == len(samples)
    assert s.pooled_seconds == pytest.approx(sum(max(1.0, x.seconds) for x in samples))
