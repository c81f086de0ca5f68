"""server/domain/text.py: which characters text fields accept, the same in msgspec, the filters and the OpenAPI document."""
from __future__ import annotations

import re
from typing import Annotated

import msgspec
import pytest

from server.domain.filters import FilterError, Filters, ListRule, validate_filters
from server.domain.text import PATTERN_WORDS, COPIED, COPIED_NOT_BLANK, NO_CONTROL, NO_NUL, NOT_BLANK_NO_NUL, WRITTEN, explain, text_problem

C0 = [chr(code) for code in range(0x20)]
KEPT_IN_WRITING = {"\t", "\n", "\r"}


class Sample(msgspec.Struct):
    written: Annotated[str, msgspec.Meta(max_length=50), WRITTEN] = ""
    copied: Annotated[str, msgspec.Meta(max_length=50), COPIED] = ""
    identity: Annotated[str, msgspec.Meta(min_length=1), COPIED_NOT_BLANK] = "x"


def decode(**fields: str) -> Sample:
    return msgspec.json.decode(msgspec.json.encode(fields), type=Sample)


@pytest.mark.parametrize("char", C0, ids=[f"U+{ord(c):04X}" for c in C0])
def test_written_text_refuses_every_c0_control_but_tab_and_line_breaks(char):
    value = f"a{char}b"
    if char in KEPT_IN_WRITING:
        assert decode(written=value).written == value
        assert text_problem(value, written=True) is None
    else:
        with pytest.raises(msgspec.ValidationError, match=re.escape("$.written")):
            decode(written=value)
        assert "control characters" in text_problem(value, written=True)


@pytest.mark.parametrize("char", C0, ids=[f"U+{ord(c):04X}" for c in C0])
def test_copied_text_refuses_only_nul(char):
    value = f"a{char}b"
    if char == "\x00":
        for field in ("copied", "identity"):
            with pytest.raises(msgspec.ValidationError, match=re.escape(f"$.{field}")):
                decode(**{field: value})
        assert "NUL" in text_problem(value, written=False)
    else:
        assert decode(copied=value, identity=value) == Sample(copied=value, identity=value)
        assert text_problem(value, written=False) is None


@pytest.mark.parametrize("value", ["x", " x ", "\tA1\n", "\u00e9", "a b", "\U0001F600"])
def test_an_identity_that_is_not_blank_is_accepted(value):
    assert decode(identity=value).identity == value


@pytest.mark.parametrize("value", [" ", "\t\n", "\x00", " \x00", "\x00x", "x\x00", " x \x00 "])
def test_a_blank_identity_or_one_with_nul_is_refused(value):
    with pytest.raises(msgspec.ValidationError):
        decode(identity=value)


def test_other_unicode_is_left_alone():
    text = "abc \u202e evil \u202c \u200d \u0085 \u2028 \x7f \ufeff"
    assert decode(written=text, copied=text).written == text


@pytest.mark.parametrize("pattern", [NO_NUL, NO_CONTROL, NOT_BLANK_NO_NUL])
def test_explain_puts_msgspecs_regex_message_in_words(pattern):
    with pytest.raises(msgspec.ValidationError) as refused:
        msgspec.json.decode(b'"\\u0000"', type=Annotated[str, msgspec.Meta(pattern=pattern)])
    message = str(refused.value).split(" - ", 1)[0]  # what Litestar keeps of it
    assert "regex" in message
    words = explain(message)
    assert "regex" not in words and ("NUL" in words or "control characters" in words)


def test_explain_leaves_other_messages_alone():
    assert explain("Expected `int`, got `str`") == "Expected `int`, got `str`"
    assert explain("Expected `str` matching regex '^[a-q]{7}$'") == "Expected `str` matching regex '^[a-q]{7}$'"


def test_explain_puts_a_known_pattern_in_words():
    # every pattern the API uses has words (issue 19: no regex shown to people); the currency's, for one
    assert explain("Expected `str` matching regex '^[A-Z]{3}$'") == PATTERN_WORDS["^[A-Z]{3}$"]
    assert "USD" in explain("Expected `str` matching regex '^[A-Z]{3}$'")


@pytest.mark.parametrize(("filters", "field"), [
    (Filters(block=[ListRule(pattern="A\x00")]), "block[0].pattern"),
    (Filters(include=[ListRule(pattern="A1", note="\x07")]), "include[0].note"),
    (Filters(keywords_include=["fine", "x\x00"]), "keywords_include[1]"),
    (Filters(keywords_exclude=["\x00"]), "keywords_exclude[0]"),
    (Filters(source_weights={"peer\x00": 1.0}), "source_weights"),
])
def test_filters_refuse_nul_and_controls_in_notes(filters, field):
    with pytest.raises(FilterError) as refused:
        validate_filters(filters)
    assert refused.value.field == field


def test_filter_patterns_keep_what_a_platform_title_may_hold():
    odd = "Tag\x0cimages\x0b\t"
    validate_filters(Filters(block=[ListRule(pattern=odd, note="why:\tpays\r\nlate")], keywords_exclude=[odd]))
