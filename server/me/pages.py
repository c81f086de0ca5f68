"""GET /me: the worker's earnings as a server-rendered page (docs/earnings.md, "The page").

No JavaScript: a GET form chooses the period, the figures are those of GET /api/v1/me/earnings (the same
`load_earnings`), each chart is inline SVG (server/me/charts.py) followed by the table it shows. Signed out,
the page explains itself and offers the sign-in form (server/me/session.py). The one write is deleting the
imported history: a POST with the session's CSRF token and a ticked confirmation. Worker ids never appear in
URLs; responses are no-store and noindex.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import Provide
from litestar.response.redirect import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from accessibility.speech import say_count
from server.db.engine import write_transaction
from server.db.models import Worker
from server.domain.money import format_cents
from server.domain.period import DEFAULT_GAP_MINUTES, DEFAULT_ZONE, MAX_GAP_MINUTES, Period, parse_period
from server.history.service import delete_history
from server.me.charts import Bar, bar_chart
from server.me.queries import load_earnings
from server.me.schemas import CurrencyOut, DayOut, EarningsOut, HistoryOut, WeekOut
from server.me.session import (
    EXCEPTION_HANDLERS,
    HOME,
    ME_SESSION,
    STATIC_DIR,
    STATIC_PATH,
    page_context,
    provide_me_worker,
    render,
    safe_next,
)
from server.me.summary import days_with_work, highest
from server.web.csrf import same_site
from server.web.errors import FormRefused
from server.web.static import static_files
from server.web.words import PLATFORMS

MAX_PARAM_CHARS = 64  # what the form shows back of a value as typed
FIELDS = ("from", "to", "tz", "gap_minutes")
FIELD_LABELS = {"from": "First day", "to": "Last day", "tz": "Time zone", "gap_minutes": "Search-gap limit"}
STATE_WORDS = {"approved": "Approved", "pending": "Pending", "rejected": "Rejected", "returned": "Returned",
               "screened_out": "Screened out"}
CONFIRM_FIELD = "confirm"


# ------------------------------------------------------------------------------------------------
# Words (pure)


def hourly_words(rate: float | None, currency: str) -> str:
    """600 -> "$6.00 an hour"; None -> "not known (no timed work)"."""
    return "not known (no timed work)" if rate is None else f"{format_cents(rate, currency)} an hour"


def rate_cell(rate: float | None, currency: str) -> str:
    return "–" if rate is None else f"{format_cents(rate, currency)}/h"


def percent(rate: float | None) -> str:
    return "no decisions yet" if rate is None else f"{rate * 100:.0f}%"


def duration(seconds: float) -> str:
    """1500 -> "25 min"; 5400 -> "1 h 30 min"; whole minutes, rounded half up."""
    minutes = int(seconds / 60 + 0.5)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def long_day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def short_day(day: date) -> str:
    return f"{day.day} {day:%b}"


def summary_sentence(block: CurrencyOut) -> str:
    """The hourly pay in plain words (the issue's example: "$6.00 ... $3.00 ...")."""
    h, c = block.hourly, block.currency
    if h.without_unpaid is None and h.with_unpaid is None:
        return ("Your hourly pay is not known yet: none of these tasks was timed by the Fairfinder extension, "
                "so there is no working time to divide the pay by.")
    if h.without_unpaid is None:
        assert h.with_unpaid is not None
        return (f"None of your timed tasks paid, so you earned nothing while working; counting returned work and "
                f"time spent searching, that is {format_cents(h.with_unpaid, c)} an hour.")
    assert h.with_unpaid is not None
    return (f"You earned {format_cents(h.without_unpaid, c)} an hour while working, "
            f"{format_cents(h.with_unpaid, c)} an hour counting returned work and time spent searching.")


def pending_sentence(block: CurrencyOut) -> str | None:
    """Which figures include pending pay, and why (the headline does, "Earned (approved)" does not)."""
    pending = block.totals.cents.get("pending", 0)
    if not pending or (block.hourly.without_unpaid is None and block.hourly.with_unpaid is None):
        return None
    return (f"Both hourly figures count your pending pay ({format_cents(pending, block.currency)}) as paid: it is the "
            "pay you can expect, and most pending work is approved. “Earned (approved)” below counts only money "
            "already approved, so it is lower; if pending work is rejected, the hourly figures go down.")


def unpaid_sentences(block: CurrencyOut, gap_minutes: int) -> list[str]:
    h = block.hourly
    unpaid_work = h.work_seconds - h.paid_seconds
    total = h.work_seconds + h.search_seconds
    lines = [f"Of {duration(total)} spent working and searching, {duration(h.unpaid_seconds)} "
             f"{'was' if h.unpaid_seconds else 'were'} unpaid: {duration(unpaid_work)} on work that was returned "
             f"or rejected, and {duration(h.search_seconds)} searching between tasks."]
    if gap_minutes:
        lines.append(f"A pause between two tasks counts as searching when it is {say_count(gap_minutes, 'minute')} "
                     "or shorter; a longer pause is a break and does not count.")
    else:
        lines.append("Pauses between tasks are not counted as searching (the search-gap limit is 0 minutes).")
    untimed = h.tasks - h.timed_tasks
    if untimed:
        lines.append(f"{say_count(h.timed_tasks, 'task').capitalize()} of {h.tasks} were timed by the extension; "
                     f"the hourly figures use only those. The other {say_count(untimed, 'task')} count for money, "
                     "not for time.")
    return lines


# ------------------------------------------------------------------------------------------------
# Views (pure)


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


def _row_cells(row: DayOut | WeekOut, currency: str) -> dict[str, str]:
    return {"tasks": str(row.tasks), "earned": format_cents(row.earned_cents, currency),
            "pending": format_cents(row.pending_cents, currency),
            "rejected": format_cents(row.rejected_cents, currency),
            "with": rate_cell(row.hourly_with_unpaid, currency),
            "without": rate_cell(row.hourly_without_unpaid, currency), "time": duration(row.work_seconds)}


def day_chart(block: CurrencyOut, chart_id: str) -> dict[str, Any]:
    c = block.currency
    best = highest(block.by_day)
    worked = days_with_work(block.by_day)
    alt = (f"Highest day: {long_day(best.day)}, {format_cents(best.earned_cents, c)} earned."
           if best else "No money was earned on any day of this period.")
    alt += f" {say_count(len(worked), 'day').capitalize()} of {len(block.by_day)} had tasks."
    bars = [Bar(short_day(row.day), row.earned_cents, row.pending_cents,
                f"{long_day(row.day)}: {format_cents(row.earned_cents, c)} earned, "
                f"{format_cents(row.pending_cents, c)} pending")
            for row in block.by_day]
    svg = bar_chart(chart_id, f"Money earned by day, in {c}", alt, bars, lambda v: format_cents(v, c))
    rows = [{"head": long_day(row.day), "iso": row.day.isoformat(), **_row_cells(row, c)} for row in worked]
    return {"svg": svg, "rows": rows, "left_out": len(block.by_day) - len(worked)}


def week_chart(block: CurrencyOut, chart_id: str) -> dict[str, Any]:
    c = block.currency
    best = highest(block.by_week)
    alt = (f"Highest week: the week of {long_day(best.week_start)}, {format_cents(best.earned_cents, c)} earned."
           if best else "No money was earned in any week of this period.")
    bars = [Bar(short_day(row.week_start), row.earned_cents, row.pending_cents,
                f"Week of {long_day(row.week_start)}: {format_cents(row.earned_cents, c)} earned, "
                f"{format_cents(row.pending_cents, c)} pending") for row in block.by_week]
    svg = bar_chart(chart_id, f"Money earned by week, in {c}", alt, bars, lambda v: format_cents(v, c))
    rows = [{"head": f"Week of {long_day(row.week_start)}", "iso": row.week_start.isoformat(), **_row_cells(row, c)}
            for row in block.by_week]
    return {"svg": svg, "rows": rows}


def currency_view(block: CurrencyOut, period: Period, index: int) -> dict[str, Any]:
    c, t = block.currency, block.totals
    prefix = f"c{index}"
    states = [Fact(STATE_WORDS[state], f"{say_count(t.tasks[state], 'task')}, {format_cents(t.cents[state], c)}")
              for state in STATE_WORDS if t.tasks.get(state)]
    facts = [Fact("Earned (approved)", format_cents(t.earned_cents, c)),
             Fact("Pending (waiting for approval)", format_cents(t.cents["pending"], c)),
             Fact("Rejected (not paid)", format_cents(t.cents["rejected"], c)),
             Fact("Approval rate", percent(t.approval_rate)),
             Fact("Hourly while working (pending pay included)", hourly_words(block.hourly.without_unpaid, c)),
             Fact("Hourly counting unpaid time (pending pay included)", hourly_words(block.hourly.with_unpaid, c))]
    requesters = [{"name": r.requester_name or r.requester_id, "id": r.requester_id,
                   "platform": PLATFORMS.get(r.platform, r.platform), "tasks": r.tasks, "approved": r.approved,
                   "rejected": r.rejected, "earned": format_cents(r.earned_cents, c),
                   "pending": format_cents(r.pending_cents, c), "approval": percent(r.approval_rate),
                   "with": rate_cell(r.hourly_with_unpaid, c), "without": rate_cell(r.hourly_without_unpaid, c)}
                  for r in block.by_requester]
    task_types = [{"title": r.title, "requester": r.requester_name or r.requester_id,
                   "platform": PLATFORMS.get(r.platform, r.platform), "reward": format_cents(r.reward_cents, c),
                   "tasks": r.tasks, "approved": r.approved, "rejected": r.rejected,
                   "earned": format_cents(r.earned_cents, c), "with": rate_cell(r.hourly_with_unpaid, c),
                   "without": rate_cell(r.hourly_without_unpaid, c)} for r in block.by_task_type]
    return {"currency": c, "prefix": prefix, "sentence": summary_sentence(block), "pending": pending_sentence(block),
            "facts": facts, "states": states,
            "days": day_chart(block, f"{prefix}-days"), "weeks": week_chart(block, f"{prefix}-weeks"),
            "requesters": requesters, "task_types": task_types, "more": block.more,
            "unpaid": unpaid_sentences(block, period.gap_minutes)}


def history_view(history: HistoryOut) -> list[dict[str, str]]:
    rows = []
    for platform, counts in history.platforms.items():
        last = counts.last_imported_at
        when = (f"{long_day(last.astimezone(timezone.utc).date())}, {last.astimezone(timezone.utc):%H:%M} UTC"
                if last else "never")
        rows.append({"platform": PLATFORMS.get(platform, platform), "count": say_count(counts.items, "task"),
                     "last": when})
    return rows


def form_values(request: Request, period: Period | None) -> dict[str, str]:
    """What the period form shows: the period in force, else the values as typed (bounded)."""
    if period is not None:
        return {"from": period.start.isoformat(), "to": period.end.isoformat(), "tz": period.zone_name,
                "gap_minutes": str(period.gap_minutes)}
    return {name: str(request.query_params.get(name) or "")[:MAX_PARAM_CHARS] for name in FIELDS}


def period_words(period: Period) -> str:
    return (f"{long_day(period.start)} to {long_day(period.end)} ({say_count(len(period.days), 'day')}), "
            f"days in {period.zone_name}")


NOTICES = {
    "history-deleted": "Your imported work history was deleted.",
}


def notice_text(params: Any) -> str | None:
    code = params.get("notice") or ""
    text = NOTICES.get(code)
    n = params.get("n") or ""
    if text and n.isascii() and n.isdigit() and len(n) <= 9:
        text += f" {say_count(int(n), 'task').capitalize()} removed."
    return text


# ------------------------------------------------------------------------------------------------
# Pages


async def earnings_page(request: Request, session: AsyncSession, worker: Worker, *,
                        delete_error: str | None = None, status: int = 200) -> Response[str]:
    params = request.query_params
    period, errors = parse_period(params.get("from"), params.get("to"), params.get("tz"), params.get("gap_minutes"),
                                  datetime.now(timezone.utc))
    errors = sorted(errors, key=lambda error: FIELDS.index(error.field))
    context = page_context(request, worker, current="earnings", values=form_values(request, period), errors=errors,
                           field_errors={e.field: e.message for e in errors}, labels=FIELD_LABELS,
                           default_zone=DEFAULT_ZONE, default_gap=DEFAULT_GAP_MINUTES, max_gap=MAX_GAP_MINUTES,
                           notice=notice_text(params), delete_error=delete_error, blocks=[], history=[],
                           period_text=None, json_url=None, confirm_field=CONFIRM_FIELD)
    if period is None:
        return render(request, "me.html", context, 400)
    earnings: EarningsOut = await load_earnings(session, worker.id, period)
    context.update(blocks=[currency_view(block, period, n) for n, block in enumerate(earnings.currencies, 1)],
                   history=history_view(earnings.history), period_text=period_words(period),
                   json_url="/api/v1/me/earnings?" + urlencode(form_values(request, period)))
    return render(request, "me.html", context, status)


class MePageController(Controller):
    path = "/me"
    tags = ["me page"]
    include_in_schema = False
    exception_handlers = EXCEPTION_HANDLERS

    @get("/", media_type=MediaType.HTML, summary="Your earnings as an accessible HTML page",
         dependencies={"worker": Provide(provide_me_worker)})
    async def page(self, request: Request, db_session: AsyncSession, worker: Worker) -> Response[str]:
        return await earnings_page(request, db_session, worker)

    @post("/history/delete", media_type=MediaType.HTML, status_code=303)
    async def delete_history_form(self, request: Request, db_session: AsyncSession) -> Response[Any]:
        worker, form = await ME_SESSION.checked_form(request, db_session)
        if form.get(CONFIRM_FIELD) != "yes":
            return await earnings_page(request, db_session, worker, status=400, delete_error=(
                "Tick “Yes, delete my imported history” to confirm. Nothing was deleted."))
        async with write_transaction(db_session):
            removed = await delete_history(db_session, worker.id)
        return Redirect("/me?" + urlencode({"notice": "history-deleted", "n": removed}) + "#history", status_code=303)



class MeSessionController(Controller):
    path = "/me"
    tags = ["me page"]
    include_in_schema = False
    exception_handlers = EXCEPTION_HANDLERS

    @post("/sign-in", media_type=MediaType.HTML, status_code=303)
    async def sign_in(self, request: Request, db_session: AsyncSession) -> Response[Any]:
        _, token, form = await ME_SESSION.sign_in_form(request, db_session)
        response: Redirect = Redirect(safe_next(form.get("next")), status_code=303)
        response.headers.update({"Cache-Control": "no-store"})
        ME_SESSION.start(response, request, token)
        return response

    @post("/sign-out", media_type=MediaType.HTML, status_code=303)
    async def sign_out(self, request: Request, db_session: AsyncSession) -> Response[Any]:
        if not same_site(request):
            raise FormRefused()
        worker = await ME_SESSION.worker(request, db_session)
        if worker is not None and not ME_SESSION.csrf_ok(request, await request.form()):
            raise FormRefused(viewer=worker)
        response: Redirect = Redirect(HOME, status_code=303)
        ME_SESSION.end(response)
        return response


me_static = static_files(STATIC_PATH, STATIC_DIR, "me-static")

PAGE_ROUTES = [MeSessionController, me_static, MePageController]
