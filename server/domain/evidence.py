"""What a figure rests on, in words for people (docs/evidence.md): the one wording the annotate answer, the
requester page and the voice view share. Pure: no I/O.

A figure says how many timings it rests on and from how many accounts ("3 timings from 2 accounts", "1
timing"), or that it is the requester's own claim ("claims $7.20/h"): a worker can then tell a measured
figure from a guess, and one account's word from many.
"""
from __future__ import annotations

from server.domain.money import format_hourly
from server.domain.pay import Hourly

__all__ = ["hourly_label", "rests_on"]


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def rests_on(hourly: Hourly) -> str:
    """ "3 timings from 2 accounts", "1 timing", "8 timings of the requester's other tasks, from 3 accounts",
    "the requester's claim", "no timings yet"."""
    if hourly.cents_per_hour is None or hourly.basis == "unknown":
        return "no timings yet"
    if hourly.basis == "stated":
        return "the requester's claim"
    timings = _count(hourly.n, "timing", "timings")
    accounts = hourly.accounts
    if hourly.basis == "requester":
        where = f"{timings} of the requester's other tasks"
        return where if accounts <= 1 else f"{where}, from {_count(accounts, 'account', 'accounts')}"
    if accounts <= 1:
        return timings if hourly.n == 1 else f"{timings} from 1 account"
    return f"{timings} from {_count(accounts, 'account', 'accounts')}"


def hourly_label(hourly: Hourly, currency: str) -> str:
    """The figure as text: "$7.50/h"; a requester's claim as such, "claims $7.20/h"; "unknown"."""
    if hourly.cents_per_hour is None:
        return "unknown"
    label = format_hourly(hourly.cents_per_hour, currency)
    return f"claims {label}" if hourly.basis == "stated" else label
