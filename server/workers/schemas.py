"""Wire format of accounts and tokens."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar.openapi.spec import Operation, RequestBody

from server.domain.filters import Filters, ListRule
from server.domain.text import COPIED, WRITTEN
from server.history.schemas import HistoryItemOut

Handle = Annotated[str, msgspec.Meta(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$",
                                      description="A pseudonym: letters, digits, '_', '.', '-'.")]
# The platforms Fairfinder supports (scrapers/ids.py PLATFORMS; a test keeps the two the same): anything else is a 422
# naming the allowed ones, before anything is stored or looked up.
Platform = Annotated[Literal["mturk", "prolific"], msgspec.Meta(description="mturk or prolific")]
TokenLabel = Annotated[str, msgspec.Meta(max_length=80), WRITTEN]


class PlatformIdIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    platform: Platform
    worker_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128), COPIED]


class RegisterIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    handle: Handle | None = None  # generated when left out
    platform_ids: Annotated[list[PlatformIdIn], msgspec.Meta(max_length=10)] = []
    token_label: TokenLabel = "first token"


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
    label: TokenLabel = ""


# The pages a sign-in link may lead to (server/web/session.py SIGN_IN_PAGES).
SignInPage = Literal["/me", "/me/certificate", "/listen", "/moderation"]


class SignInLinkIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    next: Annotated[SignInPage, msgspec.Meta(
        description="The page the link opens, signed in: your earnings (/me), your work certificate, the voice "
                    "view (/listen) or the moderation queue (/moderation, for moderators).")] = "/me"


class SignInLinkOut(msgspec.Struct, kw_only=True):
    url: Annotated[str, msgspec.Meta(description="Open this address in the browser to be signed in there. It works "
                                                 "once, until `expires_at`.")]
    path: Annotated[str, msgspec.Meta(description="The same address without the server: /sign-in/<code>.")]
    expires_at: Annotated[datetime, msgspec.Meta(description="When the link stops working (about a minute from now).")]
    next: Annotated[str, msgspec.Meta(description="The page the link opens.")]


@dataclass
class OptionalBodyOperation(Operation):
    """OpenAPI: the body may be left out. Litestar documents every body as required, even `data: X | None = None`."""

    def __post_init__(self) -> None:
        if isinstance(self.request_body, RequestBody):
            self.request_body.required = False


class ListRuleIn(ListRule, kw_only=True, forbid_unknown_fields=True):
    """A block/include rule as a client sends it: a misspelt key is an error, not a silent default."""


class FiltersIn(Filters, kw_only=True, forbid_unknown_fields=True):
    """Filters as a client sends them (PUT /me/filters, annotate): unknown keys are refused, so a typo
    such as "min_hourly" cannot silently save (or apply) no minimum at all."""

    # Stricter rules in the same places: msgspec decodes into these; the saved Filters read them as ListRules.
    block: list[ListRuleIn] = []  # type: ignore[assignment]  # a list of a subtype (lists are invariant)
    include: list[ListRuleIn] = []  # type: ignore[assignment]  # as block


# --- a worker's own data (GET /api/v1/me/export) -------------------------------------------------------

EXPORT_FORMAT = "fairfinder.worker-export"
EXPORT_VERSION = 1


class ExportAccount(msgspec.Struct, kw_only=True):
    id: int
    handle: str
    role: str
    created_at: datetime
    muted_until: datetime | None
    mute_reason: str


class ExportTask(msgspec.Struct, kw_only=True):
    title: str
    reward_cents: int
    currency: str
    hit_set_id: str | None


class ExportRevision(msgspec.Struct, kw_only=True):
    revised_at: datetime
    before: dict[str, Any]  # the review as it was before this edit


class ExportReview(msgspec.Struct, kw_only=True):
    id: int
    platform: str
    requester_id: str
    requester_name: str
    task: ExportTask | None
    ratings: dict[str, int | None]
    worked_seconds: int | None
    outcome: str | None
    approval_seconds: int | None
    bonus_cents: int | None
    flags: list[str]
    comment: str
    status: str  # visible | held | hidden
    status_changed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    revisions: list[ExportRevision]  # oldest first


class ExportTiming(msgspec.Struct, kw_only=True):
    id: int
    platform: str
    requester_id: str
    requester_name: str
    task: ExportTask
    assignment_id: str | None
    accepted_at: datetime
    ended_at: datetime
    seconds: float
    outcome: str
    created_at: datetime
    bonus_cents: int | None = None  # as the timing was sent (None: no bonus known)


class ExportSavedFilters(msgspec.Struct, kw_only=True):
    filters: dict[str, Any]
    updated_at: datetime


class ExportFlag(msgspec.Struct, kw_only=True):
    """A report this worker made about someone's review."""

    id: int
    review_id: int
    reason: str
    note: str
    created_at: datetime
    resolved_at: datetime | None


class ExportModeration(msgspec.Struct, kw_only=True):
    """A moderation decision about this worker or one of their reviews. Never names the moderator."""

    action: str  # hide | restore | hold | dismiss | mute | unmute | …
    by: Literal["moderator", "automatic"]
    review_id: int | None
    note: str
    created_at: datetime


class WorkerExport(msgspec.Struct, kw_only=True):
    """Everything this server stores about one worker, as one JSON document (docs/privacy.md)."""

    format: str = EXPORT_FORMAT
    format_version: int = EXPORT_VERSION
    generated_at: datetime
    notes: list[str]  # what is not in here, and why
    account: ExportAccount
    platforms: list[str]  # linked platforms; the IDs are kept only as keyed hashes and cannot be given back
    tokens: list[TokenOut]  # metadata only; a token's value is shown once and only its hash is kept
    reviews: list[ExportReview]
    timings: list[ExportTiming]
    history: list[HistoryItemOut]  # the imported platform history (server/history/), oldest day first
    saved_filters: ExportSavedFilters | None
    flags: list[ExportFlag]
    moderation: list[ExportModeration]
