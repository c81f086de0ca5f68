"""Annotate's parsing: the body straight from bytes to AnnotateIn, then the page's tasks.

Litestar decodes a JSON body to Python builtins and then converts those into the handler's type: two passes
over a 50 KB body, the largest single cost of an annotate call once its lookups are cached
(docs/benchmarks.md). `AnnotateRequest.json()` decodes the bytes into `AnnotateIn` in one msgspec pass
instead; Litestar's conversion then finds the value already of the declared type and keeps it. The handler
still declares `data: AnnotateIn`, so the OpenAPI document is unchanged, and errors keep Litestar's exact
shape (the same ValidationException, with the same keys and messages, that server/errors.py turns into
the one error body): tests/api/test_annotate_parsing.py compares them with the typed route's.
"""
from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import SerializationException, ValidationException
from litestar.types import Empty

from scrapers import mturk, prolific
from scrapers.model import PayloadError, Task
from server.errors import ApiError
from server.tasks.schemas import MAX_TASKS, AnnotateIn

_DECODER = msgspec.json.Decoder(AnnotateIn, strict=False)  # strict=False: as Litestar converts (lax numbers)
_PATH = re.compile(r"`\$\.(.+)`$")  # Litestar's ERR_RE: the value's path in msgspec's message


def decode_annotate(body: bytes, method: str, path: str) -> AnnotateIn:
    """The body as AnnotateIn, or the exception Litestar would raise for it."""
    try:
        return _DECODER.decode(body or b"null")
    except msgspec.ValidationError as error:
        try:
            msgspec.json.decode(body or b"null")  # Litestar reports unreadable JSON before any field
        except msgspec.DecodeError as not_json:
            raise SerializationException(str(not_json)) from not_json
        message = str(error)
        match = _PATH.search(message)
        key = match.group(1) if match else "data"
        raise ValidationException(detail=f"Validation failed for {method} {path}",
                                  extra=[{"message": message.split(" - ", maxsplit=1)[0], "key": key,
                                          "source": "body"}]) from error
    except msgspec.DecodeError as error:
        raise SerializationException(str(error)) from error


class AnnotateRequest(Request[Any, Any, Any]):
    """The annotate route's request: its JSON body decodes straight into AnnotateIn."""

    async def json(self) -> Any:
        if self._json is Empty:
            if (decoded := self._connection_state.json) is Empty:
                decoded = self._connection_state.json = decode_annotate(await self.body(), self.method, self.url.path)
            self._json = decoded
        return self._json


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
