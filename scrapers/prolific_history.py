"""A worker's own Prolific history: a page of submissions -> `HistoryPage`.

The participant app loads the list from `GET https://internal-api.prolific.com/api/v1/participant/submissions/`.
Two item shapes are read, because both are in public evidence (no capture of our own exists):

* the current one (zedeus/prolific-watcher `handlers.go` `participantSubmissionListItem` @673dc64f; zedeus/
  prolific-pulse `src/lib/earnings.ts` and `src/lib/__dev__/fake-submissions.ts` @5baa8561):
  `submission_reward {amount, currency}`, `submission_bonuses [{amount, currency}]`,
  `submission_adjustments [{amount, currency}]`, `screened_out_payments [{amount, currency}]`,
  `study {id, name, researcher {id, name, country, institution}}` (no reward on the study), `started_at`,
  `completed_at` or (returned and rejected work) `returned_at`, and `time_taken` as a string;
* the older 2020-22 one (rodrigohpalmeirim/prolific-assistant): `reward` as an integer, `bonus_payments [<int>]`,
  `study.reward`, `time_taken` in seconds.

Containers (JSON bytes/str, or already decoded):

    {"results": [submission, ...],
     "_links": {"next": {"href": "...?page=3"},    has_more when a next link is a non-empty string
                "self": {"href": "...?page=2"}},
     "next": "...",                                (Django REST style; the same)
     "meta": {"count": 57} | "count": 57}          -> total_results
    [submission, ...]                              a bare list: no paging information

`page_number` is the `page` query parameter of `_links.self.href`, else that of the next link minus one, else 1.

Fields read from each submission (all others are ignored; `participant_id` is never read or kept):

    id (required)                     -> assignment_id (the key of idempotent re-import)
    status (required)                 -> state, see STATES; ACTIVE and RESERVED (still in progress) are
                                         skipped, not errors; any other unknown status is a PayloadError
    study_id | study.id               -> task_id
    study.name | study_name (required)-> title
    study.researcher {id, name}       -> requester_id (required), requester_name
      | researcher {id, name} | researcher_id + researcher_name
    submission_reward {amount, currency}
      | reward <int> | reward {amount, currency} (the submission's own, preferred)
      | study.reward <int> | study.reward {amount, currency}
                                      -> reward_cents, currency (required; amounts are minor units, i.e.
                                         pence/cents; currency defaults to GBP, or a top-level `currency`)
    screened_out_payments [{amount}]  a SCREENED OUT submission was paid their sum, not the study's reward:
                                      -> reward_cents (other states: added to bonus_cents, they were paid)
    submission_bonuses [{amount}] | bonus_payments [<int> | {amount}] | bonus <int> | bonus {amount}
      + submission_adjustments [{amount}]
                                      -> bonus_cents: bonuses plus adjustments (extra money paid for the work,
                                         so docs/earnings.md counts it in earned money and in the hourly pay).
                                         Whether an adjustment can be negative no source says: a negative
                                         total of adjustments is taken off the reward (never below 0).
                                         Every amount must be in the reward's currency.
    started_at, completed_at | returned_at
                                      ISO 8601 times (a time without zone is read as UTC, as Prolific's are)
    time_taken                        seconds as a number, or a string: "869", "869.5", Django REST's duration
                                      ("00:14:29", "00:14:29.456000", "1 02:00:00") or ISO 8601 ("PT14M29S").
                                      Its format in the current shape is not in the sources: a string in
                                      none of these forms is ignored (the times still count), never an error.

Times: started_at/ended_at come from started_at/completed_at (else returned_at). With only an end and
time_taken, started_at = end - time_taken; with only started_at and time_taken, ended_at = started_at +
time_taken. An end before the start is an error. work_date = the UTC date of the end, else of started_at:
one of them is required.

States: APPROVED -> approved; AWAITING REVIEW and PROCESSING -> pending; REJECTED -> rejected; RETURNED and
TIMED-OUT -> returned; SCREENED OUT -> screened_out. Case, and '_', '-' or spaces between the words do not
matter ("TIMED_OUT", "timed-out", "Awaiting review").

Field rules (types, numeric strings, ids of 1-128 letters, digits, '-', '_', text cleaning, money bounds)
are those of `scrapers._payload`, described in `scrapers.mturk`. Raises `PayloadError` (and nothing else)
naming the first bad field as a dotted path, e.g. `results[2].study.researcher.id`.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scrapers._payload import (
    MAX_COUNT,
    MAX_REWARD_MINOR,
    describe_type,
    get_field,
    is_absent,
    join_path,
    load_json,
    optional_count,
    optional_currency,
    optional_id,
    optional_object,
    optional_text,
    require_object,
    required_id,
    requester_id_of,
    required_text,
    task_list,
    to_decimal,
    to_minor_units,
)
from scrapers.model import HistoryItem, HistoryPage, PayloadError
from scrapers.mturk_history import MAX_NAME_CHARS, MAX_TITLE_CHARS, shorten

__all__ = ["DEFAULT_CURRENCY", "IN_PROGRESS", "STATES", "parse_submissions"]

DEFAULT_CURRENCY = "GBP"
STATES = {
    "APPROVED": "approved",
    "AWAITING REVIEW": "pending",
    "PROCESSING": "pending",
    "REJECTED": "rejected",
    "RETURNED": "returned",
    "TIMED OUT": "returned",
    "SCREENED OUT": "screened_out",
}
IN_PROGRESS = frozenset({"ACTIVE", "RESERVED"})  # skipped: not work done yet
_SEPARATORS = re.compile(r"[\s_-]+")
_MAX_DATETIME_CHARS = 64
# Django REST's duration ("[D ]HH:MM:SS[.ffffff]", also "MM:SS") and ISO 8601's ("PT1H2M3.5S").
_REST_DURATION = re.compile(r"^(?:(\d{1,6}) )?(?:(\d{1,9}):)?(\d{1,9}):(\d{1,2}(?:\.\d{1,9})?)$")
_ISO_DURATION = re.compile(r"^P(?:(\d{1,6})D)?(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9}(?:\.\d{1,9})?)S)?)?$")


def _status(submission: Mapping, path: str) -> str | None:
    """The history state, or None for a submission still in progress."""
    full = join_path(path, "status")
    value = get_field(submission, "status")
    if is_absent(value):
        raise PayloadError(full, "is required")
    if not isinstance(value, str):
        raise PayloadError(full, f"must be a string, not {describe_type(value)}")
    key = _SEPARATORS.sub(" ", value).strip().upper()
    if key in IN_PROGRESS:
        return None
    state = STATES.get(key)
    if state is None:
        raise PayloadError(full, f"unknown status {value.strip()[:40]!r} (known: {', '.join(sorted(STATES))}, "
                                 f"and {', '.join(sorted(IN_PROGRESS))}, which are skipped)")
    return state


def _minor(value: Any, path: str) -> int:
    """Minor units (pence, cents) from a number or an {amount} object."""
    if isinstance(value, Mapping):
        amount = get_field(value, "amount")
        if is_absent(amount):
            raise PayloadError(join_path(path, "amount"), "is required")
        return to_minor_units(amount, join_path(path, "amount"), scale=1)
    if isinstance(value, (list, tuple)):
        raise PayloadError(path, "must be a number or an {amount, currency} object, not a list")
    return to_minor_units(value, path, scale=1)


def _reward(submission: Mapping, study: Mapping | None, path: str) -> tuple[int, str]:
    default = optional_currency(submission, "currency", path, DEFAULT_CURRENCY)
    for owner, owner_path, key in ((submission, path, "submission_reward"), (submission, path, "reward"),
                                   (study, join_path(path, "study"), "reward")):
        if owner is None:
            continue
        value = get_field(owner, key)
        if is_absent(value):
            continue
        full = join_path(owner_path, key)
        cents = _minor(value, full)
        currency = default
        if isinstance(value, Mapping):
            for key in ("currency", "currency_code"):
                if not is_absent(get_field(value, key)):
                    currency = optional_currency(value, key, full, default)
                    break
        return cents, currency
    raise PayloadError(join_path(path, "reward"), "is required")


def _signed_minor(value: Any, path: str) -> int:
    """Minor units that may be negative (an adjustment), from a number or an {amount} object."""
    if isinstance(value, Mapping):
        amount = get_field(value, "amount")
        path = join_path(path, "amount")
        if is_absent(amount):
            raise PayloadError(path, "is required")
        value = amount
    elif isinstance(value, (list, tuple)):
        raise PayloadError(path, "must be a number or an {amount, currency} object, not a list")
    number = to_decimal(value, path)
    if abs(number) > MAX_REWARD_MINOR:
        raise PayloadError(path, "is implausibly large")
    return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _payments(submission: Mapping, key: str, path: str, currency: str, *, signed: bool = False) -> int | None:
    """The sum of a list of payments (numbers or {amount, currency} objects), None when the list is absent.
    A payment in another currency than the reward cannot be added to it: that is an error, not a guess."""
    payments = get_field(submission, key)
    if is_absent(payments):
        return None
    full = join_path(path, key)
    if not isinstance(payments, (list, tuple)):
        raise PayloadError(full, f"must be a list, not {describe_type(payments)}")
    total = 0
    for i, payment in enumerate(payments):
        item_path = join_path(full, i)
        total += _signed_minor(payment, item_path) if signed else _minor(payment, item_path)
        if isinstance(payment, Mapping) and not is_absent(get_field(payment, "currency")):
            own = optional_currency(payment, "currency", item_path, currency)
            if own != currency:
                raise PayloadError(join_path(item_path, "currency"), f"is {own}, but the reward is in {currency}")
    if abs(total) > MAX_REWARD_MINOR:
        raise PayloadError(full, "add up to an implausibly large amount")
    return total


def _pay(submission: Mapping, state: str, reward: int, currency: str, path: str) -> tuple[int, int]:
    """(reward_cents, bonus_cents) as docs/earnings.md counts them: what the work paid or will pay."""
    bonus = _payments(submission, "submission_bonuses", path, currency)
    if bonus is None:
        bonus = _payments(submission, "bonus_payments", path, currency)
    if bonus is None:
        single = get_field(submission, "bonus")
        bonus = 0 if is_absent(single) else _minor(single, join_path(path, "bonus"))
    adjustments = _payments(submission, "submission_adjustments", path, currency, signed=True) or 0
    screened = _payments(submission, "screened_out_payments", path, currency)
    if screened is not None and state == "screened_out":
        reward = screened  # a screen-out is paid its screening payment, not the study's reward
    elif screened:
        bonus += screened
    extra = bonus + adjustments
    if extra < 0:
        reward, extra = max(reward + extra, 0), 0
    if extra > MAX_REWARD_MINOR:
        raise PayloadError(join_path(path, "submission_bonuses"), "add up to an implausibly large bonus")
    return reward, extra


def _requester(submission: Mapping, study: Mapping | None, path: str) -> tuple[str, str]:
    for owner, owner_path in ((study, join_path(path, "study")), (submission, path)):
        if owner is None:
            continue
        researcher = optional_object(owner, "researcher", owner_path)
        if researcher is not None:
            researcher_path = join_path(owner_path, "researcher")
            requester_id = requester_id_of(researcher, "id", researcher_path, "prolific")
            return requester_id, optional_text(researcher, "name", researcher_path)
    if not is_absent(get_field(submission, "researcher_id")):
        return (requester_id_of(submission, "researcher_id", path, "prolific"),
                optional_text(submission, "researcher_name", path))
    where = join_path(path, "study") if study is not None else path
    raise PayloadError(join_path(join_path(where, "researcher"), "id"), "is required")


def _title(submission: Mapping, study: Mapping | None, path: str) -> str:
    if study is not None and not is_absent(get_field(study, "name")):
        return required_text(study, "name", join_path(path, "study"))
    if not is_absent(get_field(submission, "study_name")):
        return required_text(submission, "study_name", path)
    where = join_path(path, "study") if study is not None else path
    raise PayloadError(join_path(where, "name"), "is required (or study_name)")


def _study_id(submission: Mapping, study: Mapping | None, path: str) -> str | None:
    value = optional_id(submission, "study_id", path)
    if value is None and study is not None:
        value = optional_id(study, "id", join_path(path, "study"))
    return value


def _moment(submission: Mapping, key: str, path: str) -> datetime | None:
    value = get_field(submission, key)
    if is_absent(value):
        return None
    full = join_path(path, key)
    if not isinstance(value, str):
        raise PayloadError(full, f"must be a string (an ISO 8601 time), not {describe_type(value)}")
    text = value.strip()
    if not text:
        return None
    if len(text) > _MAX_DATETIME_CHARS:
        raise PayloadError(full, "must be an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadError(full, "must be an ISO 8601 time, e.g. 2026-01-31T10:00:00Z") from None
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise PayloadError(full, "is out of range") from None


def _duration_text(text: str) -> Decimal | None:
    """Seconds from Django REST's or ISO 8601's duration text, or None for any other form."""
    text = text.strip()
    if match := _REST_DURATION.fullmatch(text):
        days, hours, minutes, seconds = match.groups()
        return (Decimal(days or 0) * 86400 + Decimal(hours or 0) * 3600 + Decimal(minutes) * 60
                + Decimal(seconds))
    if (match := _ISO_DURATION.fullmatch(text.upper())) and text.upper() not in ("P", "PT"):
        days, hours, minutes, seconds = match.groups()
        return (Decimal(days or 0) * 86400 + Decimal(hours or 0) * 3600 + Decimal(minutes or 0) * 60
                + Decimal(seconds or 0))
    return None


def _seconds(submission: Mapping, path: str) -> Decimal | None:
    value = get_field(submission, "time_taken")
    if is_absent(value):
        return None
    full = join_path(path, "time_taken")
    if isinstance(value, str) and len(value) <= 64 and (parsed := _duration_text(value)) is not None:
        return parsed
    try:
        seconds = to_decimal(value, full)
    except PayloadError:
        if isinstance(value, str):
            return None  # a string in a form no source documents: the start and end times still count
        raise
    if seconds < 0:
        raise PayloadError(full, "must not be negative")
    if seconds >= MAX_COUNT:
        raise PayloadError(full, "is implausibly large")
    return seconds


def _times(submission: Mapping, path: str) -> tuple[datetime | None, datetime | None, date]:
    started = stated_start = _moment(submission, "started_at", path)
    end_key = "completed_at" if _moment(submission, "completed_at", path) is not None else "returned_at"
    ended = completed = _moment(submission, end_key, path)
    taken = _seconds(submission, path)
    try:
        if taken is not None and started is None and ended is not None:
            started = ended - timedelta(seconds=round(taken))
        elif taken is not None and ended is None and started is not None:
            ended = started + timedelta(seconds=round(taken))
    except OverflowError:
        raise PayloadError(join_path(path, "time_taken"), "is out of range") from None
    if started is not None and ended is not None and ended < started:
        raise PayloadError(join_path(path, end_key), "lies before started_at")
    if completed is None and stated_start is None:
        raise PayloadError(join_path(path, "completed_at"), "is required (or returned_at, or started_at)")
    day = completed or stated_start
    assert day is not None
    return started, ended, day.date()


def _parse_submission(raw: Any, path: str) -> HistoryItem | None:
    submission = require_object(raw, path)
    state = _status(submission, path)
    if state is None:
        return None
    assignment_id = required_id(submission, "id", path)
    study = optional_object(submission, "study", path)
    requester_id, requester_name = _requester(submission, study, path)
    title = shorten(_title(submission, study, path), MAX_TITLE_CHARS)
    reward_cents, currency = _reward(submission, study, path)
    reward_cents, bonus_cents = _pay(submission, state, reward_cents, currency, path)
    started, ended, work_date = _times(submission, path)
    return HistoryItem(
        platform="prolific",
        assignment_id=assignment_id,
        task_id=_study_id(submission, study, path),
        requester_id=requester_id,
        requester_name=shorten(requester_name, MAX_NAME_CHARS),
        title=title,
        reward_cents=reward_cents,
        bonus_cents=bonus_cents,
        currency=currency,
        state=state,
        work_date=work_date,
        started_at=started,
        ended_at=ended,
    )


def _link(data: Mapping, name: str) -> str | None:
    """`_links.<name>.href` (or `_links.<name>` as a string); for "next" also a top-level `next` string."""
    links = optional_object(data, "_links", "")
    if links is not None:
        value = get_field(links, name)
        path = f"_links.{name}"
        if isinstance(value, Mapping):
            value, path = get_field(value, "href"), f"{path}.href"
        if not is_absent(value):
            if not isinstance(value, str):
                raise PayloadError(path, f"must be a string, not {describe_type(value)}")
            if value.strip():
                return value.strip()
    if name == "next":
        value = get_field(data, "next")
        if not is_absent(value):
            if not isinstance(value, str):
                raise PayloadError("next", f"must be a string, not {describe_type(value)}")
            if value.strip():
                return value.strip()
    return None


def _page_of(link: str) -> int | None:
    """The `page` query parameter of a link, when it is a plausible page number."""
    try:
        values = parse_qs(urlsplit(link).query).get("page", [])
    except ValueError:
        return None
    if values and values[0].isascii() and values[0].isdigit() and len(values[0]) <= 9 and int(values[0]) >= 1:
        return int(values[0])
    return None


def parse_submissions(payload: bytes | str | dict | list) -> HistoryPage:
    """The finished submissions of one page, in list order (in-progress ones left out), and the paging."""
    data = load_json(payload)
    submissions, prefix = task_list(data, ("results",))
    items = [item for i, raw in enumerate(submissions)
             if (item := _parse_submission(raw, join_path(prefix, i))) is not None]
    if not isinstance(data, Mapping):
        return HistoryPage(items=items, page_number=1, total_results=None, has_more=False)
    link = _link(data, "next")
    this = _link(data, "self")
    page_number = _page_of(this) if this else None
    if page_number is None and link:
        after = _page_of(link)
        page_number = after - 1 if after else None
    page_number = max(page_number or 1, 1)
    meta = optional_object(data, "meta", "")
    total = optional_count(meta, "count", "meta") if meta is not None else None
    if total is None:
        total = optional_count(data, "count", "")
    return HistoryPage(items=items, page_number=page_number, total_results=total,
                       has_more=link is not None)

