"""Formatting of money amounts held as minor units (cents, pence) for people to read or hear.

Pure functions, no I/O. Amounts are floats because derived figures (hourly rates) are not whole cents.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["format_cents", "format_hourly"]

# Only currencies whose symbol is unambiguous to workers; anything else is shown as "2.00 XYZ".
_SYMBOLS: dict[str, str] = {"USD": "$", "GBP": "£", "EUR": "€"}


def format_cents(cents: float, currency: str = "USD") -> str:
    """`725` -> "$7.25"; `-25` -> "-$0.25"; `200, "XYZ"` -> "2.00 XYZ".

    Rounds half away from zero to the cent (so 0.5 cents is "$0.01" and -0.5 is "-$0.01"), and groups
    thousands ("$1,234.56"). Raises ValueError for NaN and infinities: they are bugs upstream, not amounts.
    """
    if isinstance(cents, float) and not math.isfinite(cents):
        raise ValueError(f"cannot format a non-finite amount: {cents!r}")
    # str() of a float is its shortest round-trip form, so 72.5 stays exactly 72.5 before rounding.
    # to_integral_value, unlike quantize, has no precision limit, so 1e30 cents does not raise.
    whole_cents = int(Decimal(str(cents)).to_integral_value(rounding=ROUND_HALF_UP))
    sign = "-" if whole_cents < 0 else ""
    units, minor = divmod(abs(whole_cents), 100)
    amount = f"{units:,}.{minor:02d}"
    code = currency.strip().upper()
    symbol = _SYMBOLS.get(code)
    if symbol is not None:
        return f"{sign}{symbol}{amount}"
    return f"{sign}{amount} {code}" if code else f"{sign}{amount}"


def format_hourly(cents_per_hour: float, currency: str = "USD") -> str:
    """`900` -> "$9.00/h"."""
    return f"{format_cents(cents_per_hour, currency)}/h"
