"""GET /moderation: the moderation queue, single reviews with their versions, and the log, as server-rendered
HTML pages for moderators and admins (docs/moderation.md, "The moderation page").

Works without JavaScript (static/moderation.js only moves focus to a notice or an error summary). Reads and
writes are the JSON API's own: queue.py (load_queue, queue_items, load_log) and actions.py (decide, mute,
unmute). Signing in keeps the moderator's token in an HttpOnly, SameSite=Strict cookie sent to /moderation
only. Every form POST is checked twice against cross-site requests: Origin/Referer must name this host
(listen's `same_site`), and the form must carry the session's CSRF token, an HMAC of the token's hash keyed
with the server secret (never the token itself). Handles never appear in URLs: forms name the review, and
the server looks up its author.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import CacheControlHeader, FormMultiDict
from litestar.response.redirect import Redirect
from litestar.static_files import create_static_files_router
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accessibility.speech import say_count, say_duration
from server.auth import ensure_not_muted, hash_token, use_token
from server.db.engine import write_transaction
from server.db.models import Review, ReviewRevision, Worker, utcnow
from server.errors import ApiError
from server.listen.routes import MAX_TOKEN_CHARS, PAGE_HEADERS, PLATFORMS, same_site
from server.domain.money import format_cents
from server.moderation import actions
from server.moderation.queue import AUTOMATIC, QUEUE_KINDS, load_log, load_queue, queue_items
from server.domain.moderation import is_moderator, is_muted, may_mute
from server.moderation.structs import LogEntry, QueueItem
from server.web.errors import page_exception_handlers
from server.paging import decode_cursor
from server.domain.paging import is_row_id
from server.requesters.pages import flags_words, outcome_words, page_path, ratings_words, sentence_case
from server.web.static import versioned_url

log = logging.getLogger("fairfinder.moderation.page")

HERE = Path(__file__).resolve().parent
MODERATION_TEMPLATE_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_PATH = "/moderation/static"
# The files' URLs name their content, so browsers may keep them for a year and still see every change.
CSS_URL = versioned_url(STATIC_PATH, STATIC_DIR, "moderation.css")
JS_URL = versioned_url(STATIC_PATH, STATIC_DIR, "moderation.js")
STATIC_MAX_AGE = 365 * 24 * 3600

COOKIE = "ff_moderation"
COOKIE_PATH = "/moderation"
COOKIE_MAX_AGE = 7 * 24 * 3600  # a moderator's token is powerful: sign in again each week
CSRF_FIELD = "csrf"
QUEUE_PAGE_SIZE = 20
LOG_PAGE_SIZE = 50
MAX_NOTE = 500  # as server/moderation/structs.py Note
MAX_MUTE_DAYS = 365  # as MuteIn.days
MAX_CURSOR = 64
# Moderator pages are never cached or indexed.
HEADERS = {**PAGE_HEADERS, "X-Robots-Tag": "noindex, nofollow"}

TABS = (("flagged", "Flagged"), ("held", "Held (bursts)"), ("hidden", "Hidden"), ("log", "Log"))
KIND_HEADINGS = {"flagged": "Flagged reviews", "held": "Held reviews", "hidden": "Hidden reviews"}
KIND_INTROS = {
    "flagged": "Reviews with open flags, whatever their status, the most recently flagged first. Any decision "
               "closes a review's open flags.",
    "held": "Bursts: low reviews of one requester from new accounts within a day, held until a moderator looks. "
            "They do not count in the requester's figures while held. Newest first.",
    "hidden": "Reviews hidden by flags or by a moderator. They do not count in the requester's figures. Newest first.",
}
KIND_EMPTY = {
    "flagged": "No review has open flags. Nothing waits for you here.",
    "held": "No review is held.",
    "hidden": "No review is hidden.",
}
STATUS_WORDS = {"visible": "Visible", "held": "Held: part of a burst", "hidden": "Hidden"}
REASON_WORDS = {"spam": "Spam", "abusive": "Abusive", "personal_data": "Personal data", "fake": "Fake",
                "off_topic": "Off topic", "other": "Other"}
ACTION_WORDS = {"hide": "Hidden", "restore": "Restored", "hold": "Held", "dismiss": "Flags dismissed",
                "mute": "Muted", "unmute": "Unmuted"}
ROLE_WORDS = {"worker": "worker", "moderator": "moderator", "admin": "admin"}
_CURSOR = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


# ------------------------------------------------------------------------------------------------
# Who: the cookie, and the CSRF token of the session


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as the pages need them. A copy, not the ORM row: a refused write rolls the
    session back and expires its rows, and the page is rendered after that."""

    id: int
    handle: str
    role: str
    muted_until: datetime | None
    csrf: str

    @property
    def moderator(self) -> bool:
        return is_moderator(self.role)


def csrf_token(secret: str, token: str, purpose: str = "moderation") -> str:
    """The hidden field of a session's forms. Keyed with the server secret over the token's hash, so a page
    never carries the token, nobody without the secret can make one, and signing in anew changes it."""
    return hmac.new(secret.encode(), f"fairfinder {purpose} csrf:".encode() + hash_token(token).encode(),
                    hashlib.sha256).hexdigest()


async def cookie_viewer(request: Request, db_session: AsyncSession) -> tuple[Worker, Viewer] | None:
    """The worker whose token is in the cookie; None without one, or for an unknown or revoked token."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    worker = await use_token(db_session, token)
    if worker is None:
        return None
    secret = request.app.state.settings.secret
    return worker, Viewer(worker.id, worker.handle, worker.role, worker.muted_until, csrf_token(secret, token))


# ------------------------------------------------------------------------------------------------
# Words and views


@dataclass(frozen=True)
class Moment:
    text: str  # "3 March 2026, 14:05 UTC"
    iso: str


def moment(value: datetime) -> Moment:
    value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return Moment(f"{value.day} {value:%B %Y, %H:%M} UTC", value.isoformat(timespec="seconds"))


def age_words(created_at: datetime, now: datetime) -> str:
    """How old an account is: "less than a day", "5 days", "3 months", "2 years"."""
    days = max(0, (now - created_at).days)
    if days < 1:
        return "less than a day"
    if days < 60:
        return say_count(days, "day")
    if days < 730:
        return say_count(days // 30, "month")
    return say_count(days // 365, "year")


@dataclass
class FlagView:
    reason: str
    note: str
    flagger: str
    role: str
    when: Moment
    closed: Moment | None


@dataclass
class ItemView:
    id: int
    title: str
    status: str
    status_words: str
    requester: str
    requester_url: str
    task: str
    ratings: str
    outcome: str
    worked: str | None
    bonus: str | None
    warnings: str
    comment: str
    written: Moment
    edited: Moment | None
    edits: int
    flags: list[FlagView]
    open_flags: int
    last_action: str | None
    author: str
    author_role: str
    author_since: Moment
    author_age: str
    new_account: bool
    muted_until: Moment | None
    deleted: bool
    own: bool
    can_hide: bool
    can_restore: bool
    can_dismiss: bool
    can_mute: bool
    can_unmute: bool
    why_no_mute: str | None


def action_words(entry: LogEntry) -> str:
    """"Hidden by mod on 3 March 2026, 14:05 UTC: “slurs”"."""
    who = "automatically" if entry.moderator == AUTOMATIC else f"by {entry.moderator}"
    text = f"{ACTION_WORDS.get(entry.action, entry.action)} {who} on {moment(entry.created_at).text}"
    return text + (f": “{entry.note}”" if entry.note else "")


def item_view(item: QueueItem, viewer: Viewer, now: datetime) -> ItemView:
    review, author = item.review, item.author
    platform = PLATFORMS.get(review.platform, review.platform)
    name = review.requester_name.strip() or f"Requester {review.requester_id}"
    currency = review.task.currency if review.task else "USD"
    own = not author.deleted and author.handle == viewer.handle
    muted = is_muted(author.muted_until, now)
    why_no_mute = None
    if author.deleted:
        why_no_mute = "The author deleted their account."
    elif own:
        why_no_mute = None  # said once, with the decision form
    elif not may_mute(viewer.role, author.role):
        why_no_mute = ("Nobody mutes an admin." if author.role == "admin"
                       else "Only admins mute moderators.")
    may = why_no_mute is None and not own
    return ItemView(
        id=review.id, title=f"Review {review.id}: {name} on {platform}", status=review.status,
        status_words=STATUS_WORDS.get(review.status, review.status),
        requester=f"{name} ({review.requester_id})", requester_url=page_path(review.platform, review.requester_id),
        task=(f"{review.task.title} ({format_cents(review.task.reward_cents, review.task.currency)} reward)"
              if review.task else "The requester as a whole"),
        ratings=ratings_words(msgspec.structs.asdict(review.ratings)),
        outcome=outcome_words(review.outcome, review.approval_seconds),
        worked=say_duration(review.worked_seconds) if review.worked_seconds else None,
        bonus=format_cents(review.bonus_cents, currency) if review.bonus_cents else None,
        warnings=sentence_case(flags_words(review.flags)), comment=review.comment,
        written=moment(review.created_at), edited=moment(review.updated_at) if item.edits else None,
        edits=item.edits,
        flags=[FlagView(reason=REASON_WORDS.get(f.reason, f.reason), note=f.note, flagger=f.flagger,
                        role=ROLE_WORDS.get(f.flagger_role, f.flagger_role), when=moment(f.created_at),
                        closed=moment(f.resolved_at) if f.resolved_at else None) for f in item.flags],
        open_flags=item.open_flags, last_action=action_words(item.last_action) if item.last_action else None,
        author=author.handle, author_role=ROLE_WORDS.get(author.role, author.role),
        author_since=moment(author.created_at), author_age=age_words(author.created_at, now),
        new_account=author.new_account, muted_until=moment(author.muted_until) if muted and author.muted_until else None,
        deleted=author.deleted, own=own,
        can_hide=not own and (review.status != "hidden" or item.open_flags > 0),
        can_restore=not own and review.status != "visible",
        can_dismiss=not own and item.open_flags > 0,
        can_mute=may, can_unmute=may and muted, why_no_mute=why_no_mute)


@dataclass
class VersionView:
    written: Moment | None  # when this version was written (it was current until `replaced`)
    replaced: Moment
    facts: list[tuple[str, str]]
    comment: str


def version_view(revised_at: datetime, snapshot: dict[str, Any], currency: str) -> VersionView:
    """An earlier version of a review, from the snapshot the edit kept (server/reviews/routes.py _snapshot)."""
    written = None
    try:
        written = moment(datetime.fromisoformat(str(snapshot.get("updated_at"))))
    except ValueError:
        pass
    ratings = snapshot.get("ratings") if isinstance(snapshot.get("ratings"), dict) else {}
    facts = [("Ratings", ratings_words(ratings)),
             ("Outcome", outcome_words(snapshot.get("outcome"), snapshot.get("approval_seconds")))]
    if snapshot.get("worked_seconds"):
        facts.append(("Time worked", say_duration(snapshot["worked_seconds"])))
    if snapshot.get("bonus_cents"):
        facts.append(("Bonus", format_cents(snapshot["bonus_cents"], currency)))
    facts.append(("Warnings", sentence_case(flags_words(list(snapshot.get("flags") or [])))))
    return VersionView(written=written, replaced=moment(revised_at), facts=facts, comment=str(snapshot.get("comment") or ""))


# ------------------------------------------------------------------------------------------------
# Where a form came from (and goes back to), notices and errors


@dataclass(frozen=True)
class Place:
    kind: str  # flagged | held | hidden: a queue page; review: the review's own page
    cursor: str | None = None


def valid_cursor(value: str | None) -> str | None:
    if not value or not _CURSOR.match(value):
        return None
    try:
        decode_cursor(value)
    except ApiError:
        return None
    return value


def place_of(form: FormMultiDict) -> Place:
    kind = str(form.get("kind") or "")
    if kind == "review":
        return Place("review")
    return Place(kind if kind in QUEUE_KINDS else "flagged", valid_cursor(str(form.get("cursor") or "")))


def queue_url(kind: str, cursor: str | None = None, **notice: Any) -> str:
    params = [("kind", kind)] + ([("cursor", cursor)] if cursor else []) + list(notice.items())
    return "/moderation?" + urlencode(params)


def place_url(place: Place, review_id: int, **notice: Any) -> str:
    if place.kind == "review":
        return f"/moderation/reviews/{review_id}" + ("?" + urlencode(notice) if notice else "")
    return queue_url(place.kind, place.cursor, **notice)


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) <= 19 else None


def notice_text(params: Any) -> str | None:
    """The line shown after a form's redirect ("Review 12 hidden."), from fixed words and numbers only."""
    code = params.get("notice") or ""
    if code == "signed-in":
        return "You are signed in."
    if code == "signed-out":
        return "You are signed out."
    review_id, n = _number(params.get("review")), _number(params.get("n"))
    if review_id is None:
        return None
    closed = f" {say_count(n, 'open flag')} closed." if n else ""
    texts = {
        "hide": f"Review {review_id} hidden.{closed}",
        "restore": f"Review {review_id} restored: it is visible again.{closed}",
        "dismiss": f"Flags on review {review_id} dismissed: the review is visible.{closed}",
        "mute": f"The author of review {review_id} is muted for {say_count(n, 'day')}." if n else None,
        "unmute": f"The author of review {review_id} is no longer muted.",
    }
    return texts.get(code)


@dataclass(frozen=True)
class FormError:
    message: str
    review_id: int | None = None
    field: str | None = None  # note | days | reason: the control it is about


# ------------------------------------------------------------------------------------------------
# Rendering


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response[str]:
    engine = request.app.template_engine
    assert engine is not None, "TemplateConfig missing (server/app.py)"
    context = {"viewer": None, "current": None, "notice": None, "error": None, "error_href": None, "values": {},
               **context}
    viewer = context["viewer"]
    context["viewer_muted"] = (moment(viewer.muted_until) if viewer is not None
                               and is_muted(viewer.muted_until, utcnow()) and viewer.muted_until else None)
    html = engine.get_template(template).render(css_url=CSS_URL, js_url=JS_URL, tabs=TABS, **context)
    return Response(html, status_code=status, media_type=MediaType.HTML, headers=HEADERS)


def sign_in_page(request: Request, *, error: str | None = None, notice: str | None = None, status: int = 200
                 ) -> Response[str]:
    response = render(request, "moderation_sign_in.html", {"sign_in_error": error, "notice": notice}, status)
    if request.cookies.get(COOKIE):
        response.delete_cookie(COOKIE, path=COOKIE_PATH)  # unknown or revoked: stop sending it
    return response


def message_page(request: Request, status: int, heading: str, message: str, viewer: Viewer | None = None
                 ) -> Response[str]:
    return render(request, "moderation_message.html", {"status": status, "heading": heading, "message": message,
                                                        "viewer": viewer}, status)


def not_moderator_page(request: Request, handle: str, viewer: Viewer | None = None) -> Response[str]:
    return message_page(request, 403, "Moderators only",
                        f"You are signed in as {handle}, which is not a moderator or admin account, so the "
                        "moderation queue is not open to you. An admin of this Fairfinder server can give an "
                        "account the role with `fairfinder set-role`.", viewer)


def refused_page(request: Request, viewer: Viewer | None = None) -> Response[str]:
    return message_page(request, 403, "Form refused",
                        "This form was sent from another site, or from a page of an earlier sign-in, so nothing was "
                        "changed. Go back to the moderation page, reload it, and try again.", viewer)


def error_href(error: FormError | None, shown: set[int]) -> str | None:
    """Where the error summary links: the control at fault, else its review, when that is on the page."""
    if error is None or error.review_id not in shown:
        return None
    return f"#{error.field}-{error.review_id}" if error.field else f"#review-{error.review_id}"


async def queue_page(request: Request, session: AsyncSession, viewer: Viewer, kind: str, cursor: str | None, *,
                     notice: str | None = None, error: FormError | None = None, values: dict[str, Any] | None = None,
                     status: int = 200) -> Response[str]:
    if kind not in QUEUE_KINDS:
        return message_page(request, 400, "No such queue", "The queues are flagged, held and hidden reviews; "
                                                           "choose one of them above.", viewer)
    if cursor is not None and (len(cursor) > MAX_CURSOR or valid_cursor(cursor) is None):
        return message_page(request, 400, "No such page of the queue",
                            "This link to an older page of the queue is not one this server gave out. "
                            "Start again from the newest reviews.", viewer)
    now = utcnow()
    page = await load_queue(session, kind, cursor, QUEUE_PAGE_SIZE, now)
    items = [item_view(item, viewer, now) for item in page.items]
    return render(request, "moderation_queue.html", {
        "viewer": viewer, "current": kind, "heading": KIND_HEADINGS[kind], "intro": KIND_INTROS[kind],
        "empty": KIND_EMPTY[kind], "items": items, "place": Place(kind, cursor), "notice": notice, "error": error,
        "error_href": error_href(error, {i.id for i in items}), "values": values or {},
        "older_url": queue_url(kind, page.next_cursor) if page.next_cursor else None,
        "newest_url": queue_url(kind) if cursor else None,
    }, status)


async def review_page(request: Request, session: AsyncSession, viewer: Viewer, review_id: int, *,
                      notice: str | None = None, error: FormError | None = None, values: dict[str, Any] | None = None,
                      status: int = 200) -> Response[str]:
    review = await session.get(Review, review_id) if is_row_id(review_id) else None
    if review is None:
        return message_page(request, 404, "Review not found",
                            "There is no review with this number: its author may have deleted it.", viewer)
    now = utcnow()
    item = (await queue_items(session, [review], now))[0]
    revisions = await session.scalars(select(ReviewRevision).where(ReviewRevision.review_id == review.id)
                                      .order_by(ReviewRevision.id.desc()))
    currency = item.review.task.currency if item.review.task else "USD"
    view = item_view(item, viewer, now)
    return render(request, "moderation_review.html", {
        "viewer": viewer, "item": view, "versions": [version_view(r.revised_at, r.snapshot, currency) for r in revisions],
        "place": Place("review"), "notice": notice, "error": error, "error_href": error_href(error, {view.id}),
        "values": values or {},
    }, status)


async def log_page(request: Request, session: AsyncSession, viewer: Viewer, cursor: str | None) -> Response[str]:
    if cursor is not None and (len(cursor) > MAX_CURSOR or valid_cursor(cursor) is None):
        return message_page(request, 400, "No such page of the log",
                            "This link to an older page of the log is not one this server gave out.", viewer)
    page = await load_log(session, cursor, LOG_PAGE_SIZE)
    entries = [{"when": moment(e.created_at), "action": ACTION_WORDS.get(e.action, e.action),
                "moderator": "automatic" if e.moderator == AUTOMATIC else e.moderator, "review_id": e.review_id,
                "worker": e.worker, "note": e.note} for e in page.items]
    return render(request, "moderation_log.html", {
        "viewer": viewer, "current": "log", "entries": entries,
        "older_url": "/moderation/log?" + urlencode({"cursor": page.next_cursor}) if page.next_cursor else None,
        "newest_url": "/moderation/log" if cursor else None,
    })


async def redisplay(request: Request, session: AsyncSession, viewer: Viewer, place: Place, review_id: int,
                    error: FormError, values: dict[str, Any], status: int) -> Response[str]:
    """The page the form was on, with the error summary linked to the control at fault."""
    if place.kind == "review":
        return await review_page(request, session, viewer, review_id, error=error, values=values, status=status)
    return await queue_page(request, session, viewer, place.kind, place.cursor, error=error, values=values,
                            status=status)


# ------------------------------------------------------------------------------------------------
# Errors that reach the controller


EXCEPTION_HANDLERS = page_exception_handlers(
    message_page, log, page="the moderation page", back="Go back to the moderation page and try again.",
    after_failure="Nothing you sent may have been saved: reload the page to see the queue as it is.")


# ------------------------------------------------------------------------------------------------
# Routes


async def _checked_form(request: Request, db_session: AsyncSession
                        ) -> tuple[Worker, Viewer, FormMultiDict] | Response[str]:
    """A moderator's form POST, or the page refusing it: cross-site, no session, no role, wrong CSRF token."""
    if not same_site(request):
        return refused_page(request)
    found = await cookie_viewer(request, db_session)
    if found is None:
        return sign_in_page(request, status=401, error="Your sign-in has ended, so nothing was changed. "
                                                       "Sign in again and repeat what you did.")
    worker, viewer = found
    if not viewer.moderator:
        return not_moderator_page(request, viewer.handle, viewer)
    form = await request.form()
    if not hmac.compare_digest(str(form.get(CSRF_FIELD) or "").encode(), viewer.csrf.encode()):
        return refused_page(request, viewer)
    return worker, viewer, form


async def _page_viewer(request: Request, db_session: AsyncSession) -> Viewer | Response[str]:
    found = await cookie_viewer(request, db_session)
    if found is None:
        return sign_in_page(request, notice=notice_text(request.query_params))
    viewer = found[1]
    if not viewer.moderator:
        return not_moderator_page(request, viewer.handle, viewer)
    return viewer


class ModerationPageController(Controller):
    path = "/moderation"
    tags = ["moderation page"]
    include_in_schema = False
    exception_handlers = EXCEPTION_HANDLERS

    @get("/", media_type=MediaType.HTML, summary="The moderation queue as an HTML page")
    async def queue(self, request: Request, db_session: AsyncSession) -> Response[str]:
        viewer = await _page_viewer(request, db_session)
        if isinstance(viewer, Response):
            return viewer
        params = request.query_params
        return await queue_page(request, db_session, viewer, params.get("kind") or "flagged",
                                params.get("cursor") or None, notice=notice_text(params))

    @get("/log", media_type=MediaType.HTML, summary="The moderation log as an HTML page")
    async def log(self, request: Request, db_session: AsyncSession) -> Response[str]:
        viewer = await _page_viewer(request, db_session)
        if isinstance(viewer, Response):
            return viewer
        return await log_page(request, db_session, viewer, request.query_params.get("cursor") or None)

    @get("/reviews/{review_id:int}", media_type=MediaType.HTML, summary="One review with its earlier versions")
    async def review(self, request: Request, db_session: AsyncSession, review_id: int) -> Response[str]:
        viewer = await _page_viewer(request, db_session)
        if isinstance(viewer, Response):
            return viewer
        return await review_page(request, db_session, viewer, review_id, notice=notice_text(request.query_params))

    @post("/sign-in", media_type=MediaType.HTML, status_code=303)
    async def sign_in(self, request: Request, db_session: AsyncSession) -> Response[Any]:
        # No session yet, so no CSRF token: the Origin/Referer check and the SameSite cookie stop other sites.
        if not same_site(request):
            return refused_page(request)
        form = await request.form()
        token = str(form.get("token") or "").strip()
        if not token:
            return sign_in_page(request, error="Enter your Fairfinder token.", status=400)
        worker = await use_token(db_session, token) if len(token) <= MAX_TOKEN_CHARS else None
        if worker is None:
            return sign_in_page(request, error="This token is unknown or has been revoked. Check it and try again.",
                                status=401)
        if not is_moderator(worker.role):
            return not_moderator_page(request, worker.handle)  # and no cookie: it would open nothing
        response: Redirect = Redirect("/moderation?notice=signed-in", status_code=303)
        response.set_cookie(COOKIE, token, path=COOKIE_PATH, max_age=COOKIE_MAX_AGE, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    @post("/sign-out", media_type=MediaType.HTML, status_code=303)
    async def sign_out(self, request: Request, db_session: AsyncSession) -> Response[Any]:
        if not same_site(request):
            return refused_page(request)
        found = await cookie_viewer(request, db_session)
        if found is not None:
            form = await request.form()
            if not hmac.compare_digest(str(form.get(CSRF_FIELD) or "").encode(), found[1].csrf.encode()):
                return refused_page(request, found[1])
        response: Redirect = Redirect("/moderation?notice=signed-out", status_code=303)
        response.delete_cookie(COOKIE, path=COOKIE_PATH)
        return response

    @post("/reviews/{review_id:int}/decision", media_type=MediaType.HTML, status_code=303)
    async def decision(self, request: Request, db_session: AsyncSession, review_id: int) -> Response[Any]:
        checked = await _checked_form(request, db_session)
        if isinstance(checked, Response):
            return checked
        worker, viewer, form = checked
        place = place_of(form)
        action, note = str(form.get("action") or ""), str(form.get("note") or "")
        values = {"review_id": review_id, "note": note}
        if action not in actions.DECISIONS:
            return await redisplay(request, db_session, viewer, place, review_id,
                                   FormError("Choose Hide, Restore or Dismiss flags.", review_id), values, 400)
        if len(note.strip()) > MAX_NOTE:
            return await redisplay(request, db_session, viewer, place, review_id, FormError(
                f"The note can be at most {MAX_NOTE} characters; it has {len(note.strip())}.", review_id, "note"),
                values, 400)
        try:
            ensure_not_muted(worker)
            async with write_transaction(db_session):
                _, closed, _ = await actions.decide(db_session, worker, review_id, action, note)
        except ApiError as error:
            return await redisplay(request, db_session, viewer, place, review_id,
                                   FormError(error.message, review_id), values, error.status_code)
        return Redirect(place_url(place, review_id, notice=action, review=review_id, n=closed), status_code=303)

    @post("/reviews/{review_id:int}/mute-author", media_type=MediaType.HTML, status_code=303)
    async def mute_author(self, request: Request, db_session: AsyncSession, review_id: int) -> Response[Any]:
        checked = await _checked_form(request, db_session)
        if isinstance(checked, Response):
            return checked
        worker, viewer, form = checked
        place = place_of(form)
        days_text, reason = str(form.get("days") or "").strip(), str(form.get("reason") or "")
        values = {"review_id": review_id, "days": days_text, "reason": reason}
        days = _number(days_text)
        if days is None or not 1 <= days <= MAX_MUTE_DAYS:
            return await redisplay(request, db_session, viewer, place, review_id, FormError(
                f"Enter the length of the mute as a whole number of days, from 1 to {MAX_MUTE_DAYS}.", review_id,
                "days"), values, 400)
        if len(reason.strip()) > MAX_NOTE:
            return await redisplay(request, db_session, viewer, place, review_id, FormError(
                f"The reason can be at most {MAX_NOTE} characters; it has {len(reason.strip())}.", review_id,
                "reason"), values, 400)
        try:
            ensure_not_muted(worker)
            async with write_transaction(db_session):
                handle = await _author_handle(db_session, review_id)
                await actions.mute(db_session, worker, handle, timedelta(days=days), reason)
        except ApiError as error:
            return await redisplay(request, db_session, viewer, place, review_id,
                                   FormError(error.message, review_id), values, error.status_code)
        return Redirect(place_url(place, review_id, notice="mute", review=review_id, n=days), status_code=303)

    @post("/reviews/{review_id:int}/unmute-author", media_type=MediaType.HTML, status_code=303)
    async def unmute_author(self, request: Request, db_session: AsyncSession, review_id: int) -> Response[Any]:
        checked = await _checked_form(request, db_session)
        if isinstance(checked, Response):
            return checked
        worker, viewer, form = checked
        place = place_of(form)
        try:
            ensure_not_muted(worker)
            async with write_transaction(db_session):
                await actions.unmute(db_session, worker, await _author_handle(db_session, review_id))
        except ApiError as error:
            return await redisplay(request, db_session, viewer, place, review_id,
                                   FormError(error.message, review_id), {}, error.status_code)
        return Redirect(place_url(place, review_id, notice="unmute", review=review_id), status_code=303)


async def _author_handle(session: AsyncSession, review_id: int) -> str:
    """The handle of a review's author, for actions.mute and actions.unmute (which find workers by handle)."""
    review = await session.get(Review, review_id) if is_row_id(review_id) else None
    if review is None:
        raise ApiError(404, "not_found", "This review no longer exists.")
    author = await session.get(Worker, review.worker_id)
    if author is None or author.deleted_at is not None:
        raise ApiError(404, "not_found", "The author of this review deleted their account.")
    return author.handle


moderation_static = create_static_files_router(
    path=STATIC_PATH, directories=[STATIC_DIR], name="moderation-static", include_in_schema=False,
    cache_control=CacheControlHeader(max_age=STATIC_MAX_AGE, public=True))

MODERATION_PAGE_ROUTES = [ModerationPageController, moderation_static]
