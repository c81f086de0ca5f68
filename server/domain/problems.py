"""What is wrong with a request, in words: every problem of a body or of a query at once.

msgspec stops at the first problem and words it for programmers ("Expected `str` matching regex '^[a-z]…'").
`problems_of` walks the expected type (msgspec.inspect) beside the value that came and lists every problem, each
with the dotted path of its field, one code per kind of problem and a message that says what is allowed: the
allowed values of a choice, the limit that was passed, what a pattern allows in words (PATTERN_WORDS). The codes:

| code | the value |
| --- | --- |
| `required` | is missing |
| `unknown_field` | is a field this request does not have (the message lists those it has) |
| `wrong_type` | is of another kind (text for a number, a list for an object, …) |
| `not_allowed` | is not one of the allowed values (the message lists them) |
| `too_short` / `too_long` | has fewer / more characters or items than allowed |
| `too_small` / `too_large` | is below / above the allowed range |
| `not_matching` | does not have the allowed form (the message says which, in words) |
| `invalid` | is wrong in another way (the message says how) |

Pure: no framework; server/errors.py turns the list into the error answer.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import msgspec
import msgspec.inspect as mi

from server.domain.text import PATTERN_WORDS

MAX_PROBLEMS = 50  # a body with thousands of bad items gets the first fifty


@dataclass(frozen=True)
class Problem:
    field: str  # dotted path ("tasks[3].reward_cents"); "" for the whole body
    code: str
    message: str  # words about the value, without the field's name ("must be at most 80 characters long")

    def sentence(self) -> str:
        return f"{self.field}: {self.message}" if self.field else _capital(self.message) + "."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


_KIND_WORDS: dict[type, str] = {
    mi.StrType: "text", mi.IntType: "a whole number", mi.FloatType: "a number", mi.BoolType: "true or false",
    mi.ListType: "a list", mi.SetType: "a list", mi.FrozenSetType: "a list", mi.VarTupleType: "a list",
    mi.TupleType: "a list", mi.DictType: "an object", mi.StructType: "an object", mi.NoneType: "null",
    mi.DateTimeType: "a date and time such as 2026-01-31T10:00:00Z", mi.DateType: "a day such as 2026-01-31",
}


def _got(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _choices(values: tuple[Any, ...]) -> str:
    shown = [f"'{v}'" if isinstance(v, str) else ("null" if v is None else str(v)) for v in values]
    return ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else shown[0]


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else msgspec.json.encode(value).decode()
    return repr(text[:40] + ("…" if len(text) > 40 else "")) if isinstance(value, str) else text[:40]


def pattern_words(pattern: str) -> str:
    """What a pattern allows, in words; patterns without words are named as they are."""
    return PATTERN_WORDS.get(pattern, f"must match the pattern {pattern}")


class _Walk:
    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.found: list[Problem] = []

    def add(self, path: str, code: str, message: str) -> None:
        if len(self.found) < MAX_PROBLEMS:
            self.found.append(Problem(path, code, message))

    def full(self) -> bool:
        return len(self.found) >= MAX_PROBLEMS

    # -- the walk ---------------------------------------------------------------------------------

    def check(self, kind: mi.Type, value: Any, path: str) -> None:
        if isinstance(kind, mi.Metadata):
            kind = kind.type
        if isinstance(kind, (mi.AnyType, mi.RawType)):
            return
        if isinstance(kind, mi.UnionType):
            self.union(kind, value, path)
        elif isinstance(kind, mi.StructType):
            self.struct(kind, value, path)
        elif isinstance(kind, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
            self.array(kind, value, path)
        elif isinstance(kind, mi.DictType):
            self.mapping(kind, value, path)
        elif isinstance(kind, mi.LiteralType):
            self.choice(kind.values, value, path)
        elif isinstance(kind, mi.EnumType):
            self.choice(tuple(m.value for m in kind.cls), value, path)
        elif isinstance(kind, mi.StrType):
            self.text(kind, value, path)
        elif isinstance(kind, (mi.IntType, mi.FloatType)):
            self.number(kind, value, path)
        elif isinstance(kind, mi.BoolType):
            self.boolean(value, path)
        elif isinstance(kind, (mi.DateTimeType, mi.DateType)):
            self.moment(kind, value, path)
        elif isinstance(kind, mi.NoneType):
            if value is not None:
                self.add(path, "wrong_type", f"must be null, not {_got(value)}")

    def union(self, kind: mi.UnionType, value: Any, path: str) -> None:
        options = [t.type if isinstance(t, mi.Metadata) else t for t in kind.types]
        if value is None and any(isinstance(t, mi.NoneType) for t in options):
            return
        others = [t for t in options if not isinstance(t, mi.NoneType)]
        if len(others) == 1:
            self.check(others[0], value, path)
            return
        # Several kinds: the value is fine if one of them takes it without a problem.
        for option in others:
            trial = _Walk(self.strict)
            trial.check(option, value, path)
            if not trial.found:
                return
        allowed = sorted({_KIND_WORDS.get(type(t), "another kind of value") for t in options})
        self.add(path, "wrong_type", f"must be {_choices(tuple(allowed)).replace(chr(39), '')}, not {_got(value)}")

    def struct(self, kind: mi.StructType, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.add(path, "wrong_type", f"must be an object, not {_got(value)}")
            return
        names = {f.encode_name for f in kind.fields}
        for field in kind.fields:
            where = f"{path}.{field.encode_name}" if path else field.encode_name
            if field.encode_name not in value:
                if field.required:
                    self.add(where, "required", "is required")
                continue
            self.check(field.type, value[field.encode_name], where)
        if kind.forbid_unknown_fields:
            allowed = ", ".join(sorted(names))
            for key in value:
                if key not in names and key != kind.tag_field:
                    where = f"{path}.{key}" if path else str(key)
                    self.add(where, "unknown_field", f"is not a field here (the fields are: {allowed})")

    def array(self, kind: Any, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.add(path, "wrong_type", f"must be a list, not {_got(value)}")
            return
        if kind.max_length is not None and len(value) > kind.max_length:
            self.add(path, "too_long", f"must hold at most {kind.max_length:,} items; it holds {len(value):,}")
            return  # the items of an oversized list are not worth listing
        if kind.min_length is not None and len(value) < kind.min_length:
            self.add(path, "too_short", f"must hold at least {kind.min_length:,} item"
                                        f"{'s' if kind.min_length != 1 else ''}; it holds {len(value):,}")
        for index, item in enumerate(value):
            if self.full():
                return
            self.check(kind.item_type, item, f"{path}[{index}]")

    def mapping(self, kind: mi.DictType, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.add(path, "wrong_type", f"must be an object, not {_got(value)}")
            return
        if kind.max_length is not None and len(value) > kind.max_length:
            self.add(path, "too_long", f"must hold at most {kind.max_length:,} entries; it holds {len(value):,}")
            return
        for key, item in value.items():
            if self.full():
                return
            # A bad key belongs to the object that holds it (it is not a field of its own); its value is a field.
            before = len(self.found)
            self.check(kind.key_type, key, path)
            self.found[before:] = [Problem(found.field, found.code, f"the key {key!r}: {found.message}")
                                   for found in self.found[before:]]
            self.check(kind.value_type, item, f"{path}.{key}" if path else str(key))

    def choice(self, values: tuple[Any, ...], value: Any, path: str) -> None:
        if value not in values or isinstance(value, bool) != any(isinstance(v, bool) for v in values if v == value):
            self.add(path, "not_allowed", f"must be one of {_choices(values)}; {_shown(value)} is not")

    def text(self, kind: mi.StrType, value: Any, path: str) -> None:
        if not isinstance(value, str):
            self.add(path, "wrong_type", f"must be text, not {_got(value)}")
            return
        if kind.max_length is not None and len(value) > kind.max_length:
            self.add(path, "too_long", f"must be at most {kind.max_length:,} characters long; it has {len(value):,}")
        elif kind.min_length is not None and len(value) < kind.min_length:
            self.add(path, "too_short", "must not be empty" if kind.min_length == 1 else
                     f"must be at least {kind.min_length:,} characters long; it has {len(value):,}")
        elif kind.pattern is not None and not re.search(kind.pattern, value):
            self.add(path, "not_matching", pattern_words(kind.pattern))

    def number(self, kind: Any, value: Any, path: str) -> None:
        whole = isinstance(kind, mi.IntType)
        if isinstance(value, str) and not self.strict:
            try:
                value = int(value) if whole else float(value)
            except ValueError:
                self.add(path, "wrong_type", f"must be {'a whole number' if whole else 'a number'}; "
                                             f"{_shown(value)} is not")
                return
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and isinstance(value, float)
                                                                              and not value.is_integer()):
            self.add(path, "wrong_type", f"must be {'a whole number' if whole else 'a number'}, not "
                                         f"{'a fraction' if isinstance(value, float) else _got(value)}")
            return
        if isinstance(value, float) and not math.isfinite(value):
            self.add(path, "wrong_type", "must be a finite number")
            return
        low = kind.ge if kind.ge is not None else kind.gt
        high = kind.le if kind.le is not None else kind.lt
        if kind.ge is not None and value < kind.ge or kind.gt is not None and value <= kind.gt:
            word = "at least" if kind.ge is not None else "more than"
            self.add(path, "too_small", f"must be {word} {_number(low)}" + (
                f" (and at most {_number(high)})" if high is not None else "") + f"; it is {_number(value)}")
        elif kind.le is not None and value > kind.le or kind.lt is not None and value >= kind.lt:
            word = "at most" if kind.le is not None else "less than"
            self.add(path, "too_large", f"must be {word} {_number(high)}; it is {_number(value)}")
        elif kind.multiple_of is not None and value % kind.multiple_of:
            self.add(path, "invalid", f"must be a multiple of {_number(kind.multiple_of)}")

    def boolean(self, value: Any, path: str) -> None:
        if isinstance(value, bool):
            return
        if not self.strict and isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return
        self.add(path, "wrong_type", f"must be true or false, not {_got(value)}")

    def moment(self, kind: Any, value: Any, path: str) -> None:
        target: type = datetime if isinstance(kind, mi.DateTimeType) else date
        try:
            converted: object = msgspec.convert(value, target, strict=False)
        except msgspec.ValidationError:
            self.add(path, "wrong_type", f"must be {_KIND_WORDS[type(kind)]}; {_shown(value)} is not")
            return
        tz = getattr(kind, "tz", None)
        if isinstance(converted, datetime) and tz is True and converted.tzinfo is None:
            self.add(path, "invalid", "must give a time zone, such as 2026-01-31T10:00:00Z")


def problems_of(kind: Any, value: Any, *, strict: bool = True, path: str = "") -> list[Problem]:
    """Every problem of `value` (decoded JSON, or query text with strict=False) against the type `kind`."""
    return problems_of_info(mi.type_info(kind), value, strict=strict, path=path)


def problems_of_info(info: mi.Type, value: Any, *, strict: bool = True, path: str = "") -> list[Problem]:
    """The same, for a type already described by msgspec.inspect."""
    walk = _Walk(strict)
    walk.check(info, value, path)
    return walk.found


# msgspec's own messages (a check the walk cannot see: a struct's __post_init__, a custom type) in words.
_MSGSPEC = [
    (re.compile(r"^Expected `(\w+)`, got `(\w+)`$"), lambda m: f"must be {_TYPE_WORDS.get(m[1], m[1])}, not "
                                                               f"{_TYPE_WORDS.get(m[2], m[2])}"),
    (re.compile(r"^Expected `str` matching regex '(.*)'$"), lambda m: pattern_words(m[1])),
    (re.compile(r"^Expected `str` of length <= (\d+)$"), lambda m: f"must be at most {int(m[1]):,} characters long"),
    (re.compile(r"^Expected `str` of length >= (\d+)$"), lambda m: f"must be at least {int(m[1]):,} characters long"),
    (re.compile(r"^Expected `array` of length <= (\d+)$"), lambda m: f"must hold at most {int(m[1]):,} items"),
    (re.compile(r"^Expected `array` of length >= (\d+)$"), lambda m: f"must hold at least {int(m[1]):,} items"),
    (re.compile(r"^Expected `(?:int|float)` >= (\S+)$"), lambda m: f"must be at least {m[1]}"),
    (re.compile(r"^Expected `(?:int|float)` <= (\S+)$"), lambda m: f"must be at most {m[1]}"),
    (re.compile(r"^Invalid enum value (.*)$"), lambda m: f"is not one of the allowed values ({m[1]} is not)"),
    (re.compile(r"^Object missing required field `([^`]+)`$"), lambda m: f"the field {m[1]} is required"),
    (re.compile(r"^Object contains unknown field `([^`]+)`$"), lambda m: f"{m[1]} is not a field here"),
]
_TYPE_WORDS: dict[str, str] = {"str": "text", "int": "a whole number", "float": "a number", "bool": "true or false", "array": "a list",
               "object": "an object", "null": "null", "datetime": "a date and time", "date": "a day"}


def msgspec_words(message: str) -> str:
    """One of msgspec's messages (without its "- at `$.…`" suffix) in words; others as they are."""
    text = re.sub(r" - at `\$[^`]*`$", "", message.strip())
    for pattern, words in _MSGSPEC:
        found = pattern.match(text)
        if found:
            return words(found)
    return text


__all__ = ["MAX_PROBLEMS", "problems_of_info", "Problem", "msgspec_words", "pattern_words", "problems_of"]
