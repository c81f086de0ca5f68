"""GET /listen: the task list as a plain, server-rendered HTML page for screen-reader users.

Works without JavaScript (server/listen/static/listen.js only adds optional conveniences). Signing in
stores the worker's API token in an HttpOnly cookie (LISTEN_SESSION, server/web/session.py); the page's words,
rendering and error pages are the web layer's (server/web).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import Provide
from litestar.response.redirect import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from accessibility.speech import say_approval, say_count, say_duration, say_hourly, say_money, task_sentence
from server.db.models import Worker
from server.domain.filters import NEED_NAMES, Filters
from server.listen.assets import STATIC_DIR, STATIC_PATH
from server.listen.items import ListenItem, listen_items
from server.web.csrf import same_site
from server.web.errors import ErrorWords, FormRefused, SignInRequired, page_exception_handlers
from server.web.render import render
from server.web.session import LISTEN_SESSION
from server.web.static import static_files
from server.web.words import BAND_WORDS, PLATFORMS, flag_words
from server.workers.queries import load_filters

log = logging.getLogger("fairfinder.listen")


MAX_MIN_HOURLY = Decimal(1_000_000)  # dollars an hour; server/domain/filters.py caps amounts at 100 000 000 cents

VERBOSITIES = {"short": "Short: pay and time", "normal": "Normal", "full": "Full: every fact"}
NEED_LABELS = {
    "needs_sight": "need sight",
    "needs_hearing": "need hearing",
    "unextendable_time_limit": "have a time limit that cannot be extended",
    "captcha": "have a CAPTCHA",
    "webcam_or_phone": "need a webcam or phone",
    "download_or_install": "ask you to download or install something",
    "personal_data": "ask for personal data",
    "adult_content": "have adult content",
}
BASIS_WORDS = {
    "task": "from workers' timings of this task",
    "requester": "from this requester's other tasks",
    "stated": "from the time the requester states",
}
NOTICES = {
    "signed-in": "You are signed in. The list now uses your saved filters.",
    "signed-out": "You are signed out. The list uses the default filters.",
}


async def provide_cookie_worker(request: Request, db_session: AsyncSession) -> Worker | None:
    """The worker of the `ff_token` cookie; None without one or for an unknown or revoked token."""
    return await LISTEN_SESSION.worker(request, db_session)


# ------------------------------------------------------------------------------------------------
# The query: what this view shows


@dataclass
class FieldError:
    field_id: str  # the id of the control to link to
    message: str


@dataclass
class ListenQuery:
    platform: str = "mturk"
    verbosity: str = "normal"
    min_hourly: str = ""  # as typed
    min_hourly_cents: int | None = None
    hide: list[str] = field(default_factory=list)
    custom: bool = False  # the form was submitted: its values replace the saved ones
    errors: list[FieldError] = field(default_factory=list)

    def params(self) -> list[tuple[str, str]]:
        """The query string that shows this view again (for the refresh link)."""
        params = [("platform", self.platform), ("verbosity", self.verbosity)]
        if self.min_hourly:
            params.append(("min_hourly", self.min_hourly))
        params += [("hide", need) for need in self.hide]
        if self.custom:
            params.append(("custom", "1"))
        return params


def parse_min_hourly(text: str) -> int | None:
    """'7.25' or '$7.25' -> 725 cents; ValueError with a message for people otherwise."""
    cleaned = text.strip().removeprefix("$").strip().replace(",", "")
    try:
        dollars = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("Enter the minimum hourly pay as a number of dollars, for example 7.25.") from None
    if not dollars.is_finite():
        raise ValueError("Enter the minimum hourly pay as a number of dollars, for example 7.25.")
    if dollars < 0:
        raise ValueError("The minimum hourly pay cannot be negative.")
    if dollars > MAX_MIN_HOURLY:
        raise ValueError("The minimum hourly pay must be at most 1,000,000 dollars.")
    return int((dollars * 100).to_integral_value())


def parse_query(request: Request) -> ListenQuery:
    params = request.query_params
    query = ListenQuery(custom=params.get("custom") == "1")
    platform = (params.get("platform") or "mturk").strip()
    if platform in PLATFORMS:
        query.platform = platform
    else:
        query.errors.append(FieldError("platform", "Choose MTurk or Prolific as the platform."))
    verbosity = (params.get("verbosity") or "normal").strip()
    if verbosity in VERBOSITIES:
        query.verbosity = verbosity
    else:
        query.errors.append(FieldError("verbosity", "Choose short, normal or full for how much is read per task."))
    query.min_hourly = (params.get("min_hourly") or "").strip()[:40]
    if query.min_hourly:
        try:
            query.min_hourly_cents = parse_min_hourly(query.min_hourly)
        except ValueError as error:
            query.errors.append(FieldError("min_hourly", str(error)))
    hide = [value.strip() for value in params.getall("hide", []) if value.strip()]
    unknown = [value for value in hide if value not in NEED_NAMES]
    if unknown:
        query.errors.append(FieldError(f"hide-{NEED_NAMES[0]}", "One of the needs to hide is not one this page knows; "
                                                                "choose from the checkboxes."))
    query.hide = [need for need in NEED_NAMES if need in hide]  # fixed order, no duplicates
    query.custom = query.custom or "hide" in params
    return query


def effective_filters(saved: Filters, query: ListenQuery) -> Filters:
    """The saved (or default) filters with this view's values on top."""
    changes: dict[str, Any] = {}
    if query.min_hourly or query.custom:
        changes["min_hourly_cents"] = query.min_hourly_cents
    if query.custom:
        changes["hide_needs"] = list(query.hide)
    return msgspec.structs.replace(saved, **changes) if changes else saved


def form_values(saved: Filters, query: ListenQuery) -> ListenQuery:
    """What the filter form shows: this view's values, else the saved ones."""
    if query.errors or query.custom or query.min_hourly:
        shown = ListenQuery(platform=query.platform, verbosity=query.verbosity, min_hourly=query.min_hourly,
                            hide=list(query.hide) if query.custom else list(saved.hide_needs))
        return shown
    min_hourly = "" if saved.min_hourly_cents is None else f"{Decimal(saved.min_hourly_cents) / 100:.2f}"
    return ListenQuery(platform=query.platform, verbosity=query.verbosity, min_hourly=min_hourly,
                       hide=list(saved.hide_needs))


# ------------------------------------------------------------------------------------------------
# Words for the page


def item_view(item: ListenItem, verbosity: str, number: int, platform: str) -> dict[str, Any]:
    """One task's words. Its sentence leaves out what the page already says around it: the title (the task's
    heading, or the hidden task's summary) and, for a hidden task, the reasons (listed under "Hidden because")."""
    spoken = item.spoken
    band = BAND_WORDS.get(spoken.band, spoken.band)
    if spoken.cents_per_hour is None:
        hourly_text = "not known yet: no timings" + (f"; {band}" if spoken.band == "avoid" else "")
    else:
        basis = item.annotation.hourly.rests_on or BASIS_WORDS.get(spoken.basis)  # "3 timings from 2 accounts"
        claim = "the requester claims " if spoken.basis == "stated" else ""
        hourly_text = f"{claim}{say_hourly(spoken.cents_per_hour, spoken.currency)}, {band}" + (f" ({basis})" if basis else "")
    reviews = say_count(spoken.reviews, "review")
    facts = [
        ("Hourly pay", hourly_text),
        ("Time", say_duration(spoken.duration_seconds) if spoken.duration_seconds is not None else "not known yet"),
        ("Reward", say_money(spoken.reward_cents, spoken.currency)),
        ("Requester", f"{spoken.requester_name} ({reviews})"),
        ("Approval", say_approval(spoken.approval_seconds) or "not known yet"),
        ("Rejections and blocks",
         f"{say_count(spoken.rejections, 'rejection')}, {say_count(spoken.blocks, 'block')} reported"),
        ("Flags", ", ".join(flag_words(flag) for flag in spoken.flags) or "none reported"),
    ]
    links = []
    name = PLATFORMS.get(platform, platform)
    if item.preview_url and item.preview_url == item.accept_url:
        links.append(("Open", item.preview_url))
    else:
        if item.preview_url:
            links.append(("Preview", item.preview_url))
        if item.accept_url:
            links.append(("Accept", item.accept_url))
    return {
        "id": f"task-{number}", "title": spoken.title,
        "sentence": task_sentence(msgspec.structs.replace(spoken, hidden_reasons=[]), verbosity, titled=False),
        "facts": facts, "links": [(verb, url, name) for verb, url in links], "reasons": spoken.hidden_reasons,
        "requester_page": item.requester_page, "requester_name": spoken.requester_name,
    }


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


# ------------------------------------------------------------------------------------------------
# Rendering


def base_context(worker: Worker | None, **extra: Any) -> dict[str, Any]:
    return {"worker": worker, "needs": NEED_LABELS, "platforms": PLATFORMS, "verbosities": VERBOSITIES,
            "sign_in_error": None, "token_error": False, **extra}


async def list_page(request: Request, db_session: AsyncSession, worker: Worker | None, *,
                    sign_in_error: str | None = None, status: int = 200) -> Response[str]:
    query = parse_query(request)
    saved = await load_filters(db_session, worker)
    context = base_context(worker, query=query, form=form_values(saved, query), sign_in_error=sign_in_error,
                           notice=NOTICES.get(request.query_params.get("notice") or ""), plural=plural,
                           refresh_url="/listen?" + urlencode(query.params()), platform_name=PLATFORMS[query.platform]
                           if query.platform in PLATFORMS else "MTurk", shown=[], hidden=[])
    if query.errors:
        return render(request, "listen.html", context, 400 if status == 200 else status)
    filters = effective_filters(saved, query)
    shown, hidden = await listen_items(db_session, query.platform, filters, datetime.now(timezone.utc),
                                       request.app.state.annotate_cache)
    context["shown"] = [item_view(item, query.verbosity, n, query.platform) for n, item in enumerate(shown, 1)]
    context["hidden"] = [item_view(item, "short", n, query.platform) for n, item in enumerate(hidden, 1)]
    response = render(request, "listen.html", context, status)
    if worker is None:
        LISTEN_SESSION.forget_stale(request, response)  # revoked or unknown: stop sending it
    return response


def error_page(request: Request, status: int, heading: str, message: str, headers: dict[str, str] | None = None
               ) -> Response[str]:
    response = render(request, "error.html", base_context(None, status=status, heading=heading, message=message), status)
    response.headers.update(headers or {})
    return response


class ListenPages:
    """The list's answers for the web layer's error handlers (server/web/errors.py)."""

    def message_page(self, request: Request, status: int, heading: str, message: str, viewer: Any = None
                     ) -> Response[str]:
        return error_page(request, status, heading, message)

    def sign_in_page(self, request: Request, required: SignInRequired) -> Response[str]:
        return error_page(request, required.status, "Sign in", required.error or "Sign in from the list page.")

    def refused_page(self, request: Request, viewer: Any = None) -> Response[str]:
        return error_page(request, 403, "Form refused", "This form was sent from another site.")


EXCEPTION_HANDLERS = page_exception_handlers(ListenPages(), log, ErrorWords(
    page="the list page", unreadable="The request could not be read. Go back to the list and try again.",
    failure="Something went wrong on our side and the list could not be shown. It has been logged. "
            "Try again in a moment.", busy_heading="The list is busy"))


# ------------------------------------------------------------------------------------------------
# Routes


class ListenController(Controller):
    path = "/listen"
    tags = ["listen"]
    include_in_schema = False
    dependencies = {"worker": Provide(provide_cookie_worker)}
    exception_handlers = EXCEPTION_HANDLERS

    @get("/", media_type=MediaType.HTML, summary="The task list as an accessible HTML page")
    async def page(self, request: Request, db_session: AsyncSession, worker: Worker | None) -> Response[str]:
        return await list_page(request, db_session, worker)

    @post("/sign-in", media_type=MediaType.HTML, status_code=303)
    async def sign_in(self, request: Request, db_session: AsyncSession) -> Response[Any]:
        try:
            _, token, _ = await LISTEN_SESSION.sign_in_form(request, db_session)
        except FormRefused:
            return error_page(request, 403, "Sign-in refused", "This sign-in form was sent from another site. "
                              "Sign in from the Fairfinder list page itself.")
        except SignInRequired as failed:  # the list again, with why next to the form
            return await list_page(request, db_session, None, status=failed.status, sign_in_error=failed.error)
        response: Redirect = Redirect("/listen?notice=signed-in", status_code=303)
        LISTEN_SESSION.start(response, request, token)
        return response

    @post("/sign-out", media_type=MediaType.HTML, status_code=303)
    async def sign_out(self, request: Request) -> Response[Any]:
        if not same_site(request):
            return error_page(request, 403, "Sign-out refused", "This sign-out form was sent from another site.")
        response: Redirect = Redirect("/listen?notice=signed-out", status_code=303)
        LISTEN_SESSION.end(response)
        return response


# Not cached for a year: listen's pages link its files without a version.
listen_static = static_files(STATIC_PATH, STATIC_DIR, "listen-static", cached=False)

LISTEN_ROUTES = [ListenController, listen_static]
