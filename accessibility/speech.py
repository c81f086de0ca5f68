"""Speech wording: one short sentence per task, most decisive facts first, written for the ear.

Pure functions, no I/O. The /listen page, /api/v1/speech and the audio files all speak through here.
"""
from __future__ import annotations

import msgspec


class SpokenTask(msgspec.Struct, kw_only=True):
    """What a spoken summary may say about one task (built from an annotation by server/listen/items.py)."""

    title: str
    requester_name: str
    reward_cents: int
    currency: str = "USD"
    duration_seconds: float | None = None  # estimated (measured, or stated by the requester)
    cents_per_hour: float | None = None
    band: str = "unknown"  # good | ok | low | avoid | unknown
    basis: str = "unknown"  # task | requester | stated | unknown
    n: int = 0  # samples behind the hourly figure
    reviews: int = 0
    approval_seconds: float | None = None  # the requester's median time to approve
    rejections: int = 0
    blocks: int = 0
    flags: list[str] = []  # review flags of the task and its requester
    hidden_reasons: list[str] = []  # why the worker's filters hide it (empty: shown)
    available: int | None = None  # tasks left in the group
