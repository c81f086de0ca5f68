"""scrapers.community_csv: the sample file, delimiters, BOM and line endings, every error with its line and
column, stable ids, and a round-trip property over rows written with csv.writer."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrapers.community_csv import CSV_COLUMNS, RATING_COLUMNS, read_csv
from scrapers.ratings import ImportError_, ReviewRecord, TaskIdentity

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures" / "community" / "sample.csv"


def read(text: str, **kwargs: Any) -> list[ReviewRecord]:
    kwargs.setdefault("source_name", "test community")
    return list(read_csv(io.StringIO(text, newline=""), **kwargs))


def read_sample(**kwargs: Any) -> list[ReviewRecord]:
    with SAMPLE.open(encoding="utf-8-sig", newline="") as stream:
        kwargs.setdefault("source_name", "test community")
        return list(read_csv(stream, **kwargs))


def fails(text: str, **kwargs: Any) -> ImportError_:
    with pytest.raises(ImportError_) as info:
        read(text, **kwargs)
    return info.value


def rewrite(delimiter: str) -> str:
    """The sample, re-written by csv.writer with another delimiter."""
    with SAMPLE.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# The sample file
# ---------------------------------------------------------------------------------------------


def test_sample_file() -> None:
    first, second, third, fourth = read_sample()
    survey = TaskIdentity(title="Decision-making survey (~10 min)", reward_cents=150, currency="USD")
    assert first == ReviewRecord(
        id="r-0001",
        platform="mturk",
        requester_id="A1EXAMPLE00001",
        requester_name="Example Research Lab",
        task=survey,
        ratings={"pay": 4, "fairness": 5, "speed": 4, "communication": None},
        worked_seconds=750,  # 12.5 minutes
        outcome="approved",
        flags=[],
        comment="Paid within a day. Timer was generous.",
        created_at=datetime(2024, 5, 1, tzinfo=UTC),
    )
    assert second.id == "r-0002" and second.task == survey
    assert second.ratings == {"pay": 2, "fairness": 4, "speed": 4, "communication": None}
    assert second.worked_seconds == 1500 and second.flags == ["underpaid"]
    assert second.comment == "Took twice the stated time; the attention checks were fair, though."
    assert second.created_at == datetime(2024, 5, 2, 14, 30, tzinfo=UTC)

    assert re.fullmatch(r"[0-9a-f]{24}", third.id)  # no id column value: a content hash
    assert third.requester_id == "A2EXAMPLE00002" and third.requester_name == "Another Requester"
    assert third.task == TaskIdentity(title="Tag 10 images", reward_cents=10)
    assert third.ratings == {"pay": 1, "fairness": 1, "speed": None, "communication": None}
    assert third.worked_seconds == 180 and third.outcome == "rejected"
    assert third.flags == ["broken", "unpaid_screener"]
    assert third.comment == "Images did not load.\nRejected anyway."

    assert re.fullmatch(r"[0-9a-f]{24}", fourth.id) and fourth.id != third.id
    assert fourth.platform == "prolific" and fourth.requester_id == "5f1e2d3c4b5a69788796a5b4"
    assert fourth.task is None and fourth.worked_seconds is None and fourth.outcome is None
    assert fourth.ratings == {"pay": 5, "fairness": 5, "speed": 5, "communication": 5}
    assert fourth.created_at is None and fourth.flags == []
    for record in (first, second, third, fourth):
        assert record.approval_seconds is None and record.bonus_cents is None and record.updated_at is None


def test_sample_is_in_the_docs() -> None:
    docs = (ROOT / "docs" / "importing.md").read_text(encoding="utf-8")
    assert "## A community CSV" in docs
    assert SAMPLE.read_text(encoding="utf-8").strip() in docs
    for column in CSV_COLUMNS:
        assert f"`{column}`" in docs, column


def test_columns_are_documented() -> None:
    assert "requester_id" in CSV_COLUMNS and CSV_COLUMNS["requester_id"].startswith("REQUIRED")
    assert set(RATING_COLUMNS) <= set(CSV_COLUMNS)


# ---------------------------------------------------------------------------------------------
# Delimiters, BOM, line endings, header
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_give_the_same_records(delimiter: str) -> None:
    assert read(rewrite(delimiter)) == read_sample()  # ids too: the hash does not see the delimiter


def test_semicolon_header_with_a_comma_in_a_column_name() -> None:
    [record] = read("Requester ID;Pay;notes, misc\nA1EXAMPLE00001;4;x, y\n")
    assert record.requester_id == "A1EXAMPLE00001" and record.ratings["pay"] == 4


def test_bom_and_windows_line_endings() -> None:
    expected = read_sample()
    text = SAMPLE.read_text(encoding="utf-8")
    assert read("\ufeff" + text) == expected  # opened as utf-8 (not utf-8-sig): the BOM is still skipped
    crlf = text.replace("\n", "\r\n")
    assert read(crlf) == expected
    assert list(read_csv(io.StringIO(crlf), source_name="test community")) == expected  # translated newlines
    raw = b"\xef\xbb\xbf" + crlf.encode()
    with io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", newline="") as stream:
        assert list(read_csv(stream, source_name="test community")) == expected


def test_header_is_case_insensitive_order_free_and_extra_columns_ignored() -> None:
    text = "Notes,COMMENT,Requester-ID, pay ,Platform,whatever\nignored,fine,A1EXAMPLE00001,3,MTurk,x\n"
    [record] = read(text)
    assert (record.platform, record.requester_id, record.comment) == ("mturk", "A1EXAMPLE00001", "fine")
    assert record.ratings == {"pay": 3, "fairness": None, "speed": None, "communication": None}


def test_blank_lines_short_rows_and_na_values() -> None:
    text = "\n\nrequester_id,pay,fairness,speed,communication,comment\n\nA1EXAMPLE00001,n/a,NA,-, \n,,,,,\nA2EXAMPLE00002\n"
    a, b = read(text)
    assert a.ratings == {"pay": None, "fairness": None, "speed": None, "communication": None}
    assert b.requester_id == "A2EXAMPLE00002" and b.comment == ""


def test_reward_forms_currency_and_seconds() -> None:
    text = (
        "requester_id,title,reward,reward_cents,currency,minutes,seconds,outcome,flags,date\n"
        "A1EXAMPLE00001,T,$0.50,,,,90,Approved,Broken Link,2024-05-01T10:00:00\n"
        "A1EXAMPLE00001,T,\"0,5\",50,gbp,0.1,,,\"unpaid-screener , captcha;captcha\",2024-05-01T10:00:00+02:00\n"
        "A1EXAMPLE00001,T,,7,,,,,,\n"
        "A1EXAMPLE00001,T,0.005,,,,,,,\n"
    )
    a, b, c, d = read(text)
    assert a.task == TaskIdentity(title="T", reward_cents=50, currency="USD")
    assert a.worked_seconds == 90 and a.outcome == "approved" and a.flags == ["broken_link"]
    assert a.created_at == datetime(2024, 5, 1, 10, tzinfo=UTC)  # naive -> UTC
    assert b.task == TaskIdentity(title="T", reward_cents=50, currency="GBP")
    assert b.worked_seconds == 6 and b.flags == ["unpaid_screener", "captcha"]
    assert b.created_at is not None and b.created_at.utcoffset() is not None and b.created_at.hour == 10
    assert c.task == TaskIdentity(title="T", reward_cents=7)
    assert d.task is not None and d.task.reward_cents == 1  # half a cent rounds up


# ---------------------------------------------------------------------------------------------
# Errors, each at its line and column
# ---------------------------------------------------------------------------------------------

HEADER = "id,requester_id,title,reward,reward_cents,currency,minutes,seconds,pay,speed,outcome,comment,date,platform,requester_name\n"
GOOD = "a1,A1EXAMPLE00001,T,0.50,,,5,,4,3,approved,ok,2024-05-01,mturk,R\n"


def row(**cells: str) -> str:
    values = dict(zip(HEADER.strip().split(","), GOOD.strip().split(",")))
    values.update(cells)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values.values())
    return out.getvalue()


@pytest.mark.parametrize(
    ("bad", "column", "fragment"),
    [
        ({"pay": "6"}, "pay", "rating 1-5"),
        ({"pay": "0"}, "pay", "rating 1-5"),
        ({"speed": "4.5"}, "speed", "rating 1-5"),
        ({"pay": "good"}, "pay", "rating 1-5"),
        ({"minutes": "-3"}, "minutes", "negative"),
        ({"minutes": "0"}, "minutes", "at least 1 second"),
        ({"minutes": "abc"}, "minutes", "must be a number"),
        ({"minutes": "99999"}, "minutes", "at most 7 days"),
        ({"minutes": "", "seconds": "1.5"}, "seconds", "whole seconds"),
        ({"seconds": "300"}, "seconds", "not both"),
        ({"title": ""}, "reward", "a reward needs a title"),
        ({"title": "", "reward": "", "reward_cents": "5"}, "reward_cents", "a reward needs a title"),
        ({"reward": ""}, "title", "a title needs a reward"),
        ({"reward": "-0.50"}, "reward", "negative"),
        ({"reward": "£0.50"}, "reward", "must be a number"),
        ({"reward": "20000"}, "reward", "implausibly large"),
        ({"reward_cents": "49"}, "reward_cents", "disagrees with reward"),
        ({"reward": "", "reward_cents": "1.5"}, "reward_cents", "whole cents"),
        ({"currency": "dollars"}, "currency", "ISO 4217"),
        ({"requester_id": ""}, "requester_id", "is required"),
        ({"requester_id": "A1 EXAMPLE"}, "requester_id", "letters, digits"),
        ({"platform": "Mechanical Turk"}, "platform", "platform name"),
        ({"date": "May 1st"}, "date", "ISO date"),
        ({"date": "2024-13-01"}, "date", "ISO date"),
        ({"id": "has space"}, "id", "letters, digits"),
        ({"title": "x" * 501}, "title", "longer than 500"),
        ({"requester_name": "x" * 201}, "requester_name", "longer than 200"),
        ({"comment": "x" * 4001}, "comment", "longer than 4000"),
    ],
)
def test_errors_name_line_and_column(bad: dict[str, str], column: str, fragment: str) -> None:
    text = HEADER + GOOD + row(**{"id": "a2", **bad})
    error = fails(text)
    assert error.where == f"line 3, column {column}", error
    assert fragment in error.message, error
    assert str(error).startswith(f"line 3, column {column}: ")


def test_field_limit_is_configurable() -> None:
    error = fails(HEADER + row(comment="x" * 21), max_field_chars=20)
    assert error.where == "line 2, column comment" and "longer than 20" in error.message
    assert len(read(HEADER + row(comment="x" * 20), max_field_chars=20)) == 1


def test_too_many_rows() -> None:
    text = HEADER + "".join(row(id=f"r{i}") for i in range(3))
    assert len(read(text, max_rows=3)) == 3
    error = fails(text, max_rows=2)
    assert error.where == "line 4" and "too many rows (at most 2)" in error.message


def test_duplicate_id_within_the_file() -> None:
    error = fails(HEADER + row(id="same") + row(id="other") + row(id="same", pay="1"))
    assert error.where == "line 4, column id" and "'same' is used twice" in error.message


def test_line_numbers_count_physical_lines() -> None:
    text = HEADER + row(id="a", comment="two\nlines") + "\n" + row(id="b", comment="three\nmore\nlines") + row(id="c", pay="9")
    error = fails(text)
    assert error.where == "line 8, column pay"


@pytest.mark.parametrize(
    ("text", "where", "fragment"),
    [
        ("", "line 1", "empty"),
        ("\n\n", "line 1", "empty"),
        ("title,pay\nT,4\n", "line 1", "no requester_id column"),
        ("requester_id,Pay,PAY\nA1EXAMPLE00001,1,2\n", "line 1, column pay", "twice"),
        ("\nrequester_id;requester id\n", "line 2, column requester_id", "twice"),
    ],
)
def test_header_errors(text: str, where: str, fragment: str) -> None:
    error = fails(text)
    assert error.where == where and fragment in error.message, error


def test_errors_stop_at_the_first_problem_but_earlier_rows_were_yielded() -> None:
    stream = io.StringIO(HEADER + row(id="ok") + row(id="bad", pay="7"), newline="")
    records = read_csv(stream, source_name="s")
    assert next(records).id == "ok"
    with pytest.raises(ImportError_):
        next(records)


# ---------------------------------------------------------------------------------------------
# Stable ids
# ---------------------------------------------------------------------------------------------

NO_ID = "requester_id,requester_name,title,reward,pay,comment\n"


def test_reading_twice_gives_equal_ids() -> None:
    assert [r.id for r in read_sample()] == [r.id for r in read_sample()]
    text = NO_ID + "A1EXAMPLE00001,R,T,0.10,3,hello\nA1EXAMPLE00001,R,T,0.10,3,hello\nA1EXAMPLE00001,R,T,0.10,3,hi\n"
    first, second = read(text), read(text)
    assert [r.id for r in first] == [r.id for r in second]
    assert len({r.id for r in first}) == 3  # identical rows are two reviews with two stable ids


def test_what_changes_a_generated_id() -> None:
    def one_id(line: str, source: str = "test community") -> str:
        [record] = read(NO_ID + line, source_name=source)
        return record.id

    base = one_id("A1EXAMPLE00001,R,T,0.10,3,hello\n")
    assert one_id("A1EXAMPLE00001,R,T,0.10,3,hello\n") == base
    assert one_id(' A1EXAMPLE00001 ,R,T,$0.10, 3 ,"hello "\n') == base  # normalized content, not bytes
    assert one_id("A1EXAMPLE00001,Renamed Lab,T,0.10,3,hello\n") == base  # a name fix is not a new review
    assert one_id("A1EXAMPLE00001,R,T,0.10,4,hello\n") != base  # an edit is a new review
    assert one_id("A1EXAMPLE00001,R,T,0.10,3,hello!\n") != base
    assert one_id("A1EXAMPLE00001,R,T,0.10,3,hello\n", source="another") != base


# ---------------------------------------------------------------------------------------------
# Property: rows written by csv.writer from valid values read back equal
# ---------------------------------------------------------------------------------------------

FLAG_WORDS = ("underpaid", "broken", "unpaid_screener", "attention_checks", "captcha", "needs_sight")
OUTCOME_WORDS = ("approved", "rejected", "pending", "returned", "blocked")
plain = st.characters(blacklist_categories=("Cs", "Cc"))
line_text = st.text(plain, max_size=30).map(str.strip)
comment_text = st.text(st.one_of(plain, st.just("\n")), max_size=60).map(str.strip)


@st.composite
def review_rows(draw: st.DrawFn) -> tuple[dict[str, str], ReviewRecord]:
    """(cells to write, the record they mean); the record's id is "" when the row has none."""
    platform = draw(st.from_regex(r"[a-z][a-z0-9_]{1,10}", fullmatch=True))
    requester_id = draw(st.from_regex(r"[A-Za-z0-9_.-]{1,20}", fullmatch=True))
    cells = {"platform": draw(st.sampled_from([platform, platform.upper()])), "requester_id": requester_id,
             "requester_name": draw(line_text)}
    task = None
    if draw(st.booleans()):
        title = draw(line_text.filter(bool))
        cents = draw(st.integers(0, 1_000_000))
        currency = draw(st.from_regex(r"[A-Z]{3}", fullmatch=True))
        cells["title"] = title
        form = draw(st.sampled_from(["reward", "$reward", "reward_cents"]))
        if form == "reward_cents":
            cells["reward_cents"] = str(cents)
        else:
            cells["reward"] = ("$" if form == "$reward" else "") + f"{cents // 100}.{cents % 100:02d}"
        cells["currency"] = draw(st.sampled_from([currency, currency.lower()]))
        task = TaskIdentity(title=title, reward_cents=cents, currency=currency)
    seconds = draw(st.none() | st.integers(1, 7 * 24 * 3600))
    if seconds is not None:
        if draw(st.booleans()):
            cells["seconds"] = str(seconds)
        else:
            cells["minutes"] = f"{seconds / 60:.4f}"
    ratings: dict[str, int | None] = {}
    for column in RATING_COLUMNS:
        value = draw(st.none() | st.integers(1, 5))
        ratings[column] = value
        cells[column] = str(value) if value is not None else draw(st.sampled_from(["", "n/a", "N/A", "-"]))
    outcome = draw(st.none() | st.sampled_from(OUTCOME_WORDS))
    cells["outcome"] = (outcome or "").upper() if draw(st.booleans()) else (outcome or "")
    flags = draw(st.lists(st.sampled_from(FLAG_WORDS), unique=True, max_size=3))
    cells["flags"] = draw(st.sampled_from(["; ", ",", ";"])).join(flags)
    comment = draw(comment_text)
    cells["comment"] = comment
    created_at = draw(st.none() | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                                              timezones=st.just(UTC)))
    if created_at is not None and draw(st.booleans()):
        created_at = created_at.replace(hour=0, minute=0, second=0, microsecond=0)
        cells["date"] = created_at.date().isoformat()
    elif created_at is not None:
        cells["date"] = created_at.isoformat()
    record = ReviewRecord(id="", platform=platform, requester_id=requester_id, requester_name=cells["requester_name"],
                          task=task, ratings=ratings, worked_seconds=seconds, outcome=outcome, flags=flags,
                          comment=comment, created_at=created_at)
    return cells, record


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(review_rows(), min_size=1, max_size=6),
    with_ids=st.lists(st.booleans(), min_size=6, max_size=6),
    delimiter=st.sampled_from([",", ";", "\t"]),
    data=st.data(),
)
def test_written_rows_read_back_equal(rows, with_ids, delimiter, data) -> None:
    columns = data.draw(st.permutations(list(CSV_COLUMNS)))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(columns)
    expected = []
    for i, (cells, record) in enumerate(rows):
        if with_ids[i]:
            cells = {**cells, "id": f"row-{i}"}
            record.id = f"row-{i}"
        writer.writerow([cells.get(column, "") for column in columns])
        expected.append(record)
    text = out.getvalue()
    got = read(text)
    assert len(got) == len(expected)
    for record, want in zip(got, expected):
        if want.id:
            assert record == want
        else:
            assert re.fullmatch(r"[0-9a-f]{24}", record.id)
            record.id = ""
            assert record == want
    assert [r.id for r in read(text)] == [r.id for r in read(text)]
