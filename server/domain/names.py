"""Which name a requester goes by: what most sources say, not whoever wrote first. Pure: no I/O.

Pages name requesters, and anyone can send a page. Every name a source gives is kept as a vote
(requester_name_votes, written by server/tasks/records.py) and the requester's shown name is chosen from them:

* a signed-in account is one voter: its vote is the name it last sent (a review, a timing, a page it annotated),
  so when a requester renames itself the votes follow as workers see the new name;
* anonymous pages vote by day: each name an anonymous page gave on a day is one sighting. All anonymous sightings
  together weigh ANONYMOUS_WEIGHT of one account, shared between names by how many days each was seen. So
  anonymous pages alone can never outvote a single signed-in account, and one anonymous writer who came first
  does not keep a requester's name once others see another one;
* the name with the most weight wins. A tie keeps the name shown now (no flapping); without it among the tied,
  the most recently seen wins, then the first in alphabetical order (so the answer never depends on row order).

Names are compared as they read: NFC, runs of spaces as one, ends trimmed. A blank name is no vote.
docs/figures.md ("Requester names") has worked examples.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

__all__ = ["ANONYMOUS_WEIGHT", "NameVote", "chosen_name", "clean_name", "name_weights"]

ANONYMOUS_WEIGHT = 0.5  # all anonymous sightings together, against 1 for each signed-in account
MAX_NAME_CHARS = 200  # as stored (requesters.name)
_SPACES = re.compile(r"\s+")


def clean_name(name: str | None) -> str:
    """A name as it votes: NFC, single spaces, trimmed, at most MAX_NAME_CHARS. "" is no name."""
    if not name:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()[:MAX_NAME_CHARS]


@dataclass(frozen=True)
class NameVote:
    name: str
    signed: bool  # one signed-in account's current name; else an anonymous sighting on one day
    seen_at: datetime


def name_weights(votes: Iterable[NameVote]) -> dict[str, float]:
    """Each name's weight: one per signed-in account naming it, plus its share of the anonymous sightings."""
    signed: Counter[str] = Counter()
    anonymous: Counter[str] = Counter()
    for vote in votes:
        name = clean_name(vote.name)
        if name:
            (signed if vote.signed else anonymous)[name] += 1
    sightings = sum(anonymous.values())
    weights = {name: float(count) for name, count in signed.items()}
    for name, count in anonymous.items():
        weights[name] = weights.get(name, 0.0) + ANONYMOUS_WEIGHT * count / sightings
    return weights


def chosen_name(votes: Iterable[NameVote], current: str = "") -> str:
    """The name to show: the most weight, ties as the module says. `current` when there is no vote at all."""
    votes = list(votes)
    weights = name_weights(votes)
    if not weights:
        return clean_name(current)
    top = max(weights.values())
    tied = {name for name, weight in weights.items() if weight >= top - 1e-9}
    current = clean_name(current)
    if current in tied:
        return current
    last_seen: dict[str, datetime] = {}
    for vote in votes:
        name = clean_name(vote.name)
        if name in tied and (name not in last_seen or vote.seen_at > last_seen[name]):
            last_seen[name] = vote.seen_at
    return min(tied, key=lambda name: (-last_seen[name].timestamp(), name))
