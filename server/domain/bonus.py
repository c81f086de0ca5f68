"""The typical bonus of a task type (docs/figures.md "Bonuses"): pure rules, no I/O.

What a bonus rests on, for one account and one task type (its family: the same title at other rewards):
- the bonuses it *knows*: its timings' `bonus_cents` (sent when the platform's page showed the bonus), its
  review's `bonus_cents`, and the bonuses of its history items captured from the platform's own pages
  (`history_bonus_counts`: hand-entered, self-reported items never count);
- the account's bonus is the mean of those; an account that completed timed work but knows no bonus counts
  as "no bonus" (0), as before timings could carry one; an account with neither says nothing.

Across accounts, each account counts once, with its weight (server/domain/weights.py), however many timings
or history items it sends, and no account's bonus counts above the highest bonus another account reports
(`typical_bonus`): one account, fresh or not, cannot set a task's typical bonus, and a bonus seen by one
account alone does not count until a second account sees one.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping

__all__ = ["BONUS_HISTORY_PLATFORMS", "MAX_BONUS_CENTS", "account_bonus", "history_bonus_counts", "typical_bonus"]

# Platforms whose history pages show what each submission's bonus was, so a captured item there with no bonus
# means "none was paid". MTurk's status pages carry no bonus at all (scrapers/mturk_history.py): its items'
# bonus_cents is always 0 and says nothing.
BONUS_HISTORY_PLATFORMS = frozenset({"prolific"})
# A captured history item's bonus is settled only once the work is approved (bonuses are paid with or after
# the approval); pending, rejected, returned and screened-out work says nothing about the task's bonus.
_SETTLED_STATES = frozenset({"approved"})
_PLATFORM_PAGE = "platform_page"  # server/domain/earnings.py PLATFORM_PAGE (the source of captured items)
MAX_BONUS_CENTS = 100_000  # a bonus above it (the API refuses it) is junk: clamped, never trusted further


def history_bonus_counts(platform: str, source: str, state: str) -> bool:
    """Whether a work history item's bonus is evidence of the task's bonus: captured from the platform's own
    history page (not typed in or made by any client), on a platform whose pages show bonuses, for approved work."""
    return source == _PLATFORM_PAGE and platform in BONUS_HISTORY_PLATFORMS and state in _SETTLED_STATES


def _cents(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    f = float(value)
    if not math.isfinite(f):
        return None
    return min(float(MAX_BONUS_CENTS), max(0.0, f))


def account_bonus(known: Iterable[object], completed: bool) -> float | None:
    """One account's bonus for a task type: the mean of the bonuses it knows (junk left out, amounts clamped
    to 0..MAX_BONUS_CENTS); 0 when it knows none but completed timed work of it; None when it says nothing."""
    values = [c for c in (_cents(v) for v in known) if c is not None]
    if values:
        return math.fsum(values) / len(values)
    return 0.0 if completed else None


def typical_bonus(accounts: Mapping[Hashable, tuple[float, float]]) -> tuple[float, dict[Hashable, float]]:
    """The typical bonus of a task type from its accounts' (bonus, weight), and each account's bonus as it counts.

    Each account's bonus counts at most as high as the highest bonus of any *other* account that counts
    (weight > 0), so that no single account raises the figure above what someone else saw; accounts of weight
    0 (new ones) are left out. The typical bonus is the weighted mean of the counted bonuses: the bonus
    expected on a completed task, as the effective hourly needs it. (0.0, {}) when no account counts."""
    clean: dict[Hashable, tuple[float, float]] = {}
    for account, (bonus, weight) in accounts.items():
        b, w = _cents(bonus), _weight(weight)
        if b is not None and w > 0:
            clean[account] = (b, w)
    if not clean:
        return 0.0, {}
    ordered = sorted(((b, a) for a, (b, _) in clean.items()), key=lambda pair: pair[0], reverse=True)
    top_account = ordered[0][1]
    second = ordered[1][0] if len(ordered) > 1 else 0.0
    capped = {a: min(b, second) if a == top_account else b for a, (b, _) in clean.items()}
    total = math.fsum(w for _, w in clean.values())
    return math.fsum(capped[a] * w for a, (_, w) in clean.items()) / total, capped


def _weight(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    f = float(value)
    return min(1.0e6, f) if math.isfinite(f) and f > 0 else 0.0
