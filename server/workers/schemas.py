"""Wire format of accounts and tokens."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar.openapi.spec import Operation, RequestBody

from server.domain.filters import BLOCK_DESCRIPTION, INCLUDE_DESCRIPTION, Filters, ListRule
from server.domain.text import COPIED, WRITTEN
from server.history.schemas import HistoryItemOut

Handle = Annotated[str, msgspec.Meta(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$",
                                      description="A pseudonym: letters, digits, '_', '.', '-'.")]
# The platforms Fairfinder supports (scrapers/ids.py PLATFORMS; a test keeps the two the same): anything else is a 422
# naming the allowed ones, before anything is stored or looked up.
Platform = Annotated[Literal["mturk", "prolific"], msgspec.Meta(description="mturk or prolific")]
TokenLabel = Annotated[str, msgspec.Meta(max_length=80), WRITTEN]


def _described(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)  # shown in the OpenAPI document


_ROLE = "The account's role: worker, moderator or admin."
_PLATFORM = "The platform (mturk or prolific)."
_REQUESTER_ID = "The requester's id on the platform."
_REQUESTER_NAME = "The requester's name as shown everywhere (docs/figures.md)."


class PlatformIdIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    platform: Platform
    worker_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128, description=(
        "Your worker id on that platform (1 to 128 characters). Only a keyed hash of it is stored; it is never "
        "shown again.")), COPIED]


class RegisterIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    handle: Annotated[Handle, _described(  # generated when left out
        "Your pseudonym, 3 to 40 letters, digits, '_', '.' or '-'; left out: one is made up (worker-<8 hex "
        "digits>).")] | None = None
    platform_ids: Annotated[list[PlatformIdIn], msgspec.Meta(max_length=10, description=(
        "Platform worker ids to link to the account (at most 10); each can belong to one account only."))] = []
    token_label: Annotated[TokenLabel, _described(
        "A name for the first token, to tell your tokens apart (up to 80 characters).")] = "first token"


class WorkerOut(msgspec.Struct, kw_only=True):
    id: Annotated[int, _described("The account's id on this server.")]
    handle: Annotated[str, _described("The account's pseudonym, shown on its reviews.")]
    role: Annotated[str, _described(_ROLE)]
    created_at: Annotated[datetime, _described("When the account was created (UTC).")]
    platforms: Annotated[list[str], _described(  # which platforms the worker linked; the IDs themselves are never shown
        "The platforms the worker linked an id of, sorted; the ids themselves are never shown.")] = []


class TokenOut(msgspec.Struct, kw_only=True):
    id: Annotated[int, _described("The token's id (to revoke it); not the token itself.")]
    label: Annotated[str, _described("The name the worker gave the token; may be empty.")]
    created_at: Annotated[datetime, _described("When the token was issued (UTC).")]
    last_used_at: Annotated[datetime | None, _described(
        "When the token was last used (UTC, to within about 5 minutes); null when never.")]
    revoked_at: Annotated[datetime | None, _described("When the token was revoked (UTC); null while it works.")]


class NewTokenOut(msgspec.Struct, kw_only=True):
    token: Annotated[str, _described(  # shown once; only its hash is stored
        "The bearer token (ff_...): shown this once, only its hash is stored.")] = msgspec.field(name="token")
    token_info: Annotated[TokenOut, _described("The token's id, label and times.")]


class RegisteredOut(msgspec.Struct, kw_only=True):
    worker: Annotated[WorkerOut, _described("The account: its id, handle, role, creation time and linked platforms.")]
    token: Annotated[str, _described("The account's first bearer token (ff_...): shown this once, only its hash is "
                                     "stored.")]
    token_info: Annotated[TokenOut, _described("The token's id, label and times.")]


class TokenIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    label: Annotated[TokenLabel, _described("A name for the token, to tell your tokens apart (up to 80 characters).")
                     ] = ""


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
    block: Annotated[list[ListRuleIn], _described(BLOCK_DESCRIPTION)] = []  # type: ignore[assignment]  # a list of a subtype (lists are invariant)
    include: Annotated[list[ListRuleIn], _described(INCLUDE_DESCRIPTION)] = []  # type: ignore[assignment]  # as block


# --- a worker's own data (GET /api/v1/me/export) -------------------------------------------------------

EXPORT_FORMAT = "fairfinder.worker-export"
EXPORT_VERSION = 1


class ExportAccount(msgspec.Struct, kw_only=True):
    id: Annotated[int, _described("The account's id on this server.")]
    handle: Annotated[str, _described("The account's pseudonym.")]
    role: Annotated[str, _described(_ROLE)]
    created_at: Annotated[datetime, _described("When the account was created (UTC).")]
    muted_until: Annotated[datetime | None, _described(
        "The end of the account's latest mute (UTC; it may lie in the past); null when not muted or unmuted.")]
    mute_reason: Annotated[str, _described("The reason the moderator gave for the mute; empty when none.")]


class ExportTask(msgspec.Struct, kw_only=True):
    title: Annotated[str, _described("The task type's title.")]
    reward_cents: Annotated[int, _described("Pay for one task, in whole cents of `currency`.")]
    currency: Annotated[str, _described("ISO 4217 code of the task's money, e.g. USD.")]
    hit_set_id: Annotated[str | None, _described(
        "The latest platform task group id seen for this task type; null when none is known.")]


class ExportRevision(msgspec.Struct, kw_only=True):
    revised_at: Annotated[datetime, _described("When the edit that replaced this version was made (UTC).")]
    before: Annotated[dict[str, Any], _described(  # the review as it was before this edit
        "The review as it was before that edit: worked_seconds, outcome, approval_seconds, bonus_cents, flags, "
        "comment, ratings and updated_at.")]


class ExportReview(msgspec.Struct, kw_only=True):
    id: Annotated[int, _described("The review's id on this server.")]
    platform: Annotated[str, _described(_PLATFORM)]
    requester_id: Annotated[str, _described(_REQUESTER_ID)]
    requester_name: Annotated[str, _described(_REQUESTER_NAME)]
    task: Annotated[ExportTask | None, _described("The task type reviewed; null for a review of the requester as a whole.")]
    ratings: Annotated[dict[str, int | None], _described(
        "Ratings 1 (worst) to 5 (best) by dimension (pay, fairness, speed, communication); null: n/a.")]
    worked_seconds: Annotated[int | None, _described("Time spent working, in whole seconds; null when not given.")]
    outcome: Annotated[str | None, _described(
        "How the work ended: approved, rejected, pending, returned or blocked; null when not given.")]
    approval_seconds: Annotated[int | None, _described(
        "Time from submitting the work until it was approved, in whole seconds; null when not given.")]
    bonus_cents: Annotated[int | None, _described(
        "The bonus paid, in whole cents of the task's currency; null when not given.")]
    flags: Annotated[list[str], _described("The problems (or screen_reader_ok) the review reports, sorted.")]
    comment: Annotated[str, _described("The comment as written, plain text.")]
    status: Annotated[str, _described("visible, held (waiting for a moderator) or hidden (by moderation).")]
    status_changed_at: Annotated[datetime | None, _described(
        "When the status last changed (UTC); null when it never changed.")]
    created_at: Annotated[datetime, _described("When the review was written (UTC).")]
    updated_at: Annotated[datetime, _described("When the review was last changed (UTC).")]
    revisions: Annotated[list[ExportRevision], _described("Earlier versions, oldest first.")]


class ExportTiming(msgspec.Struct, kw_only=True):
    id: Annotated[int, _described("The timing's id on this server.")]
    platform: Annotated[str, _described(_PLATFORM)]
    requester_id: Annotated[str, _described(_REQUESTER_ID)]
    requester_name: Annotated[str, _described(_REQUESTER_NAME)]
    task: Annotated[ExportTask, _described("The task type timed.")]
    assignment_id: Annotated[str | None, _described(
        "The platform's assignment (submission) id as sent; null when none was sent.")]
    accepted_at: Annotated[datetime, _described("When the worker accepted the task (UTC).")]
    ended_at: Annotated[datetime, _described("When the worker submitted or returned it (UTC).")]
    seconds: Annotated[float, _described("The time measured: `ended_at` - `accepted_at`, in seconds.")]
    outcome: Annotated[str, _described(
        "How the task ended: submitted, returned, approved, rejected, pending or blocked.")]
    created_at: Annotated[datetime, _described("When the server recorded the timing (UTC).")]
    bonus_cents: Annotated[int | None, _described(  # as the timing was sent (None: no bonus known)
        "The bonus as the timing was sent, in whole cents of the task's currency; null: no bonus known.")] = None


class ExportSavedFilters(msgspec.Struct, kw_only=True):
    filters: Annotated[dict[str, Any], _described("The saved filter settings, as PUT /api/v1/me/filters takes them.")]
    updated_at: Annotated[datetime, _described("When they were last saved (UTC).")]


class ExportFlag(msgspec.Struct, kw_only=True):
    """A report this worker made about someone's review."""

    id: Annotated[int, _described("The flag's id on this server.")]
    review_id: Annotated[int, _described("The review flagged.")]
    reason: Annotated[str, _described("spam, abusive, personal_data, fake, off_topic or other.")]
    note: Annotated[str, _described("The note given with the flag; may be empty.")]
    created_at: Annotated[datetime, _described("When the flag was made (UTC).")]
    resolved_at: Annotated[datetime | None, _described(
        "When a moderator's decision on the review closed the flag (UTC); null while open.")]


class ExportModeration(msgspec.Struct, kw_only=True):
    """A moderation decision about this worker or one of their reviews. Never names the moderator."""

    action: Annotated[str, _described(  # hide | restore | hold | dismiss | mute | unmute | …
        "What was done: hide, restore, hold, dismiss (a review) or mute, unmute (the account).")]
    by: Annotated[Literal["moderator", "automatic"], _described(
        "Who decided: a moderator (never named) or automatic (a burst of reviews held).")]
    review_id: Annotated[int | None, _described("The review concerned; null for a mute or unmute.")]
    note: Annotated[str, _described("The note given with the decision; may be empty.")]
    created_at: Annotated[datetime, _described("When it was decided (UTC).")]


class WorkerExport(msgspec.Struct, kw_only=True):
    """Everything this server stores about one worker, as one JSON document (docs/privacy.md)."""

    format: Annotated[str, _described(f"Always {EXPORT_FORMAT}.")] = EXPORT_FORMAT
    format_version: Annotated[int, _described(
        f"The version of this document's format (now {EXPORT_VERSION}).")] = EXPORT_VERSION
    generated_at: Annotated[datetime, _described("When the export was made (UTC).")]
    notes: Annotated[list[str], _described("What is not in here, and why, in words.")]
    account: Annotated[ExportAccount, _described("The account itself.")]
    platforms: Annotated[list[str], _described(
        "Linked platforms, sorted; the ids are kept only as keyed hashes and cannot be given back.")]
    tokens: Annotated[list[TokenOut], _described(
        "Every token issued, oldest first, without its value (only a hash is kept).")]
    reviews: Annotated[list[ExportReview], _described("The worker's reviews, in id order, held and hidden ones included.")]
    timings: Annotated[list[ExportTiming], _described("The worker's timings, in id order.")]
    history: Annotated[list[HistoryItemOut], _described("The imported platform history, oldest day first.")]
    saved_filters: Annotated[ExportSavedFilters | None, _described("The saved filters; null when none were saved.")]
    flags: Annotated[list[ExportFlag], _described("Reports this worker made about reviews, in id order.")]
    moderation: Annotated[list[ExportModeration], _described(
        "Moderation of this account and of its reviews, in id order.")]
