"""Platform-neutral readers for decoded task-list payloads.

Shared by the platform parsers (`scrapers.mturk`, `scrapers.prolific`): JSON decoding, dotted
error paths, and type-checked field readers (text, ids, numbers, money, counts, booleans,
currency codes) that raise `PayloadError(<path>, message)` on anything unexpected. The rules
they apply are described in `scrapers.mturk`'s module docstring.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import msgspec

from scrapers import ids
from scrapers.durations import stated_seconds_from_text
from scrapers.model import PayloadError

MAX_TEXT_CHARS = 2000
MAX_ID_CHARS = 128
MAX_REWARD_MINOR = 1_000_000  # $10,000 / £10,000 in minor units
MAX_COUNT = 10**9

_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,%d}" % MAX_ID_CHARS)
_NUMERIC_STR_RE = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
_CURRENCY_RE = re.compile(r"[A-Za-z]{3}")
MISSING = object()


def join_path(parent: str, key: str | int) -> str:
    """`results` + 3 -> `results[3]`; `results[3]` + `title` -> `results[3].title`."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def load_json(payload: Any) -> Any:
    """Decode bytes/str JSON; pass already-decoded dicts/lists through."""
    data: bytes | str
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
    """obj[key], or MISSING. Never raises (mappings from callers may be odd)."""
    try:
        return obj.get(key, MISSING)
    except Exception:  # noqa: BLE001 - a hostile Mapping subclass must not escape as non-PayloadError
        return MISSING


def is_absent(value: Any) -> bool:
    return value is MISSING or value is None


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
    if value is MISSING or value is None:
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


def requester_id_of(obj: Mapping, key: str, path: str, platform: str) -> str:
    """A required requester id of `platform` (scrapers/ids.py): the platform's own pages never show another."""
    value = required_id(obj, key, path)
    problem = ids.requester_id_problem(platform, value)
    if problem is not None:
        raise PayloadError(join_path(path, key), problem)
    return value


def group_id_of(obj: Mapping, key: str, path: str, platform: str) -> str | None:
    """An optional task group id of `platform` (an MTurk hit_set_id, a Prolific study id; scrapers/ids.py)."""
    value = optional_id(obj, key, path)
    if value is None:
        return None
    problem = ids.group_id_problem(platform, value)
    if problem is not None:
        raise PayloadError(join_path(path, key), problem)
    return value


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
        if value is MISSING:
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
