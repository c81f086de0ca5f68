"""Amazon Mechanical Turk task lists (worker.mturk.com) -> `Task`.

Two inputs carry the same result objects (see /work/shared/fixtures/mturk/worker_mturk_json_shapes.json):

* the search JSON (`GET https://worker.mturk.com/?...&format=json`): `{"results": [ ... ]}`;
* the search HTML page, whose `HitSetTable` element carries them as `bodyData` inside an
  HTML-entity-escaped `data-react-props` attribute.

How payloads are judged (shared with `scrapers.prolific`, which imports the readers below):

* Required per task: requester id, title, reward. Everything else is optional; absent or `null`
  optional fields give the `Task` default. Unknown fields are ignored and never traversed.
* Fields we map are type-checked: a present field of the wrong type raises
  `PayloadError(<dotted path>, message)`, e.g. `results[3].monetary_reward.amount_in_dollars:
  must be a number`. A type change in a platform payload means our mapping may be wrong, so it
  is reported rather than guessed around.
* Numbers: ints and finite floats are accepted, and so are numeric strings ("0.25", " 12 ");
  booleans are never numbers, NaN/Infinity/"1e3"/"abc" are rejected. Money is computed with
  `Decimal` from the number's shortest repr, so 0.29 dollars is 29 cents, never 28; half a cent
  rounds up. Negative rewards and rewards over $10,000 (1,000,000 minor units) are errors.
  Counts and durations must be whole, non-negative and below 10**9.
* Text (title, description, requester name) is stripped, NUL and other control characters
  (except tab and newline) are removed because PostgreSQL text cannot hold NUL, and anything
  longer than 2,000 characters is *truncated* (to 1,999 characters plus "…"), not rejected: a
  rambling description is no reason to drop a task. A title that is empty after stripping is an
  error (it is part of the task identity).
* Identifiers (requester id, hit_set_id) are *not* truncated, because a truncated key would
  alias another one: they must be 1-128 letters, digits, '-' or '_' or the payload is rejected.
* URLs are only ever built on https://worker.mturk.com: `project_tasks_url` must be a path on
  that host (or an absolute URL on it); anything else (another host, `javascript:`) is an error.
* Decoding: bytes/str are JSON (UTF-8, an optional BOM is skipped); anything that is not valid
  JSON, too deeply nested, or has out-of-range numbers is `PayloadError("payload", ...)`.
  The 100-task page limit is the API's business, not enforced here.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any

import msgspec

from scrapers.durations import stated_seconds_from_text
from scrapers.model import PayloadError, Task

__all__ = [
    "MASTERS_QUAL_IDS",
    "MTURK_BASE_URL",
    "parse_hitset_table_html",
    "parse_search",
]

MTURK_BASE_URL = "https://worker.mturk.com"

MASTERS_QUAL_IDS: frozenset[str] = frozenset(
    {
        "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH",  # Masters, production
        "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6",  # Masters, sandbox
    }
)

# ---------------------------------------------------------------------------------------------
# Payload readers. Shared with scrapers/prolific.py (imported there, not copied); they belong in
# a neutral module such as scrapers/_payload.py once one exists.
# ---------------------------------------------------------------------------------------------

MAX_TEXT_CHARS = 2000
MAX_ID_CHARS = 128
MAX_REWARD_MINOR = 1_000_000  # $10,000 / £10,000 in minor units
MAX_COUNT = 10**9

_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,%d}" % MAX_ID_CHARS)
_NUMERIC_STR_RE = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
_CURRENCY_RE = re.compile(r"[A-Za-z]{3}")
_MISSING = object()


def join_path(parent: str, key: str | int) -> str:
    """`results` + 3 -> `results[3]`; `results[3]` + `title` -> `results[3].title`."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def load_json(payload: Any) -> Any:
    """Decode bytes/str JSON; pass already-decoded dicts/lists through."""
    if isinstance(payload, (bytes, bytearray, memoryview)):
        data = bytes(payload)
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
    elif isinstance(payload, str):
        data = payload.lstrip("\ufeff")
    elif isinstance(payload, (Mapping, list, tuple)):
        return payload
    else:
        raise PayloadError("payload", f"must be JSON text or a decoded object, not {type(payload).__name__}")
    try:
        return msgspec.json.decode(data)
    except RecursionError:
        raise PayloadError("payload", "not valid JSON (nested too deeply)") from None
    except (msgspec.DecodeError, ValueError) as exc:  # ValueError: unencodable str (lone surrogates)
        raise PayloadError("payload", f"not valid JSON ({exc})") from None


def describe_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def require_object(value: Any, path: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise PayloadError(path, f"must be an object, not {describe_type(value)}")
    return value


def get_field(obj: Mapping, key: str) -> Any:
    """obj[key], or _MISSING. Never raises (mappings from callers may be odd)."""
    try:
        return obj.get(key, _MISSING)
    except Exception:  # noqa: BLE001 - a hostile Mapping subclass must not escape as non-PayloadError
        return _MISSING


def is_absent(value: Any) -> bool:
    return value is _MISSING or value is None


def optional_list(obj: Mapping, key: str, path: str) -> list | None:
    value = get_field(obj, key)
    if is_absent(value):
        return None
    if not isinstance(value, (list, tuple)):
        raise PayloadError(join_path(path, key), f"must be a list, not {describe_type(value)}")
    return list(value)


def optional_object(obj: Mapping, key: str, path: str) -> Mapping | None:
    value = get_field(obj, key)
    if is_absent(value):
        return None
    return require_object(value, join_path(path, key))


def clean_text(value: str) -> str:
    """Strip, drop control characters and lone surrogates, truncate to MAX_TEXT_CHARS."""
    value = _SURROGATE_RE.sub("\ufffd", value)
    value = _CONTROL_RE.sub("", value).strip()
    if len(value) > MAX_TEXT_CHARS:
        value = value[: MAX_TEXT_CHARS - 1].rstrip() + "…"
    return value


def required_text(obj: Mapping, key: str, path: str) -> str:
    value = get_field(obj, key)
    full = join_path(path, key)
    if value is _MISSING or value is None:
        raise PayloadError(full, "is required")
    if not isinstance(value, str):
        raise PayloadError(full, f"must be a string, not {describe_type(value)}")
    text = clean_text(value)
    if not text:
        raise PayloadError(full, "must not be empty")
    return text


def optional_text(obj: Mapping, key: str, path: str, transform: Callable[[str], str] | None = None) -> str:
    """Cleaned text or ""; `transform` (e.g. HTML to plain text) runs before cleaning/truncation."""
    value = get_field(obj, key)
    if is_absent(value):
        return ""
    if not isinstance(value, str):
        raise PayloadError(join_path(path, key), f"must be a string, not {describe_type(value)}")
    if transform is not None:
        value = transform(value)
    return clean_text(value)


def check_id(value: Any, path: str) -> str:
    if isinstance(value, str):
        value = value.strip()
        if _ID_RE.fullmatch(value):
            return value
        raise PayloadError(path, f"must be an id of 1-{MAX_ID_CHARS} letters, digits, '-' or '_'")
    raise PayloadError(path, f"must be a string, not {describe_type(value)}")


def required_id(obj: Mapping, key: str, path: str) -> str:
    value = get_field(obj, key)
    if is_absent(value):
        raise PayloadError(join_path(path, key), "is required")
    return check_id(value, join_path(path, key))


def optional_id(obj: Mapping, key: str, path: str) -> str | None:
    value = get_field(obj, key)
    if is_absent(value):
        return None
    return check_id(value, join_path(path, key))


def to_decimal(value: Any, path: str) -> Decimal:
    """A finite number from an int, float or numeric string; booleans and anything else rejected."""
    if isinstance(value, bool):
        raise PayloadError(path, "must be a number, not a boolean")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PayloadError(path, "must be a finite number")
        return Decimal(repr(value))
    if isinstance(value, str):
        if len(value) <= 64 and _NUMERIC_STR_RE.fullmatch(value):
            try:
                return Decimal(value.strip())
            except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
                pass
        raise PayloadError(path, "must be a number (a numeric string is accepted)")
    raise PayloadError(path, f"must be a number, not {describe_type(value)}")


def to_minor_units(value: Any, path: str, *, scale: int) -> int:
    """Money as whole minor units: `value * scale`, half-up, 0 <= result <= MAX_REWARD_MINOR."""
    amount = to_decimal(value, path)
    if amount < 0:
        raise PayloadError(path, "must not be negative")
    # Compare before scaling so absurd exponents never reach quantize().
    if amount > Decimal(MAX_REWARD_MINOR) / scale:
        raise PayloadError(path, f"is implausibly large (over {MAX_REWARD_MINOR // 100:,} in major units)")
    return int((amount * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def optional_count(obj: Mapping, key: str, path: str, *, scale: int = 1) -> int | None:
    """A whole, non-negative quantity (count, seconds; minutes with scale=60), or None if absent."""
    value = get_field(obj, key)
    if is_absent(value):
        return None
    full = join_path(path, key)
    number = to_decimal(value, full)
    if number < 0:
        raise PayloadError(full, "must not be negative")
    if number * scale >= MAX_COUNT:
        raise PayloadError(full, "is implausibly large")
    if scale == 1 and number != number.to_integral_value():
        raise PayloadError(full, "must be a whole number")
    return int((number * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def optional_bool(obj: Mapping, key: str, path: str) -> bool | None:
    value = get_field(obj, key)
    if is_absent(value):
        return None
    if not isinstance(value, bool):
        raise PayloadError(join_path(path, key), f"must be a boolean, not {describe_type(value)}")
    return value


def optional_currency(obj: Mapping, key: str, path: str, default: str) -> str:
    value = get_field(obj, key)
    if is_absent(value):
        return default
    full = join_path(path, key)
    if not isinstance(value, str):
        raise PayloadError(full, f"must be a string, not {describe_type(value)}")
    value = value.strip()
    if not _CURRENCY_RE.fullmatch(value):
        raise PayloadError(full, "must be a 3-letter ISO 4217 currency code")
    return value.upper()


def task_list(data: Any, keys: tuple[str, ...]) -> tuple[list, str]:
    """The list of task objects in a decoded payload, and the path prefix naming it.

    `data` is either a bare list (prefix "") or an object holding the list under one of `keys`.
    """
    if isinstance(data, (list, tuple)):
        return list(data), ""
    if not isinstance(data, Mapping):
        raise PayloadError("payload", f"must be a JSON object or list, not {describe_type(data)}")
    for key in keys:
        value = get_field(data, key)
        if value is _MISSING:
            continue
        if not isinstance(value, (list, tuple)):
            raise PayloadError(key, f"must be a list, not {describe_type(value)}")
        return list(value), key
    raise PayloadError(keys[0], "is required (" + " or ".join(repr(k) for k in keys) + ")")


def stated_seconds_from(*texts: str) -> int | None:
    for text in texts:
        seconds = stated_seconds_from_text(text)
        if seconds is not None:
            return seconds
    return None


# ---------------------------------------------------------------------------------------------
# MTurk mapping
# ---------------------------------------------------------------------------------------------

_MASTERS_EXCLUDING_COMPARATORS = {"DoesNotExist", "NotEqualTo", "NotIn"}


def _masters_required(result: Mapping, path: str) -> bool:
    """True when an AcceptHit-level requirement demands a Masters qualification.

    Search results list requirements under `project_requirements`; queue items under
    `hit_requirements`. A requirement that *excludes* Masters (DoesNotExist) does not count.
    """
    required = False
    for key in ("project_requirements", "hit_requirements"):
        reqs = optional_list(result, key, path)
        if reqs is None:
            continue
        for i, req in enumerate(reqs):
            req_path = join_path(join_path(path, key), i)
            req = require_object(req, req_path)
            qual_id = get_field(req, "qualification_type_id")
            if is_absent(qual_id):
                qual_type = optional_object(req, "qualification_type", req_path)
                qual_id = get_field(qual_type, "qualification_type_id") if qual_type else None
                id_path = join_path(join_path(req_path, "qualification_type"), "qualification_type_id")
            else:
                id_path = join_path(req_path, "qualification_type_id")
            if is_absent(qual_id):
                continue
            if not isinstance(qual_id, str):
                raise PayloadError(id_path, f"must be a string, not {describe_type(qual_id)}")
            comparator = get_field(req, "comparator")
            if not is_absent(comparator) and not isinstance(comparator, str):
                raise PayloadError(join_path(req_path, "comparator"), f"must be a string, not {describe_type(comparator)}")
            if qual_id.strip() in MASTERS_QUAL_IDS and comparator not in _MASTERS_EXCLUDING_COMPARATORS:
                required = True
    return required


def _task_url(result: Mapping, path: str, hit_set_id: str | None) -> str | None:
    value = get_field(result, "project_tasks_url")
    if not is_absent(value):
        full = join_path(path, "project_tasks_url")
        if not isinstance(value, str):
            raise PayloadError(full, f"must be a string, not {describe_type(value)}")
        value = value.strip()
        if value.startswith(MTURK_BASE_URL + "/"):
            value = value[len(MTURK_BASE_URL):]
        if (
            not value.startswith("/")
            or value.startswith("//")
            or len(value) > MAX_TEXT_CHARS
            or any(c.isspace() or ord(c) < 32 or c in "\\<>\"'" for c in value)
        ):
            raise PayloadError(full, "must be a path on worker.mturk.com")
        return MTURK_BASE_URL + value
    if hit_set_id:
        return f"{MTURK_BASE_URL}/projects/{hit_set_id}/tasks"
    return None


def _parse_result(raw: Any, path: str) -> Task:
    result = require_object(raw, path)
    requester_id = required_id(result, "requester_id", path)
    title = required_text(result, "title", path)

    reward_path = join_path(path, "monetary_reward")
    reward = get_field(result, "monetary_reward")
    if is_absent(reward):
        raise PayloadError(reward_path, "is required")
    reward = require_object(reward, reward_path)
    amount = get_field(reward, "amount_in_dollars")
    amount_path = join_path(reward_path, "amount_in_dollars")
    if is_absent(amount):
        raise PayloadError(amount_path, "is required")
    reward_cents = to_minor_units(amount, amount_path, scale=100)
    currency = optional_currency(reward, "currency_code", reward_path, "USD")

    hit_set_id = optional_id(result, "hit_set_id", path)
    description = optional_text(result, "description", path)
    return Task(
        platform="mturk",
        requester_id=requester_id,
        requester_name=optional_text(result, "requester_name", path),
        title=title,
        reward_cents=reward_cents,
        currency=currency,
        hit_set_id=hit_set_id,
        description=description,
        stated_seconds=stated_seconds_from(title, description),
        time_allotted_seconds=optional_count(result, "assignment_duration_in_seconds", path),
        available=optional_count(result, "assignable_hits_count", path),
        qualified=optional_bool(result, "caller_meets_requirements", path),
        masters_required=_masters_required(result, path),
        url=_task_url(result, path, hit_set_id),
    )


def parse_search(payload: bytes | str | dict | list) -> list[Task]:
    """Tasks from a worker.mturk.com search response, in page order.

    Accepts the full search JSON (`{"results": [...]}`), the HitSetTable react props
    (`{"bodyData": [...]}`), or a bare list of result objects; as JSON bytes/str or already
    decoded. Raises `PayloadError` (and nothing else) naming the first bad field.
    """
    data = load_json(payload)
    results, prefix = task_list(data, ("results", "bodyData"))
    return [_parse_result(item, join_path(prefix, i)) for i, item in enumerate(results)]


class _ReactPropsFinder(HTMLParser):
    """Collects `data-react-props` of elements whose `data-react-class` names HitSetTable."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.props: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value for name, value in attrs}
        react_class = attributes.get("data-react-class") or ""
        props = attributes.get("data-react-props")
        if "HitSetTable" in react_class and props is not None:
            self.props.append(props)

    handle_startendtag = handle_starttag


def parse_hitset_table_html(html: str) -> list[Task]:
    """Tasks from a worker.mturk.com search page's HitSetTable react props.

    The attribute value is entity-escaped JSON (`{&quot;bodyData&quot;:[...]}`); error paths are
    then `bodyData[i]....`. A page without a HitSetTable (login page, captcha, error page) raises
    `PayloadError("data-react-props", ...)`.
    """
    if isinstance(html, (bytes, bytearray)):
        html = bytes(html).decode("utf-8", errors="replace")
    if not isinstance(html, str):
        raise PayloadError("html", f"must be a string, not {describe_type(html)}")
    finder = _ReactPropsFinder()
    try:
        finder.feed(html)
        finder.close()
    except Exception as exc:  # noqa: BLE001 - HTMLParser is lenient, but never let it escape
        raise PayloadError("html", f"cannot be parsed ({exc.__class__.__name__})") from None
    if not finder.props:
        raise PayloadError("data-react-props", "no HitSetTable element with data-react-props found")
    data = load_json(finder.props[0])
    if isinstance(data, Mapping) and get_field(data, "bodyData") is _MISSING and get_field(data, "results") is _MISSING:
        raise PayloadError("bodyData", "is required")
    return parse_search(data)
