"""The one rounding rule and the shown form of figures (server/domain/figures.py), and bonuses in the hourly."""
from __future__ import annotations

import math

import pytest

from accessibility.speech import SpokenTask, task_sentence
from server.domain import pay
from server.domain.figures import bonus_words, rating_text, shown_hourly, two_decimals, whole_cents

NO_DATA = pay.platform_prior(0, 0.0, 0, 0)


@pytest.mark.parametrize(("value", "cents"), [
    (461.5, 462), (461.49, 461), (-0.5, -1), (0.5, 1), (725, 725), (None, None),
    (math.nan, None), (math.inf, None)])
def test_money_rounds_half_away_from_zero_to_whole_cents(value, cents):
    assert whole_cents(value) == cents


@pytest.mark.parametrize(("value", "shown", "text"), [
    (1.855, 1.86, "1.86"), (4.675, 4.68, "4.68"), (4.665, 4.67, "4.67"), (5 / 3, 1.67, "1.67"), (4.2, 4.2, "4.20"),
    (None, None, None)])
def test_ratings_have_two_decimals_as_turkopticon_shows_them(value, shown, text):
    assert two_decimals(value) == shown and rating_text(value) == text


def test_a_shown_hourly_is_whole_cents_in_every_amount():
    summary = pay.summarize([pay.Sample(700, 100, "approved"), pay.Sample(813, 100, "approved"),
                             pay.Sample(911, 100, "rejected")])
    raw = pay.effective_hourly(summary, 100, None, NO_DATA)
    shown = shown_hourly(raw)
    for field in ("cents_per_hour", "low", "high", "median_rate", "pooled_rate"):
        value = getattr(shown, field)
        assert value == whole_cents(getattr(raw, field)) and value == int(value), field
    assert shown.duration_seconds == raw.duration_seconds and shown.basis == "task"


def test_the_hourly_counts_typical_bonuses_and_says_the_figure_without_them():
    paid = pay.summarize([pay.Sample(600, 100, "approved", bonus_cents=50), pay.Sample(600, 100, "approved")])
    plain = pay.summarize([pay.Sample(600, 100, "approved"), pay.Sample(600, 100, "approved")])
    with_bonus = pay.effective_hourly(paid, 100, None, NO_DATA)
    without = pay.effective_hourly(plain, 100, None, NO_DATA)
    assert with_bonus.typical_bonus_cents == 25
    assert with_bonus.without_bonus == pytest.approx(without.cents_per_hour)
    assert with_bonus.cents_per_hour == pytest.approx(without.cents_per_hour * 1.25)
    assert without.without_bonus is None and without.typical_bonus_cents is None and bonus_words(without) == ""
    shown = shown_hourly(with_bonus)
    assert bonus_words(shown) == f"with typical bonuses of $0.25; ${shown.without_bonus / 100:.2f}/h without"


def test_speech_says_which_figure_counts_bonuses():
    task = SpokenTask(title="Survey", requester_name="Shop Lab", reward_cents=100, cents_per_hour=750,
                      without_bonus_cents_per_hour=600, band="good", basis="task", n=3)
    assert "7 dollars 50 an hour with typical bonuses, 6 dollars an hour without" in task_sentence(task, "short")
    plain = SpokenTask(title="Survey", requester_name="Shop Lab", reward_cents=100, cents_per_hour=750,
                       band="good", basis="task", n=3)
    assert "bonus" not in task_sentence(plain, "full")
