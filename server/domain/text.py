"""Which characters the text fields of requests accept: one rule shared by every request struct and the filters.

NUL (U+0000) is refused in every string a client sends to be stored: PostgreSQL cannot hold it in text or
jsonb columns, and C libraries read it as the end of the string. Text a person writes for others to read
(review comments, flag and moderation notes, token labels, filter notes) also refuses the other C0 control
characters except tab, line feed and carriage return: they mean nothing in plain text and can hide or garble
what a reader sees. Values copied from a platform's page (requester ids and names, titles, HIT ids) and the
filter patterns matched against them keep those: a title with a form feed in it must stay reviewable under
the title annotate recorded.

The rules are regular expressions so that msgspec enforces them while decoding (a 422 `invalid_field` naming
the field) and the OpenAPI document states them. Both Python's `re` and ECMA-262 read them alike.
"""
from __future__ import annotations

import re

import msgspec

from scrapers.model import NO_NUL  # one definition, shared with the platform parsers
from server.domain.page_shape import PATTERN_WORDS as PAGE_SHAPE_WORDS

NO_CONTROL = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F]*$"
# msgspec takes one pattern per type, so "not blank" and "no NUL" are one expression (linear: no nested repeats).
NOT_BLANK_NO_NUL = r"^\s*[^\s\x00][^\x00]*$"

# Add to an Annotated str next to its own Meta (length, description): `Annotated[str, Meta(max_length=80), WRITTEN]`.
COPIED = msgspec.Meta(pattern=NO_NUL)  # from a platform's page, or matched against such text
WRITTEN = msgspec.Meta(pattern=NO_CONTROL)  # typed by a person for people to read
COPIED_NOT_BLANK = msgspec.Meta(pattern=NOT_BLANK_NO_NUL)

_PROBLEMS = {
    NO_NUL: "must not contain the NUL character (\\u0000)",
    NO_CONTROL: "must not contain control characters (\\u0000 to \\u001f) other than tab, line feed and carriage return",
    NOT_BLANK_NO_NUL: "must not be blank or contain the NUL character (\\u0000)",
    **PAGE_SHAPE_WORDS,  # the names a page-shape report may hold
}
_COMPILED = {pattern: re.compile(pattern) for pattern in _PROBLEMS}
# Every pattern of the wire structs, in words for an error message (server/domain/problems.py; a test checks that
# each pattern used in a struct has its words here).
PATTERN_WORDS = {
    **_PROBLEMS,
    r"^[a-z][a-z0-9_]*$": "must be a platform's name: small letters, digits and '_', starting with a letter "
                          "(such as 'mturk' or 'prolific')",
    r"^[A-Z]{3}$": "must be a currency's three-letter code in capitals, such as 'USD' or 'GBP'",
    r"^[A-Za-z0-9_.-]+$": "may hold only letters, digits and the signs '_', '.' and '-' (no spaces)",
    r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$": "may hold only letters, digits, spaces and the signs '_', '.' and '-', "
                                      "starting with a letter or digit",
    r"^https?://": "must be an address starting with http:// or https://",
    r"^(pending|approved|rejected|returned|screened_out)$": "must be one of 'pending', 'approved', 'rejected', "
                                                            "'returned' or 'screened_out'",
}


def text_problem(value: str, *, written: bool) -> str | None:
    """Why `value` is refused (words for people, as in a FilterError), or None when it is acceptable."""
    pattern = NO_CONTROL if written else NO_NUL
    return None if _COMPILED[pattern].search(value) else _PROBLEMS[pattern]


def explain(message: str) -> str:
    """msgspec's "Expected `str` matching regex '…'" for one of these rules, in words; other messages unchanged."""
    for pattern, problem in PATTERN_WORDS.items():
        if f"matching regex {pattern!r}" in message:
            return problem
    return message
