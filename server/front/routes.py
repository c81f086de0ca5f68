"""GET / (a page for people, JSON for programs), the account form (GET and POST /join) and the one-time sign-in
links (GET /sign-in/<code>).

The account form makes the same account as POST /api/v1/workers (server/workers/service.py `register_worker`),
shows its token once, and signs this browser in on the worker's pages (/me, /listen) with a sign-in token of its
own (server/workers/sign_in.py), so the token the worker keeps never sits in a cookie. A sign-in link is used
once: it signs the browser in on the page it names (server/web/session.py `session_for`) and leads there; the
code in the address is dead from then on, so the browser's history keeps nothing that works.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.response.redirect import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from server import __version__
from server.db.engine import write_transaction
from server.errors import ApiError
from server.listen.assets import stylesheet_url
from server.settings import Settings
from server.web.csrf import same_site
from server.web.errors import ErrorWords, FormRefused, SignInRequired, page_exception_handlers
from server.web.render import NOINDEX, render
from server.web.session import LISTEN_SESSION, ME_SESSION, SESSION_TOKEN_LABEL, session_for
from server.web.static import static_files, versioned_url
from server.web.words import PLATFORMS
from server.workers.schemas import RegisterIn
from server.workers.service import register_worker
from server.workers.sign_in import LinkRefused, redeem_link, start_browser_session

log = logging.getLogger("fairfinder.front")

HERE = Path(__file__).resolve().parent
TEMPLATE_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_PATH = "/front/static"
CSS_URLS = [stylesheet_url(), versioned_url(STATIC_PATH, STATIC_DIR, "front.css")]
# A new account is signed in on the worker's own pages; the moderation queue is for moderators, who sign in there.
JOIN_SESSIONS = (ME_SESSION, LISTEN_SESSION)
MAX_FORM_CHARS = 100  # what the form shows back of a value as typed


class IndexOut(msgspec.Struct, kw_only=True):
    service: Annotated[str, msgspec.Meta(description="Always \"Fairfinder\".")]
    version: Annotated[str, msgspec.Meta(description="The server's version.")]
    docs: Annotated[str, msgspec.Meta(description="Where the API documentation is (an HTML viewer).")]
    openapi: Annotated[str, msgspec.Meta(description="Where the OpenAPI document is.")]
    annotate: Annotated[str, msgspec.Meta(description="The extension's main call.")]


def wants_html(request: Request) -> bool:
    """A browser's Accept prefers HTML; programs (curl's */*, Accept: application/json) get JSON."""
    return request.accept.best_match(["application/json", "text/html"], default="application/json") == "text/html"


def server_address(request: Request, settings: Settings) -> str:
    return settings.public_url or str(request.base_url).rstrip("/")


def page(request: Request, template: str, context: dict[str, Any], status: int = 200,
         private: bool = False) -> Response[str]:
    """A front page: the web layer's render with our style sheets (private pages are never indexed either)."""
    return render(request, template, {"css_urls": CSS_URLS, "current": None, **context}, status,
                  NOINDEX if private else None)


def message_page(request: Request, status: int, heading: str, message: str, *, links: bool = True) -> Response[str]:
    return page(request, "front_message.html", {"heading": heading, "message": message, "links": links}, status,
                private=True)


class FrontPages:
    """The front pages' answers for the web layer's exception handlers (server/web/errors.py)."""

    def message_page(self, request: Request, status: int, heading: str, message: str, viewer: Any = None
                     ) -> Response[str]:
        return message_page(request, status, heading, message)

    def sign_in_page(self, request: Request, required: SignInRequired) -> Response[str]:
        return message_page(request, required.status, "Sign in", required.error or required.notice or "Sign in.")

    def refused_page(self, request: Request, viewer: Any = None) -> Response[str]:
        return message_page(request, 403, "Form refused", "This form was sent from another site, so nothing was done. "
                            "Open the form on this server and try again.")


EXCEPTION_HANDLERS = page_exception_handlers(FrontPages(), log, ErrorWords(
    page="a front page", unreadable="The request could not be read. Go back to the start page and try again.",
    not_found=("Page not found", "There is no page at this address.")))


@get("/", tags=["service"], summary="What this server is and where to start",
     description="A browser (Accept: text/html) gets the start page; anything else gets this JSON.",
     responses={200: ResponseSpec(data_container=IndexOut, description="Where to start: the documentation, the "
                                  "OpenAPI document and the extension's main call.")},
     exception_handlers=EXCEPTION_HANDLERS)
async def index(request: Request, db_session: AsyncSession, settings: Settings) -> Response[Any]:
    if not wants_html(request):
        return Response(IndexOut(service="Fairfinder", version=__version__, docs="/schema",
                                 openapi="/schema/openapi.json", annotate="POST /api/v1/annotate"),
                        media_type=MediaType.JSON, headers={"Vary": "Accept"})
    worker = await ME_SESSION.worker(request, db_session)
    response = page(request, "front.html", {"worker": worker, "version": __version__, "current": "home",
                                            "address": server_address(request, settings), "platforms": PLATFORMS})
    response.headers["Vary"] = "Accept"
    return response


def join_page(request: Request, *, values: dict[str, str] | None = None, error: str | None = None,
              status: int = 200) -> Response[str]:
    return page(request, "join.html", {"values": values or {}, "error": error, "current": "join"}, status,
                private=True)


class JoinController(Controller):
    path = "/join"
    include_in_schema = False
    exception_handlers = EXCEPTION_HANDLERS

    @get("/", media_type=MediaType.HTML, summary="Make an account")
    async def form(self, request: Request) -> Response[str]:
        return join_page(request)

    @post("/", media_type=MediaType.HTML, status_code=200, summary="Make an account")
    async def create(self, request: Request, db_session: AsyncSession, settings: Settings) -> Response[str]:
        if not same_site(request):
            raise FormRefused()
        form = await request.form()
        handle = str(form.get("handle") or "").strip()
        values = {"handle": handle[:MAX_FORM_CHARS]}
        try:
            data = msgspec.convert({"handle": handle or None, "token_label": "first token (made on the web)"},
                                   RegisterIn)
        except msgspec.ValidationError:
            return join_page(request, values=values, status=400, error=(
                "A handle is 3 to 40 characters: letters, digits and the signs _ . - (no spaces)."))
        now = datetime.now(timezone.utc)
        try:
            async with write_transaction(db_session):
                worker, token, _ = await register_worker(db_session, settings, data)
                cookies = [(session, await start_browser_session(db_session, worker.id, session.max_age, now,
                                                                 SESSION_TOKEN_LABEL)) for session in JOIN_SESSIONS]
        except ApiError as error:
            return join_page(request, values=values, status=error.status_code, error=error.message.replace("'", "“", 1)
                             .replace("'", "”", 1))
        response = page(request, "joined.html", {"worker": worker, "token": token,
                                                  "address": server_address(request, settings)}, 201, private=True)
        for session, session_token in cookies:
            session.start(response, request, session_token)
        return response


SIGN_IN_FAILURES = {
    "used": (410, "This sign-in link has been used",
             "Each sign-in link works once, and this one already has. Nothing was changed."),
    "expired": (410, "This sign-in link has ended",
                "Sign-in links work for a minute, and this one is older. Nothing was changed."),
    "unknown": (404, "This sign-in link does not work",
                "This server made no sign-in link with this address. Nothing was changed."),
}


class SignInController(Controller):
    path = "/sign-in"
    include_in_schema = False
    exception_handlers = EXCEPTION_HANDLERS

    @get("/{code:str}", media_type=MediaType.HTML, summary="Use a one-time sign-in link")
    async def redeem(self, request: Request, db_session: AsyncSession, code: str) -> Response[Any]:
        now = datetime.now(timezone.utc)
        try:
            async with write_transaction(db_session):
                found = await redeem_link(db_session, code, now)
                session = session_for(found.next_path) or ME_SESSION
                token = await start_browser_session(db_session, found.worker_id, session.max_age, now,
                                                    SESSION_TOKEN_LABEL, replaces=session.token(request))
        except LinkRefused as refused:
            status, heading, message = SIGN_IN_FAILURES[refused.reason]
            response = page(request, "sign_in_failed.html", {"heading": heading, "message": message}, status,
                            private=True)
            response.headers["Referrer-Policy"] = "no-referrer"
            return response
        redirect: Redirect = Redirect(found.next_path if session_for(found.next_path) else "/me", status_code=303)
        # The code is dead now; still, the address it was in is never sent on as a referrer, nor kept by a cache.
        redirect.headers.update({"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
        session.start(redirect, request, token)
        return redirect


front_static = static_files(STATIC_PATH, STATIC_DIR, "front-static")

FRONT_ROUTES = [index, JoinController, SignInController, front_static]
