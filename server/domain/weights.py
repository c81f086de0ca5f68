"""How much each community's ratings count for one worker. Pure: no I/O.

This community's own reviews and timings always count fully. Ratings imported from another community
count with the worker's weight for it: `source_weights[name]` when set, else `other_communities_weight`
(both in the worker's filters, server/domain/filters.py). 0 leaves a source out altogether.
"""
from __future__ import annotations

import msgspec

from server.domain.filters import Filters


class Weights(msgspec.Struct, frozen=True):
    """Hashable, so computed figures can be memoized per set of weights (tasks/annotate.py)."""

    other: float = 1.0
    per_source: tuple[tuple[str, float], ...] = ()

    def of(self, source_name: str) -> float:
        for name, weight in self.per_source:
            if name == source_name:
                return weight
        return self.other


DEFAULT_WEIGHTS = Weights()


def weights_of(filters: Filters) -> Weights:
    if filters.other_communities_weight == 1.0 and not filters.source_weights:
        return DEFAULT_WEIGHTS
    return Weights(other=float(filters.other_communities_weight),
                   per_source=tuple(sorted((name, float(w)) for name, w in filters.source_weights.items())))
