"""Wire format of accounts and tokens."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from server.filters import Filters, ListRule

Handle = Annotated[str, msgspec.Meta(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$",
                                      description="A pseudonym: letters, digits, '_', '.', '-'.")]
Platform = Annotated[str, msgspec.Meta(min_length=2, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]


class PlatformIdIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    platform: Platform
    worker_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class RegisterIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    handle: Handle | None = None  # generated when left out
    platform_ids: Annotated[list[PlatformIdIn], msgspec.Meta(max_length=10)] = []
    token_label: Annotated[str, msgspec.Meta(max_length=80)] = "first token"


class WorkerOut(msgspec.Struct, kw_only=True):
    id: int
    handle: str
    role: str
    created_at: datetime
    platforms: list[str] = []  # which platforms the worker linked; the IDs themselves are never shown


class TokenOut(msgspec.Struct, kw_only=True):
    id: int
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(msgspec.Struct, kw_only=True):
    token: str = msgspec.field(name="token")  # shown once; only its hash is stored
    token_info: TokenOut


class RegisteredOut(msgspec.Struct, kw_only=True):
    worker: WorkerOut
    token: str
    token_info: TokenOut


class TokenIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    label: Annotated[str, msgspec.Meta(max_length=80)] = ""


class ListRuleIn(ListRule, kw_only=True, forbid_unknown_fields=True):
    """A block/include rule as a client sends it: a misspelt key is an error, not a silent default."""


class FiltersIn(Filters, kw_only=True, forbid_unknown_fields=True):
    """Filters as a client sends them (PUT /me/filters, annotate): unknown keys are refused, so a typo
    such as "min_hourly" cannot silently save (or apply) no minimum at all."""

    block: list[ListRuleIn] = []
    include: list[ListRuleIn] = []
