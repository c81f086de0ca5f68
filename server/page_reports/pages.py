"""GET /admin/page-reports: the page-shape reports as an HTML page for the server's admins (docs/page-reports.md).

The same read as GET /api/v1/admin/page-reports (queries.py `load_reports`), grouped by shape, with a filter form
(platform, extension version, period) that is a plain GET form: the page works without JavaScript and has none.
Signing in keeps the admin's token in an HttpOnly, SameSite=Strict cookie sent to /admin/page-reports only
(server/web/session.py); the sign-out form carries the session's CSRF token (server/web/csrf.py).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import Provide
from litestar.response.redirect import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Worker, utcnow
from server.page_reports.queries import DEFAULT_DAYS, known_versions, load_reports, period_start
from server.page_reports.views import PERIODS, period_words, shape_view, total_view
from server.web.csrf import same_site
from server.web.errors import ErrorWords, FormRefused, NotAllowed, SignInRequired, page_exception_handlers
from server.web.render import NOINDEX
from server.web.render import render as web_render
from server.web.session import CookieSession
from server.web.static import static_files, versioned_url
from server.web.words import PLATFORMS

log = logging.getLogger("fairfinder.page_reports.page")

HERE = Path(__file__).resolve().parent
PAGE_REPORTS_TEMPLATE_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
PAGE_PATH = "/admin/page-reports"
STATIC_PATH = f"{PAGE_PATH}/static"
CSS_URL = versioned_url(STATIC_PATH, STATIC_DIR, "page-reports.css")
SHAPES_SHOWN = 50

# An admin's token is powerful: sign in again each week.
SESSION = CookieSession(name="ff_page_reports", path=PAGE_PATH, max_age=7 * 24 * 3600, same_site="strict",
                        csrf_purpose="page-reports")
NOTICES = {"signed-in": "You are signed in.", "signed-out": "You are signed out."}


@dataclass(frozen=True)
class Viewer:
    handle: str
    role: str
    csrf: str

    @property
    def admin(self) -> bool:
        return self.role == "admin"


def viewer_of(request: Request[Any, Any, Any], worker: Worker) -> Viewer:
    return Viewer(worker.handle, worker.role, SESSION.csrf(request) or "")


def _not_admin(handle: str, viewer: Viewer | None = None) -> NotAllowed:
    return NotAllowed(403, "Admins only",
                      f"You are signed in as {handle}, which is not an admin account, so the page reports are not "
                      "open to you. Whoever runs this Fairfinder server can make an account an admin with "
                      "`fairfinder set-role HANDLE admin`.", viewer)


async def provide_viewer(request: Request[Any, Any, Any], db_session: AsyncSession) -> Viewer:
    """The signed-in admin; SignInRequired (the sign-in page) or NotAllowed (any other account) otherwise."""
    worker = await SESSION.worker(request, db_session)
    if worker is None:
        raise SignInRequired(notice=NOTICES.get(request.query_params.get("notice") or ""))
    viewer = viewer_of(request, worker)
    if not viewer.admin:
        raise _not_admin(viewer.handle, viewer)
    return viewer


def render(request: Request[Any, Any, Any], template: str, context: dict[str, Any], status: int = 200
           ) -> Response[str]:
    context = {"viewer": None, "notice": None, **context}
    return web_render(request, template, {"css_url": CSS_URL, **context}, status, NOINDEX)


def message_page(request: Request[Any, Any, Any], status: int, heading: str, message: str, viewer: Any = None
                 ) -> Response[str]:
    return render(request, "page_reports_message.html",
                  {"status": status, "heading": heading, "message": message, "viewer": viewer}, status)


def sign_in_page(request: Request[Any, Any, Any], *, error: str | None = None, notice: str | None = None,
                 status: int = 200) -> Response[str]:
    response = render(request, "page_reports_sign_in.html", {"sign_in_error": error, "notice": notice}, status)
    SESSION.forget_stale(request, response)
    return response


class PageReportPages:
    """This page's answers for the web layer's exception handlers (server/web/errors.py)."""

    def message_page(self, request: Request[Any, Any, Any], status: int, heading: str, message: str,
                     viewer: Any = None) -> Response[str]:
        return message_page(request, status, heading, message, viewer)

    def sign_in_page(self, request: Request[Any, Any, Any], required: SignInRequired) -> Response[str]:
        return sign_in_page(request, error=required.error, notice=required.notice, status=required.status)

    def refused_page(self, request: Request[Any, Any, Any], viewer: Any = None) -> Response[str]:
        return message_page(request, 403, "Form refused",
                            "This form was sent from another site, or from a page of an earlier sign-in, so nothing "
                            "was changed. Go back to the page reports, reload the page, and try again.", viewer)


EXCEPTION_HANDLERS = page_exception_handlers(PageReportPages(), log, ErrorWords(
    page="the page reports page",
    unreadable="The request could not be read. Go back to the page reports and try again.",
    failure="Something went wrong on our side. It has been logged. Reload the page to try again."))


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    selected: bool


def _choices(options: list[tuple[str, str]], chosen: str) -> list[Choice]:
    return [Choice(value, label, value == chosen) for value, label in options]


class PageReportPageController(Controller):
    path = PAGE_PATH
    tags = ["page reports page"]
    include_in_schema = False
    exception_handlers = EXCEPTION_HANDLERS

    @get("/", media_type=MediaType.HTML, summary="Page-shape reports as an HTML page",
         dependencies={"viewer": Provide(provide_viewer)})
    async def reports(self, request: Request[Any, Any, Any], db_session: AsyncSession, viewer: Viewer
                      ) -> Response[str]:
        params = request.query_params
        platform = params.get("platform") or ""
        version = params.get("version") or ""
        days_text = params.get("days") or str(DEFAULT_DAYS)
        if platform and platform not in PLATFORMS:
            return message_page(request, 400, "No such platform",
                                "The page reports are of MTurk or Prolific pages; choose one of them, or all "
                                "platforms, in the form.", viewer)
        versions = await known_versions(db_session)  # of every platform: the form's choices do not depend on each other
        if version and version not in versions:
            return message_page(request, 400, "No reports of this version",
                                "No page report kept on this server comes from that extension version. Choose one "
                                "of the versions the form lists.", viewer)
        if days_text not in {str(days) for days, _ in PERIODS}:
            return message_page(request, 400, "No such period",
                                "Choose one of the periods the form lists: today, or the last 7, 30 or 90 days.",
                                viewer)
        days = int(days_text)
        today: date = utcnow().date()
        since = period_start(today, days)
        found = await load_reports(db_session, today=today, since=since, platform=platform or None,
                                   version=version or None, limit=SHAPES_SHOWN)
        return render(request, "page_reports_list.html", {
            "viewer": viewer, "notice": NOTICES.get(params.get("notice") or ""),
            "platforms": _choices([("", "All platforms"), *PLATFORMS.items()], platform),
            "versions": _choices([("", "All versions"), *((v, v) for v in versions)], version),
            "periods": _choices([(str(d), words) for d, words in PERIODS], days_text),
            "period": period_words(days, since, today), "found": found,
            "totals": [total_view(t) for t in found.per_day],
            "shapes": [shape_view(s) for s in found.shapes],
        })

    @post("/sign-in", media_type=MediaType.HTML, status_code=303)
    async def sign_in(self, request: Request[Any, Any, Any], db_session: AsyncSession) -> Response[Any]:
        worker, token, _ = await SESSION.sign_in_form(request, db_session)
        if worker.role != "admin":
            raise _not_admin(worker.handle)  # and no cookie: it would open nothing
        response: Redirect = Redirect(f"{PAGE_PATH}?notice=signed-in", status_code=303)
        SESSION.start(response, request, token)
        return response

    @post("/sign-out", media_type=MediaType.HTML, status_code=303)
    async def sign_out(self, request: Request[Any, Any, Any], db_session: AsyncSession) -> Response[Any]:
        if not same_site(request):
            raise FormRefused()
        worker = await SESSION.worker(request, db_session)
        if worker is not None and not SESSION.csrf_ok(request, await request.form()):
            raise FormRefused(viewer=viewer_of(request, worker))
        response: Redirect = Redirect(f"{PAGE_PATH}?notice=signed-out", status_code=303)
        SESSION.end(response)
        return response


page_reports_static = static_files(STATIC_PATH, STATIC_DIR, "page-reports-static")

PAGE_REPORT_PAGE_ROUTES = [PageReportPageController, page_reports_static]
