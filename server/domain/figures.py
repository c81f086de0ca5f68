"""The one rounding rule, and the shown form of every figure. Pure: no I/O.

A figure is computed at full precision from what is stored, then rounded once, at the edge, here: every surface
(annotate, /r, /api/v1/requesters, the Turkopticon routes, /listen, speech) shows the value these functions give,
and formats or says it without rounding again. docs/figures.md says which figure is which and how it is computed.

* money and money per hour: whole minor units (cents, pence), half away from zero;
* rating means and cautious scores: two decimals, half away from zero (Turkopticon's "4.20" is the same number);
* the rule is applied to the decimal a float prints as (4.675 is 4.68, not the 4.67 its binary value would give).
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import msgspec

from server.domain import pay
from server.domain.money import format_cents, format_hourly

__all__ = ["bonus_words", "rating_text", "shown_cents", "shown_hourly", "two_decimals", "whole_cents"]


def _decimal(value: float | int | None) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def whole_cents(value: float | int | None) -> int | None:
    """Money (or money per hour) in whole minor units: 461.5 -> 462, -0.5 -> -1; None for None and non-finite.

    Half away from zero on the number as written (ROUND_HALF_UP of the float's repr), computed without Decimal
    (annotate rounds ~10 amounts per task on a first view): a float is a tie exactly when its repr ends in .5, so
    round() (ties to even) needs correcting only there. tests/unit/test_figures_rounding.py checks it against
    Decimal."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not math.isfinite(value):
        return None
    if abs(value) >= 2.0**52:  # whole already, but its repr may round its last digits: the slow path says so
        return int(Decimal(repr(value)).to_integral_value(rounding=ROUND_HALF_UP))
    nearest = round(value)
    if abs(value - nearest) == 0.5:  # a tie: away from zero
        return math.floor(value) + 1 if value > 0 else math.ceil(value) - 1
    return nearest


def two_decimals(value: float | int | None) -> float | None:
    """A rating mean or score as shown: 1.855 -> 1.86 (the float nearest the two-decimal number)."""
    exact = _decimal(value)
    return None if exact is None else float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def bonus_words(hourly: pay.Hourly, currency: str = "USD") -> str:
    """What a figure that counts bonuses says about them, for people: "with typical bonuses of $0.25; $4.00/h
    without". "" when no timed work was paid a bonus (then the figure has none in it)."""
    if hourly.typical_bonus_cents is None or hourly.without_bonus is None:
        return ""
    return (f"with typical bonuses of {format_cents(hourly.typical_bonus_cents, currency)}; "
            f"{format_hourly(hourly.without_bonus, currency)} without")


def rating_text(value: float | None) -> str | None:
    """A shown rating as text with its two decimals: 4.2 -> "4.20"."""
    shown = two_decimals(value)
    return None if shown is None else f"{shown:.2f}"


def shown_cents(value: float | None) -> float | None:
    """An amount as a figure carries it once rounded: whole cents, kept a float (the JSON's number type)."""
    rounded = whole_cents(value)
    return None if rounded is None else float(rounded)


def shown_hourly(hourly: pay.Hourly) -> pay.Hourly:
    """The figure as every surface shows it: each amount per hour in whole cents (rounded here, once), so the
    label, the band, a filter's verdict and the spoken sentence all rest on the same number."""
    return msgspec.structs.replace(
        hourly, cents_per_hour=shown_cents(hourly.cents_per_hour), low=shown_cents(hourly.low), high=shown_cents(hourly.high),
        median_rate=shown_cents(hourly.median_rate), pooled_rate=shown_cents(hourly.pooled_rate),
        typical_bonus_cents=shown_cents(hourly.typical_bonus_cents), without_bonus=shown_cents(hourly.without_bonus),
        floor=shown_cents(hourly.floor))  # what "good" must clear (pay.band_for): on the same cents
