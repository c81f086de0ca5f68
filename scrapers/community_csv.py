"""A CSV of reviews a community keeps by hand (a shared spreadsheet, exported) -> `ReviewRecord`s.

Pure: a text stream in, records out. The columns are described in `CSV_COLUMNS` and, with a sample, in
docs/importing.md ("A community CSV"); the sample is tests/fixtures/community/sample.csv.

The file
--------
* UTF-8, with or without a BOM (open it with ``encoding="utf-8-sig", newline=""``; a BOM left in the
  stream is skipped anyway). Windows (CRLF) or Unix line endings. Blank lines are skipped.
* Delimiter `,`, `;` or tab, detected with `csv.Sniffer` on the header line (`,` when the header is a
  single column). Fields may be quoted with `"` (and then hold delimiters and line breaks).
* A header row is required. Names are matched case-insensitively, ignoring surrounding spaces, with
  spaces and `-` read as `_` ("Requester ID" is `requester_id`). Unknown columns are ignored, order is
  free, a known column given twice is an error. Short rows are padded with blanks.

Each row is one review
----------------------
Blank and missing cells take the defaults in `CSV_COLUMNS`. Every problem raises
`ImportError_(message, "line N, column X")` (N is the physical line the row starts on, 1 = the header),
so the importer applies nothing from a file with a mistake in it. Checked: a missing requester_id, a
rating that is not 1..5 / blank / n/a, negative or zero or absurd minutes, minutes and seconds both
given, a reward without a title or a title without a reward (and reward and reward_cents disagreeing),
a bad currency, platform, date or id, any field longer than `max_field_chars`, more than `max_rows`
rows, and an id used twice in the file. Outcomes and flags are passed through (lower-cased; in flags
spaces and `-` become `_`); the importer checks them against our vocabulary.

Review ids
----------
A row with an `id` keeps it (re-importing the file replaces that review). A row without one gets a
stable id: the first 24 hex digits of the SHA-256 of the source name and the row's normalized content
(every parsed field except `requester_name`, so fixing a requester's spelling is not a new review), so
re-importing the same file is idempotent. Consequences to know:

* Editing a row without an id gives it a new id: the edited review is imported as a new one, and the
  old version disappears only when the file is imported as a full replacement (then everything the
  file no longer contains is removed). Give rows an `id` column if they will be edited.
* Two identical rows without ids are two reviews (two workers can report the same thing): the second
  gets the occurrence number mixed into its hash, so both stay stable across re-imports.
* Renaming the source (`source_name`) changes every generated id.
"""
from __future__ import annotations

import csv
import hashlib
import itertools
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TextIO

import msgspec

from scrapers.ratings import ImportError_, ReviewRecord, TaskIdentity

__all__ = ["CSV_COLUMNS", "RATING_COLUMNS", "read_csv"]

RATING_COLUMNS = ("pay", "fairness", "speed", "communication")

CSV_COLUMNS: dict[str, str] = {
    "platform": "Platform name, lower case (mturk, prolific, ...). Default mturk.",
    "requester_id": "REQUIRED. The platform's requester id (1-128 letters, digits, '-', '_', '.').",
    "requester_name": "The requester's name as shown on the platform (at most 200 characters).",
    "title": "Task title (at most 500 characters). Give it with a reward, or leave both blank for a review "
             "of the requester as a whole.",
    "reward": "Reward per task in major units: 0.50, $0.50 or 0,50 (at most 10000).",
    "reward_cents": "Reward in minor units (50), instead of `reward`; if both are given they must agree.",
    "currency": "ISO 4217 code of the reward. Default USD.",
    "minutes": "Minutes worked on one task, decimal (12.5). Or use `seconds`; not both.",
    "seconds": "Seconds worked on one task, whole. Or use `minutes`; not both.",
    "pay": "Rating 1 (worst) to 5 (best); blank, n/a, na or - for no rating.",
    "fairness": "Rating 1..5 or blank / n/a.",
    "speed": "Rating 1..5 (of approval speed) or blank / n/a.",
    "communication": "Rating 1..5 or blank / n/a.",
    "outcome": "approved, rejected, pending, returned or blocked; blank if not known.",
    "flags": "Warning flags separated by ';' or ',' (underpaid; broken; unpaid screener ...).",
    "comment": "Free text (at most max_field_chars, 4000 by default). May hold line breaks when quoted.",
    "date": "When the work was done: ISO date (2024-05-01) or date-time (2024-05-01T14:30:00Z); "
            "a date or a time without zone is UTC.",
    "id": "This review's id within the file (1-128 letters, digits, '-', '_', '.', ':'). Optional: "
          "without it a stable hash of the row is used (see the module docs).",
}

_DELIMITERS = ",;\t"
_NA = frozenset({"", "n/a", "na", "-", "none", "null"})
_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_REVIEW_ID_RE = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
_PLATFORM_RE = re.compile(r"[a-z][a-z0-9_]{1,31}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_DECIMAL_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_FLAG_SPLIT_RE = re.compile(r"[;,]")
_MAX_REWARD_CENTS = 1_000_000
_MAX_SECONDS = 7 * 24 * 3600
_MAX_NAME = 200
_MAX_TITLE = 500
_HASH_HEX = 24


def _normalize_header(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def _sniff(header_line: str) -> str:
    """The delimiter: csv.Sniffer's guess, unless only another candidate yields a requester_id column.

    On a single line the Sniffer prefers ',' whenever one occurs ("requester_id;pay;notes, misc"), so its
    guess is checked against the one column every file must have.
    """
    try:
        guess = csv.Sniffer().sniff(header_line, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: header_line.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        guess = best if counts[best] else ","
    for delimiter in [guess] + [d for d in _DELIMITERS if d != guess]:
        try:
            names = next(csv.reader([header_line], delimiter=delimiter), [])
        except csv.Error:
            continue
        if "requester_id" in (_normalize_header(name) for name in names):
            return delimiter
    return guess


class _Row:
    """One data row's cells by column name, with errors located at line/column."""

    def __init__(self, cells: dict[str, str], line: int) -> None:
        self.cells = cells
        self.line = line

    def error(self, column: str | None, message: str) -> ImportError_:
        where = f"line {self.line}, column {column}" if column else f"line {self.line}"
        return ImportError_(message, where)

    def get(self, column: str) -> str:
        return self.cells.get(column, "").strip()


def _text(value: str) -> str:
    return _CONTROL_RE.sub("", value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _decimal(row: _Row, column: str, value: str) -> Decimal:
    text = value.replace(" ", "")
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")  # 0,50 from a spreadsheet in a decimal-comma locale
    if len(text) > 32 or _DECIMAL_RE.fullmatch(text) is None:
        raise row.error(column, f"must be a number, not {value!r}")
    return Decimal(text)


def _rating(row: _Row, column: str) -> int | None:
    value = row.get(column)
    if value.lower() in _NA:
        return None
    try:
        number = _decimal(row, column, value)
    except ImportError_:
        raise row.error(column, f"must be a rating 1-5, blank or n/a, not {value!r}") from None
    if number != number.to_integral_value() or not 1 <= number <= 5:
        raise row.error(column, f"must be a rating 1-5, blank or n/a, not {value!r}")
    return int(number)


def _task(row: _Row) -> TaskIdentity | None:
    title = _text(row.get("title"))
    reward_text = row.get("reward")
    cents_text = row.get("reward_cents")
    cents: int | None = None
    if reward_text:
        amount = _decimal(row, "reward", reward_text.removeprefix("$").strip())
        if amount < 0:
            raise row.error("reward", "must not be negative")
        if amount > Decimal(_MAX_REWARD_CENTS) / 100:
            raise row.error("reward", "is implausibly large (over 10,000)")
        cents = int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if cents_text:
        number = _decimal(row, "reward_cents", cents_text)
        if number != number.to_integral_value() or number < 0 or number > _MAX_REWARD_CENTS:
            raise row.error("reward_cents", f"must be whole cents from 0 to {_MAX_REWARD_CENTS}, not {cents_text!r}")
        if cents is not None and cents != int(number):
            raise row.error("reward_cents", f"disagrees with reward ({reward_text!r} is {cents} cents)")
        cents = int(number)
    if not title and cents is None:
        return None
    if not title:
        raise row.error("reward_cents" if cents_text and not reward_text else "reward", "a reward needs a title")
    if cents is None:
        raise row.error("title", "a title needs a reward (reward or reward_cents)")
    if len(title) > _MAX_TITLE:
        raise row.error("title", f"is longer than {_MAX_TITLE} characters")
    currency = row.get("currency").upper() or "USD"
    if not _CURRENCY_RE.fullmatch(currency):
        raise row.error("currency", f"must be a 3-letter ISO 4217 code, not {row.get('currency')!r}")
    return TaskIdentity(title=title, reward_cents=cents, currency=currency)


def _worked_seconds(row: _Row) -> int | None:
    minutes = row.get("minutes")
    seconds = row.get("seconds")
    if minutes and seconds:
        raise row.error("seconds", "give minutes or seconds, not both")
    if not minutes and not seconds:
        return None
    column, text, scale = ("minutes", minutes, 60) if minutes else ("seconds", seconds, 1)
    number = _decimal(row, column, text)
    if number < 0:
        raise row.error(column, f"must not be negative, not {text!r}")
    if scale == 1 and number != number.to_integral_value():
        raise row.error(column, f"must be whole seconds, not {text!r}")
    value = int((number * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if value < 1:
        raise row.error(column, f"must be at least 1 second, not {text!r}")
    if value > _MAX_SECONDS:
        raise row.error(column, f"must be at most 7 days, not {text!r}")
    return value


def _created_at(row: _Row) -> datetime | None:
    text = row.get("date")
    if not text:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise row.error("date", f"must be an ISO date (2024-05-01) or date-time, not {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _flags(row: _Row) -> list[str]:
    flags: list[str] = []
    for part in _FLAG_SPLIT_RE.split(row.get("flags")):
        flag = re.sub(r"[\s-]+", "_", _text(part).lower())
        if flag and flag not in flags:
            flags.append(flag)
    return flags


def _content_hash(source_name: str, record: ReviewRecord, occurrence: int) -> str:
    content = msgspec.structs.asdict(record)
    content.pop("id")
    content.pop("requester_name")
    payload: list[Any] = [source_name, occurrence, content]
    digest = hashlib.sha256(msgspec.json.encode(payload, order="sorted")).hexdigest()
    return digest[:_HASH_HEX]


def _record(row: _Row) -> ReviewRecord:
    platform = row.get("platform").lower() or "mturk"
    if not _PLATFORM_RE.fullmatch(platform):
        raise row.error("platform", f"must be a platform name like mturk, not {row.get('platform')!r}")
    requester_id = row.get("requester_id")
    if not requester_id:
        raise row.error("requester_id", "is required")
    if not _ID_RE.fullmatch(requester_id):
        raise row.error("requester_id", "must be 1-128 letters, digits, '-', '_' or '.'")
    name = _text(row.get("requester_name"))
    if len(name) > _MAX_NAME:
        raise row.error("requester_name", f"is longer than {_MAX_NAME} characters")
    outcome = row.get("outcome").lower() or None
    return ReviewRecord(
        id="",
        platform=platform,
        requester_id=requester_id,
        requester_name=name,
        task=_task(row),
        ratings={column: _rating(row, column) for column in RATING_COLUMNS},
        worked_seconds=_worked_seconds(row),
        outcome=outcome,
        flags=_flags(row),
        comment=_text(row.cells.get("comment", "")),
        created_at=_created_at(row),
    )


def read_csv(
    stream: TextIO,
    *,
    source_name: str,
    max_rows: int = 1_000_000,
    max_field_chars: int = 4000,
) -> Iterator[ReviewRecord]:
    """Yield one `ReviewRecord` per data row; raise `ImportError_` at the first problem (see module docs)."""
    consumed: list[str] = []  # blank lines before the header, then the header line, fed back to the reader
    header_line = stream.readline()
    while header_line and not header_line.strip("\ufeff \t\r\n"):
        consumed.append(header_line)
        header_line = stream.readline()
    if not header_line:
        raise ImportError_("the file is empty (a header row is required)", "line 1")
    consumed.append(header_line)
    consumed[0] = consumed[0].lstrip("\ufeff")  # a BOM the stream's decoder left in
    delimiter = _sniff(header_line.lstrip("\ufeff").splitlines()[0])
    reader = csv.reader(itertools.chain(consumed, stream), delimiter=delimiter, quotechar='"', strict=False)

    def next_row() -> tuple[list[str], int] | None:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return None
            except csv.Error as exc:
                raise ImportError_(f"not readable as CSV ({exc})", f"line {start}") from None
            if any(cell.strip() for cell in cells):
                return cells, start

    first = next_row()
    if first is None:  # pragma: no cover - a non-blank header line always yields a row
        raise ImportError_("the file is empty (a header row is required)", "line 1")
    header, header_line_no = first
    columns: list[str | None] = []
    for raw_name in header:
        name = _normalize_header(raw_name)
        if name in CSV_COLUMNS:
            if name in columns:
                raise ImportError_("this column appears twice in the header", f"line {header_line_no}, column {name}")
            columns.append(name)
        else:
            columns.append(None)  # ignored
    if "requester_id" not in columns:
        raise ImportError_(
            f"the header has no requester_id column (found: {', '.join(repr(h) for h in header[:20])})",
            f"line {header_line_no}",
        )

    seen_ids: set[str] = set()
    occurrences: dict[str, int] = {}
    rows = 0
    while (item := next_row()) is not None:
        cells, line = item
        rows += 1
        if rows > max_rows:
            raise ImportError_(f"too many rows (at most {max_rows})", f"line {line}")
        values: dict[str, str] = {}
        for column, cell in zip(columns, cells):
            if column is None:
                continue
            if len(cell) > max_field_chars:
                raise ImportError_(f"longer than {max_field_chars} characters", f"line {line}, column {column}")
            values[column] = cell
        row = _Row(values, line)
        record = _record(row)
        given_id = row.get("id")
        if given_id:
            if not _REVIEW_ID_RE.fullmatch(given_id):
                raise row.error("id", "must be 1-128 letters, digits, '-', '_', '.' or ':'")
            record.id = given_id
        else:
            base = _content_hash(source_name, record, 0)
            occurrence = occurrences.get(base, 0)
            occurrences[base] = occurrence + 1
            record.id = base if occurrence == 0 else _content_hash(source_name, record, occurrence)
        if record.id in seen_ids:
            raise row.error("id", f"the id {record.id!r} is used twice in this file")
        seen_ids.add(record.id)
        yield record
