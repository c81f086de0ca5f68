"""whole_cents' fast path against the rule it implements: ROUND_HALF_UP of the float as written (its repr)."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from server.domain.figures import whole_cents


def _reference(value: float | int) -> int | None:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return int(exact.to_integral_value(rounding=ROUND_HALF_UP))


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=-10**30, max_value=10**30))
def test_whole_cents_is_half_up_of_the_number_as_written(value: float | int) -> None:
    assert whole_cents(value) == _reference(value)


@given(st.integers(min_value=-10**9, max_value=10**9))
def test_ties_and_their_neighbours(k: int) -> None:
    for value in (k + 0.5, k - 0.5, math.nextafter(k + 0.5, math.inf), math.nextafter(k + 0.5, -math.inf)):
        assert whole_cents(value) == _reference(value), value


def test_examples() -> None:
    assert [whole_cents(v) for v in (461.5, -0.5, 2.5, 3.5, -2.5, 267.49999999999997, 0.49999999999999994)] == [
        462, -1, 3, 4, -3, 267, 0]
    assert whole_cents(None) is None and whole_cents(math.nan) is None and whole_cents(True) is None
