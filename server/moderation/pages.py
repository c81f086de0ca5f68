"""GET /moderation: the moderation queue, single reviews with their versions, and the log, as server-rendered
HTML pages for moderators and admins (docs/moderation.md, "The moderation page").

Works without JavaScript (static/moderation.js only moves focus to a notice or an error summary). Reads and
writes are the JSON API's own: queries.py (load_queue, queue_items, load_log) and service.py (decide, mute,
unmute); the words and views are views.py's. Signing in keeps the moderator's token in an HttpOnly,
SameSite=Strict cookie sent to /moderation only (MODERATION_SESSION, server/web/session.py). Every form POST is
checked twice against cross-site requests: Origin/Referer must name this host, and the form must carry the
session's CSRF token (server/web/csrf.py). Handles never appear in URLs: forms name the review, and the server
looks up its author.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import Provide
from litestar.response.redirect import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import ensure_not_muted
from server.db.engine import write_transaction
from server.db.models import Review, ReviewRevision, Worker, utcnow
from server.domain.moderation import is_moderator, is_muted
from server.domain.paging import is_row_id
from server.errors import ApiError
from server.moderation import service
from server.moderation.queries import QUEUE_KINDS, author_handle, load_log, load_queue, queue_items
from server.moderation.views import (
    ACTION_WORDS,
    AUTOMATIC,
    KIND_EMPTY,
    KIND_HEADINGS,
    KIND_INTROS,
    MAX_CURSOR,
    TABS,
    FormError,
    Place,
    Viewer,
    error_href,
    item_view,
    moment,
    notice_text,
    number,
    place_of,
    place_url,
    queue_url,
    valid_cursor,
    version_view,
)
from server.web.csrf import same_site
from server.web.errors import ErrorWords, FormRefused, NotAllowed, SignInRequired, page_exception_handlers
from server.web.render import NOINDEX
from server.web.render import render as web_render
from server.web.session import MODERATION_SESSION, SESSION_ENDED
from server.web.static import static_files, versioned_url

log = logging.getLogger("fairfinder.moderation.page")

HERE = Path(__file__).resolve().parent
MODERATION_TEMPLATE_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_PATH = "/moderation/static"
# The files' URLs name their content, so browsers may keep them for a year and still see every change.
CSS_URL = versioned_url(STATIC_PATH, STATIC_DIR, "moderation.css")
JS_URL = versioned_url(STATIC_PATH, STATIC_DIR, "moderation.js")

QUEUE_PAGE_SIZE = 20
LOG_PAGE_SIZE = 50
MAX_NOTE = 500  # as server/moderation/schemas.py Note
MAX_MUTE_DAYS = 365  # as MuteIn.days


# ------------------------------------------------------------------------------------------------
# Who: the signed-in moderator


def viewer_of(request: Request, worker: Worker) -> Viewer:
    """The page's copy of the signed-in worker: a refused write rolls the session back and expires its rows, and
    the page is rendered after that."""
    return Viewer(worker.id, worker.handle, worker.role, worker.muted_until, MODERATION_SESSION.csrf(request) or "")


def _not_moderator(handle: str, viewer: Viewer | None = None) -> NotAllowed:
    return NotAllowed(403, "Moderators only",
                      f"You are signed in as {handle}, which is not a moderator or admin account, so the "
                      "moderation queue is not open to you. An admin of this Fairfinder server can give an "
                      "account the role with `fairfinder set-role`.", viewer)


async def provide_viewer(request: Request, db_session: AsyncSession) -> Viewer:
    """The signed-in moderator of a page; SignInRequired (the sign-in page) or NotAllowed (a worker) otherwise."""
    worker = await MODERATION_SESSION.worker(request, db_session)
    if worker is None:
        raise SignInRequired(notice=notice_text(request.query_params))
    viewer = viewer_of(request, worker)
    if not viewer.moderator:
        raise _not_moderator(viewer.handle, viewer)
    return viewer


async def moderator_form(request: Request, db_session: AsyncSession) -> tuple[Worker, Viewer, FormMultiDict]:
    """A moderator's form POST, checked: from this site, a session, the role, then the CSRF token. Nothing is
    read from the form before these pass."""
    if not same_site(request):
        raise FormRefused()
    worker = await MODERATION_SESSION.worker(request, db_session)
    if worker is None:
        raise SignInRequired(status=401, error=SESSION_ENDED)
    viewer = viewer_of(request, worker)
    if not viewer.moderator:
        raise _not_moderator(viewer.handle, viewer)
    form = await request.form()
    if not MODERATION_SESSION.csrf_ok(request, form):
        raise FormRefused(viewer=viewer)
    return worker, viewer, form


# ------------------------------------------------------------------------------------------------
# Rendering


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response[str]:
    """The web layer's render with the moderation pages' defaults, files and tabs; never cached or indexed."""
    context = {"viewer": None, "current": None, "notice": None, "error": None, "error_href": None, "values": {},
               **context}
    viewer = context["viewer"]
    context["viewer_muted"] = (moment(viewer.muted_until) if viewer is not None
                               and is_muted(viewer.muted_until, utcnow()) and viewer.muted_until else None)
    return web_render(request, template, {"css_url": CSS_URL, "js_url": JS_URL, "tabs": TABS, **context}, status,
                      NOINDEX)


def sign_in_page(request: Request, *, error: str | None = None, notice: str | None = None, status: int = 200
                 ) -> Response[str]:
    response = render(request, "moderation_sign_in.html", {"sign_in_error": error, "notice": notice}, status)
    MODERATION_SESSION.forget_stale(request, response)  # unknown or revoked: stop sending it
    return response


def message_page(request: Request, status: int, heading: str, message: str, viewer: Viewer | None = None
                 ) -> Response[str]:
    return render(request, "moderation_message.html", {"status": status, "heading": heading, "message": message,
                                                        "viewer": viewer}, status)


def refused_page(request: Request, viewer: Viewer | None = None) -> Response[str]:
    return message_page(request, 403, "Form refused",
                        "This form was sent from another site, or from a page of an earlier sign-in, so nothing was "
                        "changed. Go back to the moderation page, reload it, and try again.", viewer)


class ModerationPages:
    """The moderation pages' answers for the web layer's exception handlers (server/web/errors.py)."""

    def message_page(self, request: Request, status: int, heading: str, message: str, viewer: Any = None
                     ) -> Response[str]:
        return message_page(request, status, heading, message, viewer)

    def sign_in_page(self, request: Request, required: SignInRequired) -> Response[str]:
        return sign_in_page(request, error=required.error, notice=required.notice, status=required.status)

    def refused_page(self, request: Request, viewer: Any = None) -> Response[str]:
        return refused_page(request, viewer)


# ------------------------------------------------------------------------------------------------
# Pages


async def queue_page(request: Request, session: AsyncSession, viewer: Viewer, kind: str, cursor: str | None, *,
                     notice: str | None = None, error: FormError | None = None, values: dict[str, Any] | None = None,
                     status: int = 200) -> Response[str]:
    if kind not in QUEUE_KINDS:
        return message_page(request, 400, "No such queue", "The queues are flagged, held and hidden reviews; "
                                                           "choose one of them above.", viewer)
    if cursor is not None and (len(cursor) > MAX_CURSOR or valid_cursor(cursor, kind) is None):
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
    if cursor is not None and (len(cursor) > MAX_CURSOR or valid_cursor(cursor, "log") is None):
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
# Errors that reach the controller, and its session's answers


EXCEPTION_HANDLERS = page_exception_handlers(ModerationPages(), log, ErrorWords(
    page="the moderation page", unreadable="The request could not be read. Go back to the moderation page and try "
                                           "again.",
    failure="Something went wrong on our side. It has been logged. Nothing you sent may have been saved: reload "
            "the page to see the queue as it is."))


# ------------------------------------------------------------------------------------------------
# Routes


class ModerationPageController(Controller):
    path = "/moderation"
    tags = ["moderation page"]
    include_in_schema = False
    exception_handlers = EXCEPTION_HANDLERS

    @get("/", media_type=MediaType.HTML, summary="The moderation queue as an HTML page",
         dependencies={"viewer": Provide(provide_viewer)})
    async def queue(self, request: Request, db_session: AsyncSession, viewer: Viewer) -> Response[str]:
        params = request.query_params
        return await queue_page(request, db_session, viewer, params.get("kind") or "flagged",
                                params.get("cursor") or None, notice=notice_text(params))

    @get("/log", media_type=MediaType.HTML, summary="The moderation log as an HTML page",
         dependencies={"viewer": Provide(provide_viewer)})
    async def log(self, request: Request, db_session: AsyncSession, viewer: Viewer) -> Response[str]:
        return await log_page(request, db_session, viewer, request.query_params.get("cursor") or None)

    @get("/reviews/{review_id:int}", media_type=MediaType.HTML, summary="One review with its earlier versions",
         dependencies={"viewer": Provide(provide_viewer)})
    async def review(self, request: Request, db_session: AsyncSession, review_id: int, viewer: Viewer
                     ) -> Response[str]:
        return await review_page(request, db_session, viewer, review_id, notice=notice_text(request.query_params))

    @post("/sign-in", media_type=MediaType.HTML, status_code=303)
    async def sign_in(self, request: Request, db_session: AsyncSession) -> Response[Any]:
        worker, token, _ = await MODERATION_SESSION.sign_in_form(request, db_session)
        if not is_moderator(worker.role):
            raise _not_moderator(worker.handle)  # and no cookie: it would open nothing
        response: Redirect = Redirect("/moderation?notice=signed-in", status_code=303)
        MODERATION_SESSION.start(response, request, token)
        return response

    @post("/sign-out", media_type=MediaType.HTML, status_code=303)
    async def sign_out(self, request: Request, db_session: AsyncSession) -> Response[Any]:
        if not same_site(request):
            raise FormRefused()
        worker = await MODERATION_SESSION.worker(request, db_session)
        if worker is not None and not MODERATION_SESSION.csrf_ok(request, await request.form()):
            raise FormRefused(viewer=viewer_of(request, worker))
        response: Redirect = Redirect("/moderation?notice=signed-out", status_code=303)
        MODERATION_SESSION.end(response)
        return response

    @post("/reviews/{review_id:int}/decision", media_type=MediaType.HTML, status_code=303)
    async def decision(self, request: Request, db_session: AsyncSession, review_id: int) -> Response[Any]:
        worker, viewer, form = await moderator_form(request, db_session)
        place = place_of(form)
        action, note = str(form.get("action") or ""), str(form.get("note") or "")
        values = {"review_id": review_id, "note": note}
        if action not in service.DECISIONS:
            return await redisplay(request, db_session, viewer, place, review_id,
                                   FormError("Choose Hide, Restore or Dismiss flags.", review_id), values, 400)
        if len(note.strip()) > MAX_NOTE:
            return await redisplay(request, db_session, viewer, place, review_id, FormError(
                f"The note can be at most {MAX_NOTE} characters; it has {len(note.strip())}.", review_id, "note"),
                values, 400)
        try:
            ensure_not_muted(worker)
            async with write_transaction(db_session):
                _, closed, _ = await service.decide(db_session, worker, review_id, action, note)
        except ApiError as error:
            return await redisplay(request, db_session, viewer, place, review_id,
                                   FormError(error.message, review_id), values, error.status_code)
        return Redirect(place_url(place, review_id, notice=action, review=review_id, n=closed), status_code=303)

    @post("/reviews/{review_id:int}/mute-author", media_type=MediaType.HTML, status_code=303)
    async def mute_author(self, request: Request, db_session: AsyncSession, review_id: int) -> Response[Any]:
        worker, viewer, form = await moderator_form(request, db_session)
        place = place_of(form)
        days_text, reason = str(form.get("days") or "").strip(), str(form.get("reason") or "")
        values = {"review_id": review_id, "days": days_text, "reason": reason}
        days = number(days_text)
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
                handle = await author_handle(db_session, review_id)
                await service.mute(db_session, worker, handle, timedelta(days=days), reason)
        except ApiError as error:
            return await redisplay(request, db_session, viewer, place, review_id,
                                   FormError(error.message, review_id), values, error.status_code)
        return Redirect(place_url(place, review_id, notice="mute", review=review_id, n=days), status_code=303)

    @post("/reviews/{review_id:int}/unmute-author", media_type=MediaType.HTML, status_code=303)
    async def unmute_author(self, request: Request, db_session: AsyncSession, review_id: int) -> Response[Any]:
        worker, viewer, form = await moderator_form(request, db_session)
        place = place_of(form)
        try:
            ensure_not_muted(worker)
            async with write_transaction(db_session):
                await service.unmute(db_session, worker, await author_handle(db_session, review_id))
        except ApiError as error:
            return await redisplay(request, db_session, viewer, place, review_id,
                                   FormError(error.message, review_id), {}, error.status_code)
        return Redirect(place_url(place, review_id, notice="unmute", review=review_id), status_code=303)


moderation_static = static_files(STATIC_PATH, STATIC_DIR, "moderation-static")

MODERATION_PAGE_ROUTES = [ModerationPageController, moderation_static]
