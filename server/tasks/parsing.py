"""Annotate's parsing: the body straight from bytes to AnnotateIn, then the page's tasks.

Litestar decodes a JSON body to Python builtins and then converts those into the handler's type: two passes
over a 50 KB body, the largest single cost of an annotate call once its lookups are cached
(docs/benchmarks.md). The annotate route reads the raw body and decodes it here in one msgspec pass, into
AnnotateIn (the handler has no `data` parameter; a dependency that is never called declares one, so the
OpenAPI document still describes the body exactly: server/tasks/routes.py). Errors keep Litestar's exact
shape (the same exceptions, with the same keys and messages, that server/errors.py turns into the one error
body): tests/api/test_annotate_parsing.py compares them with the typed route's, byte for byte.

A Task's text fields must not hold NUL (scrapers/model.py checks it with a regular expression per field:
~600 per page, most of the decoding time). JSON can only carry NUL as the escape \u0000, so a body without
that escape cannot fail those checks: it is decoded with the same types minus them. Any other body, and any
body that fails, is decoded with the full types, which give the canonical answer.
"""
from __future__ import annotations

import re
from typing import Annotated

import msgspec
from litestar.exceptions import ClientException, ValidationException

from scrapers import mturk, prolific
from scrapers.model import PayloadError, Task
from server.errors import ApiError
from server.requesters.checks import check_task_ids
from server.tasks.schemas import MAX_TASKS, AnnotateIn


class _TaskWithoutNul(Task, kw_only=True):
    """Task without its NUL checks (see above), nor the patterns of `platform` and `currency`, which
    `_patterns_hold` checks for the whole page at once; the other bounds are Task's. A Task, so used as one."""

    platform: Annotated[str, msgspec.Meta(min_length=2, max_length=32)]
    currency: str = "USD"
    requester_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    requester_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    hit_set_id: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class _AnnotateInWithoutNul(AnnotateIn, kw_only=True, forbid_unknown_fields=True):
    # A narrower item type for the same field: decoded tasks are still Tasks.
    tasks: Annotated[list[_TaskWithoutNul], msgspec.Meta(max_length=MAX_TASKS)] | None = None  # type: ignore[assignment]


_FULL = msgspec.json.Decoder(AnnotateIn, strict=False)  # strict=False: as Litestar converts (lax numbers)
_WITHOUT_NUL = msgspec.json.Decoder(_AnnotateInWithoutNul, strict=False)
_ANY = msgspec.json.Decoder()
_PATH = re.compile(r"`\$\.(.+)`$")  # Litestar's ERR_RE: the value's path in msgspec's message


def decode_annotate(body: bytes, method: str, path: str) -> AnnotateIn:
    """The body as AnnotateIn, or the exception Litestar's typed handling raises for it (an unreadable body:
    the ClientException its route turns a SerializationException into)."""
    if not body:
        # What Litestar answers a required `data` without a body (server/errors.py: missing_body).
        raise ValidationException(detail=f"Validation failed for {method} {path}",
                                  extra=[{"message": "'data'", "key": "data", "source": "body"}])
    if b"\\u0000" not in body:
        try:
            decoded = _WITHOUT_NUL.decode(body)
        except msgspec.DecodeError:
            pass  # answered below, as Litestar answers it
        else:
            if _patterns_hold(decoded):
                return decoded
    try:
        return _FULL.decode(body)
    except msgspec.DecodeError:
        pass
    # What Litestar does with a body, step by step, for its exact answer: decode to builtins (unreadable JSON
    # is a 400), then convert (msgspec checks a list's length before its items here, unlike when decoding).
    try:
        value = _ANY.decode(body)
    except msgspec.DecodeError as not_json:
        raise ClientException(str(not_json)) from not_json
    try:
        return msgspec.convert(value, AnnotateIn, strict=False, str_keys=True)
    except msgspec.ValidationError as error:
        message = str(error)
        match = _PATH.search(message)
        raise ValidationException(detail=f"Validation failed for {method} {path}",
                                  extra=[{"message": message.split(" - ", maxsplit=1)[0],
                                          "key": match.group(1) if match else "data", "source": "body"}]) from error


def _patterns_hold(data: AnnotateIn) -> bool:
    """What the fast types leave out: every task's platform is the page's (which matched its pattern, so theirs
    do too; a task of another platform is refused later anyway) and its currency three ASCII capitals."""
    platform = data.platform
    for task in data.tasks or ():
        currency = task.currency
        if task.platform != platform or len(currency) != 3 or not (currency.isascii() and currency.isalpha()
                                                                    and currency.isupper()):
            return False
    return True


def document_body(data: AnnotateIn) -> None:
    """Never called: declared as a dependency of the annotate route, so that Litestar's OpenAPI document
    describes the body the route decodes itself (Litestar documents a dependency's `data`)."""


def parse_tasks(data: AnnotateIn) -> list[Task]:
    given = [name for name in ("tasks", "raw", "raw_html") if getattr(data, name) is not None]
    if len(given) != 1:
        raise ApiError(422, "invalid_field", "Give exactly one of tasks, raw or raw_html.", given[1] if given[1:] else "tasks")
    if data.tasks is not None:
        tasks = data.tasks
        for i, task in enumerate(tasks):
            if task.platform != data.platform:
                raise ApiError(422, "invalid_field", f"tasks[{i}].platform: differs from the request's platform.",
                               f"tasks[{i}].platform")
            # Stored stripped as part of the task's identity: a blank one would name no requester or task.
            for name in ("requester_id", "title"):
                if not getattr(task, name).strip():
                    raise ApiError(422, "invalid_field", f"tasks[{i}].{name}: must not be blank.", f"tasks[{i}].{name}")
            # Only the platform's own ids name a requester or make a link (scrapers/ids.py).
            check_task_ids(data.platform, task.requester_id, task.hit_set_id, f"tasks[{i}].")
        return tasks
    try:
        if data.platform == "mturk":
            tasks = mturk.parse_hitset_table_html(data.raw_html) if data.raw_html is not None else mturk.parse_search(data.raw)
        elif data.platform == "prolific" and data.raw is not None:
            tasks = prolific.parse_studies(data.raw)
        else:
            raise ApiError(422, "unsupported_payload",
                           f"No parser reads a raw {data.platform} {'page' if data.raw_html else 'payload'}; send tasks.",
                           "raw_html" if data.raw_html is not None else "raw")
    except PayloadError as error:
        source = "raw_html" if data.raw_html is not None else "raw"
        raise ApiError(422, "invalid_payload", f"{source}.{error.field}: {error.message}", f"{source}.{error.field}") from None
    if len(tasks) > MAX_TASKS:
        raise ApiError(422, "too_many_tasks", f"A page may hold at most {MAX_TASKS} tasks; got {len(tasks)}.", "raw")
    return tasks
