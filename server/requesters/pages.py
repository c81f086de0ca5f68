"""GET /r/{platform}/{requester_id}: one requester as a plain, server-rendered HTML page for people.

No JavaScript, nothing external. The figures come from the stored aggregates (requester_stats,
task_type_stats, platform_stats, source_requester_stats) through the same functions as the API
(server/domain/summary.py, server/domain/pay.py), read by queries.py and put in words by views.py.
Comments are user text: Jinja escapes them.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.response.redirect import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from scrapers import ids
from server.requesters import history
from server.requesters.queries import MAX_SEARCH_CHARS, SEARCH_RESULTS, load_page, search_requesters
from server.requesters.views import MAX_ID_CHARS, MAX_REVIEWS, MAX_TASK_TYPES
from server.web.errors import ErrorWords, SignInRequired, page_exception_handlers
from server.web.render import render as web_render
from server.web.static import reflow_css_url, static_files, versioned_url
from server.web.words import PLATFORMS, requester_page_path

log = logging.getLogger("fairfinder.requesters.page")

HERE = Path(__file__).resolve().parent
REQUESTER_TEMPLATE_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_PATH = "/r/static"
# The stylesheet's URL names its content, so browsers may keep it for a year and still see every change.
CSS_URL = versioned_url(STATIC_PATH, STATIC_DIR, "requester.css")
REFLOW_URL = reflow_css_url()


# ------------------------------------------------------------------------------------------------
# Rendering and errors


def render(request: Request, template: str, context: dict[str, Any], status: int = 200,
           headers: dict[str, str] | None = None) -> Response[str]:
    return web_render(request, template, {"css_url": CSS_URL, "reflow_url": REFLOW_URL, "platforms": PLATFORMS, **context},
                      status, headers)


def error_page(request: Request, status: int, heading: str, message: str, *, platform: str = "mturk",
               requester_id: str = "", headers: dict[str, str] | None = None) -> Response[str]:
    context = {"status": status, "heading": heading, "message": message,
               "form_platform": platform if platform in PLATFORMS else "", "form_q": requester_id}
    return render(request, "requester_error.html", context, status, headers)


def not_found_page(request: Request, platform: str, requester_id: str) -> Response[str]:
    if platform not in PLATFORMS:
        known = " and ".join(PLATFORMS.values())
        return error_page(request, 404, "Platform not known",
                          f"Fairfinder does not know a platform called “{platform[:40]}”. It knows {known}.",
                          requester_id=requester_id)
    shown = requester_id[:MAX_ID_CHARS] or "(none given)"
    return error_page(request, 404, "Requester not found",
                      f"Fairfinder knows no requester with the id “{shown}” on {PLATFORMS[platform]}. Requesters "
                      "appear here once a worker's Fairfinder extension has seen one of their tasks. Check the id, "
                      "or look up another requester.", platform=platform, requester_id=requester_id)


class RequesterPages:
    """The requester pages' answers for the web layer's error handlers (server/web/errors.py). No sessions here."""

    def message_page(self, request: Request, status: int, heading: str, message: str, viewer: Any = None
                     ) -> Response[str]:
        return error_page(request, status, heading, message)

    def sign_in_page(self, request: Request, required: SignInRequired) -> Response[str]:
        return error_page(request, required.status, "That did not work", "The address could not be read.")

    def refused_page(self, request: Request, viewer: Any = None) -> Response[str]:
        return error_page(request, 403, "That did not work", "The address could not be read.")


EXCEPTION_HANDLERS = page_exception_handlers(RequesterPages(), log, ErrorWords(
    page="a requester page", unreadable="The address could not be read.",
    failure="Something went wrong on our side and this page could not be shown. It has been logged. "
            "Try again in a moment.", busy_heading="This page is busy",
    busy="Fairfinder's database is busy right now. Try again in a moment.", too_large=False,
    not_found=("Page not found", "There is no page at this address.")))


# ------------------------------------------------------------------------------------------------
# Routes


class RequesterPageController(Controller):
    path = "/r"
    tags = ["requester pages"]
    include_in_schema = False
    exception_handlers = EXCEPTION_HANDLERS

    @get("/", media_type=MediaType.HTML, summary="Find a requester by name or id")
    async def lookup(self, request: Request, db_session: AsyncSession) -> Response[Any]:
        params = request.query_params
        platform = (params.get("platform") or "").strip()
        requester_id = (params.get("id") or "").strip()
        if platform and requester_id:  # the exact lookup of earlier versions: straight to the page
            if "/" in requester_id:  # no platform's ids have one, and the router would not find the page
                return not_found_page(request, platform, requester_id)
            return Redirect(requester_page_path(platform, requester_id[:MAX_ID_CHARS + 1]), status_code=303)
        text = (params.get("q") or "").strip()
        searched = "q" in params
        error = None
        if searched and not text:
            error = "Enter a requester's name or id, or part of it."
        elif len(text) > MAX_SEARCH_CHARS:
            error = f"Enter at most {MAX_SEARCH_CHARS} characters; you entered {len(text)}."
        elif platform and platform not in PLATFORMS:
            error = f"Choose a platform from the list ({' or '.join(PLATFORMS.values())}), or any platform."
        results = (await search_requesters(db_session, text, platform or None)
                   if searched and error is None else [])
        return render(request, "requester_lookup.html",
                      {"error": error, "form_platform": platform if platform in PLATFORMS else "",
                       "form_q": text[:MAX_SEARCH_CHARS + 20], "searched": searched and error is None,
                       "results": results, "max_results": SEARCH_RESULTS}, 400 if error else 200)

    @get("/{platform:str}", media_type=MediaType.HTML, summary="No requester id given")
    async def platform_only(self, request: Request, platform: str) -> Response[str]:
        return not_found_page(request, platform.strip(), "")

    @get("/{platform:str}/{requester_id:str}", media_type=MediaType.HTML, summary="One requester as an HTML page")
    async def page(self, request: Request, platform: str, requester_id: str, db_session: AsyncSession) -> Response[str]:
        platform, requester_id = platform.strip(), requester_id.strip()  # ids are stored stripped
        if platform not in PLATFORMS or not ids.is_requester_id(platform, requester_id):
            return not_found_page(request, platform, requester_id)
        found = await load_page(db_session, platform, requester_id, datetime.now(timezone.utc))
        if found is None:
            return not_found_page(request, platform, requester_id)
        return render(request, "requester.html", {"page": found, "max_task_types": MAX_TASK_TYPES,
                                                  "max_reviews": MAX_REVIEWS, "months": history.MAX_MONTHS})


requester_static = static_files(STATIC_PATH, STATIC_DIR, "requester-static")

REQUESTER_PAGE_ROUTES = [RequesterPageController, requester_static]
