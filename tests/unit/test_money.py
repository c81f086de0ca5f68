"""Money formatting: what workers read and hear for rewards and hourly rates."""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.money import format_cents, format_hourly


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [
        (25, "USD", "$0.25"),
        (725, "USD", "$7.25"),
        (0, "USD", "$0.00"),
        (150, "GBP", "£1.50"),
        (200, "EUR", "€2.00"),
        (200, "XYZ", "2.00 XYZ"),
        (200, "xyz", "2.00 XYZ"),  # codes are shown upper-case
        (200, " gbp ", "£2.00"),
        (200, "", "2.00"),
        (-25, "USD", "-$0.25"),
        (-200, "XYZ", "-2.00 XYZ"),
        (123456, "USD", "$1,234.56"),
        (100_000_000, "EUR", "€1,000,000.00"),
    ],
)
def test_format_cents(cents: float, currency: str, expected: str) -> None:
    assert format_cents(cents, currency) == expected


def test_default_currency_is_usd() -> None:
    assert format_cents(725) == "$7.25"
    assert format_hourly(900) == "$9.00/h"


@pytest.mark.parametrize(
    ("cents", "expected"),
    [
        (0.5, "$0.01"),  # half rounds up, not to even
        (2.5, "$0.03"),
        (72.5, "$0.73"),
        (72.49, "$0.72"),
        (724.5, "$7.25"),
        (0.4999, "$0.00"),
        (-0.5, "-$0.01"),  # half rounds away from zero on the negative side too
        (-0.4, "$0.00"),  # no "-$0.00"
        (1e-9, "$0.00"),
    ],
)
def test_rounds_half_up_to_the_cent(cents: float, expected: str) -> None:
    assert format_cents(cents) == expected


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [
        (900, "USD", "$9.00/h"),
        (510.4, "USD", "$5.10/h"),
        (1200, "GBP", "£12.00/h"),
        (725, "ABC", "7.25 ABC/h"),
    ],
)
def test_format_hourly(cents: float, currency: str, expected: str) -> None:
    assert format_hourly(cents, currency) == expected


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_amounts_are_refused(bad: float) -> None:
    with pytest.raises(ValueError):
        format_cents(bad)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_whole_cents_round_trip(cents: int) -> None:
    text = format_cents(cents, "XYZ")
    number = text.removesuffix(" XYZ").replace(",", "")
    assert round(float(number) * 100) == cents


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_float_amounts_are_within_half_a_cent(cents: float) -> None:
    text = format_cents(cents, "USD")
    negative = text.startswith("-")
    value = float(text.lstrip("-").removeprefix("$").replace(",", "")) * 100
    assert abs((-value if negative else value) - cents) <= 0.5 + 1e-6 * max(1.0, abs(cents))


def test_huge_amounts_format_without_error() -> None:
    assert format_cents(1e30) == "$" + f"{10**28:,}" + ".00"
    assert format_cents(-1e300, "XYZ").startswith("-")
