"""Reading another community's open ratings dump (docs/ratings-dump.md, schema `fairfinder.ratings` v1).

    meta, records = read_dump(stream)
    for record in records: ...

The stream is gunzipped and split into lines incrementally: at most one line (≤ `max_line_bytes`) and one
chunk are held at a time, however large the dump. The meta line is read at once (so a wrong file fails
before any record); the records come from an iterator that raises `ImportError_` at the first problem,
naming the line (and the field). Problems found only at the end (a missing end line, a wrong count, a
truncated gzip stream) are raised after the last record, so an importer consumes the iterator fully once
to validate and then reads the file again to apply it: `read_dump` starts at the beginning of a seekable
stream (it seeks to 0) and reads only the first chunk before returning, so calling it twice is cheap. Use
one iterator per stream at a time.

What is checked here: the gzip stream (complete, intact, not followed by other data), the size limits,
the meta line (schema and version), every record's shape and types, ratings 1..5 or null, identities that
fit our columns, the order of kinds (deleted, requester, task_type, review; review ids ascending), no
record twice, and the end line's count. What is not: the vocabulary. An outcome is any string of at most
16 characters and flags are kept as they are, known or not; the importer checks both against
server/domain/vocab.py (this package must not import the server) and drops what it does not know.
"""
from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

import msgspec

from scrapers.model import title_key
from scrapers.ratings import (
    DeletedRecord,
    ImportError_,
    ImportMeta,
    Record,
    RequesterRecord,
    ReviewRecord,
    TaskIdentity,
    TaskTypeRecord,
)

SCHEMA = "fairfinder.ratings"
SCHEMA_VERSION = 1
READ_SIZE = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"
MAX_OUTCOME = 16
# Column sizes of the tables records end up in (server/db/models.py).
MAX_PLATFORM = 32
MAX_EXTERNAL_ID = 128
MAX_NAME = 200
MAX_TITLE = 500

TRUNCATED = "the file is truncated or corrupt"
_KIND_ORDER = {"deleted": 0, "requester": 1, "task_type": 2, "review": 3}
_AT = re.compile(r" - at `\$((?:\.[^`]*|\[[^`]*)?)`$")
_MISSING = re.compile(r"^Object missing required field `([^`]+)`")


class _Head(msgspec.Struct):
    """The first line, read loosely: enough to say what kind of file this is."""

    type: Any = None
    schema: Any = None
    schema_version: Any = None


class _Meta(msgspec.Struct, kw_only=True):
    schema: str
    schema_version: int
    licence: str | None = None
    licence_url: str | None = None
    community: str | None = None
    generated_at: str | None = None
    full: bool
    since: str | None = None
    next_since: str | None = None


class _MetaAgain(msgspec.Struct, tag="meta", tag_field="type"):
    pass


class _End(msgspec.Struct, tag="end", tag_field="type"):
    records: int


_LINE = msgspec.json.Decoder(RequesterRecord | TaskTypeRecord | ReviewRecord | DeletedRecord | _End | _MetaAgain)


def read_dump(stream: BinaryIO, *, max_line_bytes: int = 1 << 20,
              max_total_bytes: int = 8 << 30) -> tuple[ImportMeta, Iterator[Record]]:
    """The dump's meta data, and an iterator over its records that raises ImportError_ on any problem."""
    if _seekable(stream):
        stream.seek(0)
    lines = _lines(stream, max_line_bytes, max_total_bytes)
    first = next(lines, None)
    if first is None:
        raise ImportError_("the dump is empty: it has no meta line", "line 1")
    meta = _read_meta(first[1])
    info = ImportMeta(kind="fairfinder", full=meta.full, cursor=meta.next_since, source_name=meta.community,
                      licence=meta.licence)
    return info, _records(lines, meta.full)


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError):
        return False


# --- bytes to lines -----------------------------------------------------------------------------------


def _lines(stream: BinaryIO, max_line_bytes: int, max_total_bytes: int) -> Iterator[tuple[int, bytes]]:
    """(line number, line without its newline), gunzipping as it goes."""
    data = stream.read(READ_SIZE)
    if not data:
        raise ImportError_("the file is empty")
    if data[:2] != GZIP_MAGIC[: len(data)]:
        raise ImportError_("the file is not gzip-compressed (a Fairfinder dump is gzip-compressed JSON Lines, "
                           ".jsonl.gz)")
    decompressor = zlib.decompressobj(wbits=31)
    pending = bytearray()  # the start of the line being read
    line_no = 1
    total = 0
    while True:
        if not data:
            data = stream.read(READ_SIZE)
            if not data:
                break
        if decompressor.eof:  # another gzip member follows (`cat a.gz b.gz` is a valid gzip file), or junk
            if data[:2] != GZIP_MAGIC:
                raise ImportError_("the file goes on after the end of its gzip stream", f"line {line_no}")
            decompressor = zlib.decompressobj(wbits=31)
        try:
            out = decompressor.decompress(data, READ_SIZE)  # bounded output: a gzip bomb cannot flood memory
        except zlib.error:
            raise ImportError_(TRUNCATED, f"line {line_no}") from None
        data = decompressor.unused_data if decompressor.eof else decompressor.unconsumed_tail
        total += len(out)
        if total > max_total_bytes:
            raise ImportError_(f"the dump is larger than {max_total_bytes} bytes uncompressed", f"line {line_no}")
        start = 0
        while (newline := out.find(b"\n", start)) >= 0:
            if len(pending) + newline - start > max_line_bytes:
                raise ImportError_(f"the line is longer than {max_line_bytes} bytes", f"line {line_no}")
            if pending:
                pending += out[start:newline]
                line = bytes(pending)
                pending.clear()
            else:
                line = out[start:newline]
            yield line_no, line
            line_no += 1
            start = newline + 1
        pending += out[start:]
        if len(pending) > max_line_bytes:
            raise ImportError_(f"the line is longer than {max_line_bytes} bytes", f"line {line_no}")
    if not decompressor.eof:
        raise ImportError_(TRUNCATED, f"line {line_no}")
    if pending:  # the last line may go without its newline
        yield line_no, bytes(pending)


# --- lines to records ---------------------------------------------------------------------------------


def _read_meta(line: bytes) -> _Meta:
    try:
        head = msgspec.json.decode(line, type=_Head)
    except (msgspec.DecodeError, msgspec.ValidationError):
        head = None
    if head is None or head.type != "meta":
        raise ImportError_("the first line must be the meta object", "line 1")
    if head.schema != SCHEMA:
        raise ImportError_(f"not a Fairfinder ratings dump: its schema is {head.schema!r}, not {SCHEMA!r}",
                           "line 1, field schema")
    version = head.schema_version
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ImportError_(f"not a Fairfinder ratings dump: unknown schema_version {version!r}",
                           "line 1, field schema_version")
    if version > SCHEMA_VERSION:
        raise ImportError_(f"the dump has schema version {version}, newer than the version this Fairfinder reads "
                           f"({SCHEMA_VERSION}): upgrade Fairfinder to import it", "line 1, field schema_version")
    try:
        return msgspec.json.decode(line, type=_Meta)
    except msgspec.ValidationError as error:
        raise _shape_error(error, 1) from None


def _shape_error(error: msgspec.ValidationError, line_no: int) -> ImportError_:
    """msgspec's words, with the field moved into `where`: 'line 7, field task.reward_cents'."""
    message = str(error)
    path = ""
    at = _AT.search(message)
    if at:
        message = message[: at.start()]
        path = at.group(1).lstrip(".").replace("[...]", "")  # msgspec does not name the key of a bad dict value
    missing = _MISSING.match(message)
    if missing:
        path = f"{path}.{missing.group(1)}" if path else missing.group(1)
        message = "this field is required"
    return ImportError_(message, f"line {line_no}, field {path}" if path else f"line {line_no}")


def _decode(line: bytes, line_no: int) -> Any:
    if not line.strip():
        raise ImportError_("an empty line (each line must be one JSON object)", f"line {line_no}")
    try:
        return _LINE.decode(line)
    except msgspec.ValidationError as error:
        if str(error).endswith("- at `$.type`"):
            try:
                kind = msgspec.json.decode(line).get("type")
            except (msgspec.DecodeError, AttributeError):
                kind = None
            raise ImportError_(f"unknown record type {kind!r}", f"line {line_no}, field type") from None
        raise _shape_error(error, line_no) from None
    except msgspec.DecodeError as error:
        raise ImportError_(f"not valid JSON ({error})", f"line {line_no}") from None


def _records(lines: Iterator[tuple[int, bytes]], full: bool) -> Iterator[Record]:
    checks = _Checks(full)
    end: tuple[int, _End] | None = None
    last = 1
    for line_no, line in lines:
        last = line_no
        if end is not None:
            raise ImportError_(f"data after the end line (line {end[0]})", f"line {line_no}")
        record = _decode(line, line_no)
        if isinstance(record, _End):
            end = (line_no, record)
            continue
        if isinstance(record, _MetaAgain):
            raise ImportError_("a second meta object (only the first line is one)", f"line {line_no}")
        checks.check(record, line_no)
        yield record
    if end is None:
        raise ImportError_("incomplete dump: it has no end line (it was cut short)", f"line {last + 1}")
    if end[1].records != checks.count:
        raise ImportError_(f"incomplete dump: the end line counts {end[1].records} records, the dump holds "
                           f"{checks.count}", f"line {end[0]}")


def _digest(*parts: object) -> int:
    """A 128-bit fingerprint of an identity: sets of millions of them stay small."""
    return int.from_bytes(hashlib.blake2b(msgspec.json.encode(parts), digest_size=16).digest(), "big")


def _review_order(review_id: str) -> tuple[int, int, str]:
    return (0, int(review_id), review_id) if review_id.isdigit() else (1, 0, review_id)


class _Checks:
    """Order, uniqueness and values of the records, one at a time."""

    def __init__(self, full: bool) -> None:
        self.full = full
        self.count = 0
        self.kind = "deleted"
        self.kind_line = 0
        self.seen: dict[int, int] = {}  # identity fingerprint → line (requesters, task types, deletions)
        self.last_review: tuple[tuple[int, int, str], str, int] | None = None  # order key, id, line

    def check(self, record: Record, line_no: int) -> None:
        self.count += 1
        where = f"line {line_no}"
        kind = record.__struct_config__.tag
        assert isinstance(kind, str)
        if _KIND_ORDER[kind] < _KIND_ORDER[self.kind]:
            raise ImportError_(f"a {kind} record after {self.kind} records (line {self.kind_line}): the order is "
                               "deleted, requester, task_type, review", where)
        if kind != self.kind:
            self.kind, self.kind_line = kind, line_no
        if isinstance(record, DeletedRecord):
            self._deleted(record, line_no)
        elif isinstance(record, RequesterRecord):
            _identity(record.platform, record.requester_id, line_no)
            _text(record.name, MAX_NAME, "name", line_no)
            _counts(record, ("reviews", "rejections", "blocks"), line_no)
            for dimension, pair in record.ratings.items():
                if len(pair) != 2 or pair[0] < 0:
                    raise ImportError_("expected [n, sum] with n >= 0", f"{where}, field ratings.{dimension}")
            self._once(_digest("requester", record.platform, record.requester_id.strip()), "requester", line_no)
        elif isinstance(record, TaskTypeRecord):
            _identity(record.platform, record.requester_id, line_no)
            _text(record.requester_name, MAX_NAME, "requester_name", line_no)
            _task(record.task, "task", line_no)
            _counts(record, ("samples", "reviews"), line_no)
            self._once(_task_digest("task_type", record.platform, record.requester_id, record.task), "task type", line_no)
        elif isinstance(record, ReviewRecord):
            self._review(record, line_no)

    def _once(self, key: int, what: str, line_no: int) -> None:
        earlier = self.seen.setdefault(key, line_no)
        if earlier != line_no:
            raise ImportError_(f"the same {what} appears twice: lines {earlier} and {line_no}", f"line {line_no}")

    def _deleted(self, record: DeletedRecord, line_no: int) -> None:
        where = f"line {line_no}"
        if self.full:
            raise ImportError_("a full dump carries no deleted records (only incremental ones do)", where)
        if record.kind == "review":
            if not record.id:
                raise ImportError_("this field is required for a deleted review", f"{where}, field id")
            _text(record.id, MAX_EXTERNAL_ID, "id", line_no)
            self._once(_digest("deleted review", record.id), "deleted record", line_no)
            return
        for name in ("platform", "requester_id"):
            if not getattr(record, name):
                raise ImportError_(f"this field is required for a deleted {record.kind}", f"{where}, field {name}")
        _identity(record.platform or "", record.requester_id or "", line_no)
        if record.kind == "requester":
            self._once(_digest("deleted requester", record.platform, (record.requester_id or "").strip()),
                       "deleted record", line_no)
            return
        if record.task is None:
            raise ImportError_("this field is required for a deleted task_type", f"{where}, field task")
        _task(record.task, "task", line_no)
        self._once(_task_digest("deleted task_type", record.platform or "", record.requester_id or "", record.task),
                   "deleted record", line_no)

    def _review(self, record: ReviewRecord, line_no: int) -> None:
        where = f"line {line_no}"
        if not record.id.strip():
            raise ImportError_("a review needs an id", f"{where}, field id")
        _text(record.id, MAX_EXTERNAL_ID, "id", line_no)
        _identity(record.platform, record.requester_id, line_no)
        _text(record.requester_name, MAX_NAME, "requester_name", line_no)
        if record.task is not None:
            _task(record.task, "task", line_no)
        for dimension, value in record.ratings.items():
            if value is not None and not 1 <= value <= 5:
                raise ImportError_(f"a rating is 1 to 5 or null, not {value}", f"{where}, field ratings.{dimension}")
        if record.outcome is not None:
            _text(record.outcome, MAX_OUTCOME, "outcome", line_no)
        for name in ("worked_seconds", "approval_seconds", "bonus_cents"):
            value = getattr(record, name)
            if value is not None and value < 0:
                raise ImportError_("must not be negative", f"{where}, field {name}")
        key = _review_order(record.id)
        if self.last_review is not None:
            last_key, last_id, last_line = self.last_review
            if key == last_key:
                raise ImportError_(f"review {record.id!r} appears twice: lines {last_line} and {line_no}", where)
            if key < last_key:
                raise ImportError_(f"review {record.id!r} comes after review {last_id!r} (line {last_line}): reviews "
                                   "are in ascending order of id", where)
        self.last_review = (key, record.id, line_no)


def _task_digest(what: str, platform: str, requester_id: str, task: TaskIdentity) -> int:
    return _digest(what, platform, requester_id.strip(), title_key(task.title), task.reward_cents, task.currency.upper())


def _text(value: str, limit: int, field: str, line_no: int) -> None:
    if len(value) > limit:
        raise ImportError_(f"longer than {limit} characters", f"line {line_no}, field {field}")


def _identity(platform: str, requester_id: str, line_no: int) -> None:
    if not platform.strip():
        raise ImportError_("must not be blank", f"line {line_no}, field platform")
    if not requester_id.strip():
        raise ImportError_("must not be blank", f"line {line_no}, field requester_id")
    _text(platform, MAX_PLATFORM, "platform", line_no)
    _text(requester_id, MAX_EXTERNAL_ID, "requester_id", line_no)


def _task(task: TaskIdentity, field: str, line_no: int) -> None:
    where = f"line {line_no}, field {field}"
    if not task.title.strip():
        raise ImportError_("must not be blank", f"{where}.title")
    _text(task.title, MAX_TITLE, f"{field}.title", line_no)
    if task.reward_cents < 0:
        raise ImportError_("must not be negative", f"{where}.reward_cents")
    if not re.fullmatch(r"[A-Za-z]{3}", task.currency):
        raise ImportError_(f"a currency is three letters (ISO 4217), not {task.currency!r}", f"{where}.currency")


def _counts(record: Any, names: tuple[str, ...], line_no: int) -> None:
    for name in names:
        value = getattr(record, name, 0)
        if value < 0:
            raise ImportError_("must not be negative", f"line {line_no}, field {name}")
