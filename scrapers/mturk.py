"""Amazon Mechanical Turk task lists (worker.mturk.com) -> `Task`.

Two inputs carry the same result objects (see /work/shared/fixtures/mturk/worker_mturk_json_shapes.json):

* the search JSON (`GET https://worker.mturk.com/?...&format=json`): `{"results": [ ... ]}`;
* the search HTML page, whose `HitSetTable` element carries them as `bodyData` inside an
  HTML-entity-escaped `data-react-props` attribute.

How payloads are judged (by the readers in `scrapers._payload`, shared with `scrapers.prolific`):

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
  alias another one: they must be MTurk's (scrapers/ids.py: a requester id is "A" and upper-case
  letters and digits, a hit_set_id 30 upper-case letters and digits) or the payload is rejected.
* A task's link is built only from its checked hit_set_id (scrapers/ids.py `task_url`), never copied
  from the page; `project_tasks_url` must still be a path on https://worker.mturk.com (or an absolute
  URL on it): anything else (another host, `javascript:`) is an error, as a sign the page changed.
* Decoding: bytes/str are JSON (UTF-8, an optional BOM is skipped); anything that is not valid
  JSON, too deeply nested, or has out-of-range numbers is `PayloadError("payload", ...)`.
  The 100-task page limit is the API's business, not enforced here.
"""
from __future__ import annotations

from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from scrapers._payload import (
    MAX_TEXT_CHARS,
    MISSING,
    describe_type,
    get_field,
    is_absent,
    join_path,
    load_json,
    optional_bool,
    optional_count,
    optional_currency,
    group_id_of,
    optional_list,
    optional_object,
    optional_text,
    require_object,
    requester_id_of,
    required_text,
    stated_seconds_from,
    task_list,
    to_minor_units,
)
from scrapers import ids
from scrapers.model import PayloadError, Task

__all__ = [
    "MASTERS_QUAL_IDS",
    "MTURK_BASE_URL",
    "parse_hitset_table_html",
    "parse_search",
]

MTURK_BASE_URL = ids.MTURK_BASE_URL

# The Masters qualifications mturk-suite counts as Masters (brandonhellman/mturk-suite, formerly
# Kadauchi/mturk-suite, hit-finder/hit-finder.js and background/hit-exporter.js @cd3b4ce9): Masters, and the
# older Categorization and Photo Moderation Masters; plus the sandbox's Masters.
MASTERS_QUAL_IDS: frozenset[str] = frozenset(
    {
        "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH",  # Masters, production
        "2NDP2L92HECWY8NS8H3CK0CP5L9GHO",  # Categorization Masters, production
        "21VZU98JHSTLZ5BPP4A9NOBJEK3DPG",  # Photo Moderation Masters, production
        "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6",  # Masters, sandbox
    }
)

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
    return ids.task_url("mturk", hit_set_id)


def _parse_result(raw: Any, path: str) -> Task:
    result = require_object(raw, path)
    requester_id = requester_id_of(result, "requester_id", path, "mturk")
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

    hit_set_id = group_id_of(result, "hit_set_id", path, "mturk")
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
    if isinstance(data, Mapping) and get_field(data, "bodyData") is MISSING and get_field(data, "results") is MISSING:
        raise PayloadError("bodyData", "is required")
    return parse_search(data)
