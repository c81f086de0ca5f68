"""Turkopticon-compatible read routes: TO1 `/api/multi-attrs.php` and TO2 `/requesters`, `/requesters/{rid}`.

Existing userscripts only change the host. Counting is SQL (GROUP BY requester over visible local reviews
UNION ALL imported reviews, demo data included), whatever the number of reviews; TO2 adds other communities'
published aggregates of requesters whose reviews we do not hold (mapping.imported_periods: only the counts they carry).
Every response, errors included, carries `Access-Control-Allow-Origin: *` set here, so these routes stay
open to scripts on any page even where the app-wide CORS policy is stricter.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.enums import ParamType
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIType, Operation, Parameter, Schema
from sqlalchemy import ColumnElement, String, and_, case, cast, exists, func, literal, or_, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from server.compat import mapping
from server.db.models import ImportedReview, Requester, Review, Source, SourceRequesterStats, TaskType, utcnow
from server.domain.aggregate import RECENT
from server.domain.vocab import RATING_DIMENSIONS
from server.errors import error_responses
from server.requesters.queries import summaries

log = logging.getLogger("fairfinder.compat")

OPEN = {"Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"}
# TO1 is served as text/html like PHP's default; this keeps a browser that opens the URL from running anything.
TO1_HEADERS = {**OPEN, "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}
TO1_MEDIA_TYPE = "text/html"  # Litestar adds "; charset=utf-8" to text/ types, as PHP did
TO2_MEDIA_TYPE = "application/json; charset=utf-8"  # what Rails' `render json:` sent
TAGS = ["turkopticon"]

# --- counting in SQL ---------------------------------------------------------------------------------


def _valid(column: Any) -> ColumnElement[bool]:
    return column.between(mapping.RATING_MIN, mapping.RATING_MAX)


def _has_flag(flags: Any, flag: str) -> ColumnElement[bool]:
    # flags is a JSON list stored as text: match the quoted name; `_` is a LIKE wildcard, so escape it.
    return flags.like('%"' + flag.replace("_", "\\_") + '"%', escape="\\")


def _flag(condition: ColumnElement[bool]) -> Any:
    return case((condition, 1), else_=0)


def _reviews_of(requester_ids: list[int], recent_since: datetime | None) -> Any:
    """Local and imported reviews of these requesters: the facts counted, and what each row needs worked out once
    (given ratings, flags, whether it is recent) so that the aggregate does not recompute them per column."""
    def branch(model: type[Review] | type[ImportedReview]) -> Any:
        dimensions = [getattr(model, f"rating_{dimension}") for dimension in RATING_DIMENSIONS]
        flags = cast(model.flags, String)
        # Held and hidden local reviews count nowhere (server/moderation); imported ones have no status.
        shown = Review.status == "visible" if model is Review else true()
        return (
            select(
                model.requester_id.label("requester_id"),
                *(column.label(dimension) for column, dimension in zip(dimensions, RATING_DIMENSIONS)),
                model.worked_seconds.label("worked_seconds"),
                model.outcome.label("outcome"),
                model.approval_seconds.label("approval_seconds"),
                model.bonus_cents.label("bonus_cents"),
                TaskType.reward_cents.label("reward_cents"),
                sum((_flag(_valid(c)) for c in dimensions), literal(0)).label("given_n"),
                sum((case((_valid(c), c), else_=0) for c in dimensions), literal(0)).label("given_sum"),
                _flag(or_(*(_has_flag(flags, flag) for flag in mapping.TOS_FLAGS))).label("is_tos"),
                _flag(_has_flag(flags, mapping.BROKEN_FLAG)).label("is_broken"),
                (_flag(model.updated_at >= recent_since) if recent_since is not None else literal(0)).label("is_recent"),
            )
            .select_from(model)
            .outerjoin(TaskType, TaskType.id == model.task_type_id)
            .where(model.requester_id.in_(requester_ids), shown)
        )

    return union_all(branch(Review), branch(ImportedReview)).subquery("compat_reviews")


def _tally_columns(r: Any) -> list[Any]:
    """SUM(CASE …) columns named like mapping.Tally's fields."""
    def count_if(condition: ColumnElement[bool]) -> Any:
        return func.sum(_flag(condition))

    def sum_if(value: Any, condition: ColumnElement[bool]) -> Any:
        return func.sum(case((condition, value), else_=0))

    has_rate = and_(r.c.worked_seconds > 0, r.c.reward_cents.is_not(None))
    pay36 = (r.c.reward_cents + func.coalesce(r.c.bonus_cents, 0)) * 36  # dollars/h = pay36 / worked_seconds
    columns: dict[str, Any] = {"reviews": func.count()}
    for attr, dimension in mapping.TO1_ATTRS:
        columns[f"n_{attr}"] = count_if(_valid(r.c[dimension]))
        columns[f"sum_{attr}"] = sum_if(r.c[dimension], _valid(r.c[dimension]))
    columns |= {
        "comm_yes": count_if(and_(_valid(r.c.communication), r.c.communication >= mapping.GOOD_RATING)),
        "recommend_yes": count_if(and_(r.c.given_n > 0, r.c.given_sum >= r.c.given_n * mapping.GOOD_RATING)),
        "recommend_n": count_if(r.c.given_n > 0),
        "rejected_yes": count_if(r.c.outcome.in_(mapping.REJECTED_OUTCOMES)),
        "rejected_n": count_if(and_(r.c.outcome.is_not(None), r.c.outcome.not_in(mapping.UNDECIDED_OUTCOMES))),
        "tos": func.sum(r.c.is_tos),
        "broken": func.sum(r.c.is_broken),
        "reward_cents": sum_if(r.c.reward_cents, has_rate),
        "reward_seconds": sum_if(r.c.worked_seconds, has_rate),
        "reward_n": count_if(has_rate),
        "pending_sum": sum_if(r.c.approval_seconds, r.c.approval_seconds > 0),
        "pending_n": count_if(r.c.approval_seconds > 0),
        "rate_n": count_if(has_rate),
    }
    # Bucket bounds compared without dividing: rate >= edge  ⇔  pay36 >= edge * worked_seconds.
    for index, (_, lower, upper) in enumerate(mapping.PAY_BUCKETS):
        in_bucket = and_(has_rate, pay36 >= r.c.worked_seconds * lower)
        if upper is not None:
            in_bucket = and_(in_bucket, pay36 < r.c.worked_seconds * upper)
        columns[mapping.bucket_column(index)] = count_if(in_bucket)
    assert set(columns) == {*mapping.TALLY_COUNTS, *map(mapping.bucket_column, range(len(mapping.PAY_BUCKETS)))}
    return [expression.label(name) for name, expression in columns.items()]


async def tallies(session: AsyncSession, requester_ids: list[int], recent_since: datetime | None = None
                  ) -> dict[int, tuple[mapping.Tally, mapping.Tally]]:
    """Per requester with reviews: the tally of all of them and of those updated since `recent_since`.

    One query: at most two groups per requester (older, recent); "all" is their sum. Without `recent_since`
    every review is older and the recent tally is empty.
    """
    if not requester_ids:
        return {}
    r = _reviews_of(requester_ids, recent_since)
    rows = (await session.execute(
        select(r.c.requester_id, r.c.is_recent, *_tally_columns(r)).group_by(r.c.requester_id, r.c.is_recent))).mappings()
    parts: dict[int, dict[bool, mapping.Tally]] = {}
    for row in rows:
        parts.setdefault(row["requester_id"], {})[bool(row["is_recent"])] = mapping.tally_from_row(row)
    empty = mapping.Tally()
    return {requester_id: (mapping.add_tallies(halves.get(False, empty), halves.get(True, empty)), halves.get(True, empty))
            for requester_id, halves in parts.items()}


async def _requesters(session: AsyncSession, external_ids: list[str]) -> dict[str, tuple[int, str]]:
    """external id → (row id, name) of the MTurk requesters among these ids."""
    if not external_ids:
        return {}
    rows = await session.execute(select(Requester.external_id, Requester.id, Requester.name).where(
        Requester.platform == mapping.PLATFORM, Requester.external_id.in_(external_ids)))
    return {external_id: (row_id, name) for external_id, row_id, name in rows}


async def imported_aggregates(session: AsyncSession, requester_ids: list[int]) -> dict[int, list[mapping.SourceFigures]]:
    """Other communities' published aggregates of these requesters, by requester row id, in source-name order:
    only from sources none of whose reviews of that requester we hold (those reviews are counted one by one above,
    and the source's aggregates of them would count them twice). Every source counts fully, as /api/v1/requesters
    counts them without a worker's weights."""
    if not requester_ids:
        return {}
    held = exists().where(ImportedReview.source_id == SourceRequesterStats.source_id,
                          ImportedReview.requester_id == SourceRequesterStats.requester_id)
    rows = await session.execute(
        select(Source.kind, SourceRequesterStats).join(Source, Source.id == SourceRequesterStats.source_id)
        .where(SourceRequesterStats.requester_id.in_(requester_ids), ~held).order_by(Source.name))
    found: dict[int, list[mapping.SourceFigures]] = {}
    for kind, row in rows.all():
        found.setdefault(row.requester_id, []).append(mapping.SourceFigures(
            kind=kind, reviews=row.reviews, summary=row.summary or {}, ratings=row.ratings or {},
            rejections=row.rejections, approval_seconds=row.approval_seconds, recent=row.recent or {},
            flag_counts=row.flag_counts or {}, extra=row.extra or {}))
    return found


Known = tuple[str, mapping.Tally, mapping.Tally, list[mapping.SourceFigures]]


async def known_requesters(session: AsyncSession, external_ids: list[str], recent_since: datetime | None
                           ) -> dict[str, Known]:
    """external id → (name, all, recent, other communities' aggregates) of the requesters with at least one
    review here or in another community's aggregates (a requester known only from an imported file is answered);
    the others are unknown. Without `recent_since` every review is older and the recent tally is empty."""
    found = await _requesters(session, external_ids)
    row_ids = [row_id for row_id, _ in found.values()]
    counted = await tallies(session, row_ids, recent_since)
    imported = await imported_aggregates(session, row_ids)
    empty = mapping.Tally()
    result = {}
    for external_id, (row_id, name) in found.items():
        everything, recent = counted.get(row_id, (empty, empty))
        theirs = imported.get(row_id, [])
        if everything.reviews > 0 or any(figures.reviews > 0 for figures in theirs):
            result[external_id] = (name, everything, recent, theirs)
    return result


# --- responses -----------------------------------------------------------------------------------


def _to1(content: bytes | str, status: int = 200) -> Response[bytes]:
    body = content.encode() if isinstance(content, str) else content
    return Response(body, status_code=status, media_type=TO1_MEDIA_TYPE, headers=TO1_HEADERS)


def _to2(document: dict[str, Any], status: int = 200) -> Response[bytes]:
    return Response(msgspec.json.encode(document), status_code=status, media_type=TO2_MEDIA_TYPE, headers=OPEN)


def _to2_error(status: int, detail: str | None = None) -> Response[bytes]:
    return _to2(mapping.to2_error(status, detail), status)


async def _guarded(request: Request[Any, Any, Any], answer: Callable[[], Awaitable[Response[bytes]]],
                   failure: Callable[[], Response[bytes]]) -> Response[bytes]:
    """Run a handler; an unexpected error still answers with the open CORS header (and is logged, route only)."""
    try:
        return await answer()
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return failure()


# --- the OpenAPI document ----------------------------------------------------------------------------
# The handlers read their query parameters raw, as Turkopticon's PHP and Rails did (the last of repeated
# values counts; nothing is refused in Fairfinder's error shape), so the parameters are described here
# rather than declared in the signatures.


def _query(name: str, description: str, *, required: bool = False, min_length: int | None = None) -> Parameter:
    return Parameter(name=name, param_in=ParamType.QUERY, required=required, description=description,
                     schema=Schema(type=OpenAPIType.STRING, min_length=min_length))


def _with_parameters(*parameters: Parameter) -> type[Operation]:
    @dataclass
    class _Documented(Operation):
        def __post_init__(self) -> None:
            self.parameters = [*(self.parameters or []), *parameters]

    return _Documented


_FIELDS = _query("fields[requesters]", "JSON:API sparse fieldset: the attributes to send, in this order, from "
                 "`name`, `rid`, `aggregates`, `aliases` (unknown names are ignored). Another `fields…` parameter "
                 "without this one is a 400.")
_FRONT = ("414, 429, 431 and 503 (overloaded) come from the server's front layer, before these routes run, in Fairfinder's own error "
          "shape `{status, code, message}`, not Turkopticon's.")


def _to2_error_spec(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=mapping.To2Errors, media_type=TO2_MEDIA_TYPE, generate_examples=False,
                        description=f"Turkopticon 2's error document: {description}")


# Everything but 400 in Fairfinder's shape (414, 429, 431: server/security.py; 503: server/loadshed.py); 400 in Turkopticon 2's.
_TO2_FRONT = {status: spec for status, spec in error_responses().items() if status != 400}


# --- Turkopticon 1 ---------------------------------------------------------------------------------


@get("/api/multi-attrs.php", tags=TAGS, media_type=TO1_MEDIA_TYPE, summary="Turkopticon 1: attrs of up to 100 MTurk requesters",
     description="`?ids=A1B2C3,D4E5F6`: a JSON object (served as text/html, like Turkopticon's PHP) with, per id asked, "
                 "`{name, attrs: {comm, pay, fair, fast}, pay_buckets, reviews, tos_flags}` or \"\" when unknown. "
                 "A missing or malformed `ids` answers a plain-text usage sentence. See docs/turkopticon-api.md. " + _FRONT,
     response_description="JSON text served as text/html (parse it whatever the Content-Type says), or the usage sentence.",
     responses={status: spec for status, spec in error_responses().items() if status != 400},
     operation_class=_with_parameters(_query(
         "ids", "Comma-separated MTurk requester ids (letters and digits), at most 100 distinct. Missing, empty or "
                "malformed: the answer is a plain-text usage sentence, still with status 200.")))
async def multi_attrs(request: Request[Any, Any, Any], db_session: AsyncSession) -> Response[bytes]:
    async def answer() -> Response[bytes]:
        values = request.query_params.getall("ids", [])
        ids = mapping.parse_ids(values[-1] if values else None)  # PHP's $_GET keeps the last value
        if ids is None:
            return _to1(mapping.USAGE)
        known = await known_requesters(db_session, ids, None)
        # The rating means are the requester's figures as every surface shows them (weighted, rounded once:
        # server/requesters/queries.py summaries); a requester known only from another community's aggregates
        # (an imported Turkopticon file) is shown too, its counts where those aggregates say them.
        shown = await summaries(db_session, mapping.PLATFORM, list(known))
        entries = {rid: mapping.to1_entry(name, everything, {d: s.mean for d, s in shown[rid].scores.items()}, imported)
                   for rid, (name, everything, _, imported) in known.items()}
        return _to1(mapping.to1_body(ids, entries))

    return await _guarded(request, answer, lambda: _to1("The server could not complete the request.", 500))


# --- Turkopticon 2 ---------------------------------------------------------------------------------


def _accept_error(request: Request[Any, Any, Any], path: str) -> Response[bytes] | None:
    problem = mapping.accept_problem(request.headers.get("accept"))
    if problem == 415 and path == "/requesters":
        return _to2_error(415, f"Specified path '{path}' does not exist.")
    if problem is not None:  # a vendor type of another version, or a non-JSON Accept on /requesters/{rid}:
        return _to2_error(404)  # Turkopticon 2's catch-all route answered a bare 404
    return None


@get("/requesters", tags=TAGS, media_type=TO2_MEDIA_TYPE, summary="Turkopticon 2: aggregates of MTurk requesters (JSON:API)",
     description="`?rids=A1B2C3,D4E5F6` (at most 100; unknown ones are left out), optional "
                 "`fields[requesters]=name,rid,aggregates,aliases`. See docs/turkopticon-api.md. " + _FRONT,
     responses={
         200: ResponseSpec(data_container=mapping.To2Index, media_type=TO2_MEDIA_TYPE, generate_examples=False,
                           description="The requesters asked for that have reviews here or in another community's "
                                       "imported aggregates, in the order asked."),
         **_TO2_FRONT,
         400: _to2_error_spec("`rids` missing or empty, more than 100 of them, or a `fields…` parameter without "
                              "`fields[requesters]`."),
         404: _to2_error_spec("an Accept header naming a Turkopticon vendor type of a version it never had."),
         415: _to2_error_spec("an Accept header that allows no JSON."),
     },
     operation_class=_with_parameters(
         _query("rids", "Comma-separated MTurk requester ids, at most 100 distinct; ids with no review here nor in "
                        "an imported community's aggregates are left out of `data`.", required=True, min_length=1),
         _FIELDS))
async def to2_index(request: Request[Any, Any, Any], db_session: AsyncSession) -> Response[bytes]:
    async def answer() -> Response[bytes]:
        refused = _accept_error(request, "/requesters")
        if refused is not None:
            return refused
        values = request.query_params.getall("rids", [])
        rids = mapping.parse_rids(values[-1] if values else None)
        if rids is None:
            return _to2_error(400, mapping.MISSING_RIDS)
        if len(rids) > mapping.MAX_IDS:
            return _to2_error(400, mapping.TOO_MANY_RIDS)
        attributes = mapping.requested_attributes(request.query_params.multi_items(), mapping.TO2_INDEX_ATTRIBUTES)
        if attributes is None:
            return _to2_error(400, mapping.BAD_FIELDS)
        known = await known_requesters(db_session, rids, utcnow() - RECENT)
        data = []
        for rid in rids:  # in the order asked
            if rid in known:
                name, everything, recent, imported = known[rid]
                data.append(mapping.to2_datum(rid, name, everything, recent, attributes, imported))
        return _to2({"data": data, "status": 200})

    return await _guarded(request, answer, lambda: _to2_error(500))


@get("/requesters/{rid:str}", tags=TAGS, media_type=TO2_MEDIA_TYPE, summary="Turkopticon 2: one MTurk requester (JSON:API)",
     description="404 in Turkopticon 2's error shape when we have no review of it, here or in an imported community's "
                 "aggregates. See docs/turkopticon-api.md. " + _FRONT,
     responses={
         200: ResponseSpec(data_container=mapping.To2Show, media_type=TO2_MEDIA_TYPE, generate_examples=False,
                           description="The requester."),
         **_TO2_FRONT,
         400: _to2_error_spec("a `fields…` parameter without `fields[requesters]`."),
         404: _to2_error_spec("no review of this requester here nor in imported aggregates, or an Accept header that "
                              "allows no JSON or names "
                              "a Turkopticon vendor type of a version it never had."),
     },
     operation_class=_with_parameters(_FIELDS))
async def to2_show(rid: str, request: Request[Any, Any, Any], db_session: AsyncSession) -> Response[bytes]:
    async def answer() -> Response[bytes]:
        refused = _accept_error(request, f"/requesters/{rid}")
        if refused is not None:
            return refused
        known = await known_requesters(db_session, [rid], utcnow() - RECENT) if len(rid) <= mapping.MAX_RID_LENGTH else {}
        if rid not in known:
            return _to2_error(404, mapping.unknown_requester(rid))
        attributes = mapping.requested_attributes(request.query_params.multi_items(), mapping.TO2_SHOW_ATTRIBUTES)
        if attributes is None:
            return _to2_error(400, mapping.BAD_FIELDS)
        name, everything, recent, imported = known[rid]
        return _to2({"data": mapping.to2_datum(rid, name, everything, recent, attributes, imported), "status": 200})

    return await _guarded(request, answer, lambda: _to2_error(500))


COMPAT_ROUTES = [multi_attrs, to2_index, to2_show]
