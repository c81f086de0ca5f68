"""Prolific participant study lists -> `Task`.

Input: the participant-side studies list (`{"results": [study, ...]}`) or a bare list of studies,
as JSON bytes/str or already decoded. Fields read from each study (all others are ignored):

    id                          study id (required only for hit_set_id/url): 24 hex digits (scrapers/ids.py)
    name                        -> title (required)
    description                 -> description, HTML (Prolific's rich text) reduced to plain text
    researcher {id, name, institution {name}}
                                -> requester_id (required, 24 hex digits), requester_name (researcher name, else
                                   the institution's name)
    study_reward {amount, currency} | reward {amount, currency} | reward <int>
                                -> reward_cents, currency (required; amounts are minor units,
                                   i.e. pence/cents; currency defaults to GBP). When both
                                   `study_reward` and `reward` are present, `study_reward` wins: it
                                   is the object form that names its currency.
    estimated_completion_time   minutes -> stated_seconds (else a duration stated in name/description)
    maximum_allowed_time        minutes -> time_allotted_seconds
    total_available_places, places_taken
                                -> available = total - taken, floored at 0 (over-recruitment
                                   can make places_taken exceed the total); None unless both given
    peripheral_requirements     ["AUDIO", "Camera", "microphone", "download", ...]
                                -> needs: lowercase words, separators as "_", duplicates dropped

Validation rules (types, numeric strings, truncation of long text to 2,000 characters, id
checks, reward bounds) are those of the shared readers in `scrapers._payload`, described in
`scrapers.mturk`'s module docstring. The participant list shows studies the participant may
take, but it does not say so per study, so `qualified` stays None.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from scrapers._payload import (
    check_id,
    describe_type,
    get_field,
    is_absent,
    join_path,
    load_json,
    optional_count,
    optional_currency,
    optional_list,
    optional_object,
    optional_text,
    require_object,
    required_text,
    stated_seconds_from,
    task_list,
    to_minor_units,
)
from scrapers import ids
from scrapers.model import PayloadError, Task

__all__ = ["PROLIFIC_BASE_URL", "parse_studies"]

PROLIFIC_BASE_URL = ids.PROLIFIC_BASE_URL
DEFAULT_CURRENCY = "GBP"

_NEED_SEP_RE = re.compile(r"[^a-z0-9]+")
_MAX_NEED_CHARS = 64


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset({"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _html_to_text(value: str) -> str:
    """Prolific descriptions are rich-text HTML; workers (and screen readers) get plain text."""
    if "<" not in value and "&" not in value:
        return value
    extractor = _TextExtractor()
    try:
        extractor.feed(value)
        extractor.close()
    except Exception:  # noqa: BLE001 - fall back to the raw text rather than fail the study
        return value
    text = "".join(extractor.parts)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _reward(study: Mapping, path: str) -> tuple[int, str]:
    for key in ("study_reward", "reward"):
        value = get_field(study, key)
        if is_absent(value):
            continue
        full = join_path(path, key)
        if isinstance(value, Mapping):
            amount = get_field(value, "amount")
            if is_absent(amount):
                raise PayloadError(join_path(full, "amount"), "is required")
            cents = to_minor_units(amount, join_path(full, "amount"), scale=1)
            return cents, optional_currency(value, "currency", full, DEFAULT_CURRENCY)
        if isinstance(value, (list, tuple)):
            raise PayloadError(full, "must be a number or an {amount, currency} object, not a list")
        return to_minor_units(value, full, scale=1), DEFAULT_CURRENCY
    raise PayloadError(join_path(path, "reward"), "is required")


def _requester(study: Mapping, path: str) -> tuple[str, str]:
    researcher_path = join_path(path, "researcher")
    researcher = get_field(study, "researcher")
    if is_absent(researcher):
        raise PayloadError(join_path(researcher_path, "id"), "is required")
    researcher = require_object(researcher, researcher_path)
    rid = get_field(researcher, "id")
    if is_absent(rid):
        raise PayloadError(join_path(researcher_path, "id"), "is required")
    requester_id = check_id(rid, join_path(researcher_path, "id"))
    problem = ids.requester_id_problem("prolific", requester_id)
    if problem is not None:
        raise PayloadError(join_path(researcher_path, "id"), problem)
    name = optional_text(researcher, "name", researcher_path)
    if not name:
        institution = optional_object(researcher, "institution", researcher_path)
        if institution is not None:
            name = optional_text(institution, "name", join_path(researcher_path, "institution"))
    return requester_id, name


def _needs(study: Mapping, path: str) -> list[str]:
    items = optional_list(study, "peripheral_requirements", path)
    if not items:
        return []
    needs: list[str] = []
    for i, item in enumerate(items):
        item_path = join_path(join_path(path, "peripheral_requirements"), i)
        if not isinstance(item, str):
            raise PayloadError(item_path, f"must be a string, not {describe_type(item)}")
        word = _NEED_SEP_RE.sub("_", item.lower()).strip("_")[:_MAX_NEED_CHARS]
        if word and word not in needs:
            needs.append(word)
    return needs


def _available(study: Mapping, path: str) -> int | None:
    total = optional_count(study, "total_available_places", path)
    taken = optional_count(study, "places_taken", path)
    if total is None or taken is None:
        return None
    return max(total - taken, 0)


def _parse_study(raw: Any, path: str) -> Task:
    study = require_object(raw, path)
    requester_id, requester_name = _requester(study, path)
    title = required_text(study, "name", path)
    reward_cents, currency = _reward(study, path)
    study_id_raw = get_field(study, "id")
    study_id = None if is_absent(study_id_raw) else check_id(study_id_raw, join_path(path, "id"))
    if study_id is not None and (problem := ids.group_id_problem("prolific", study_id)) is not None:
        raise PayloadError(join_path(path, "id"), problem)
    description = optional_text(study, "description", path, transform=_html_to_text)
    stated = optional_count(study, "estimated_completion_time", path, scale=60)
    if stated is None or stated == 0:
        stated = stated_seconds_from(title, description)
    return Task(
        platform="prolific",
        requester_id=requester_id,
        requester_name=requester_name,
        title=title,
        reward_cents=reward_cents,
        currency=currency,
        hit_set_id=study_id,
        description=description,
        stated_seconds=stated,
        time_allotted_seconds=optional_count(study, "maximum_allowed_time", path, scale=60),
        available=_available(study, path),
        qualified=None,
        masters_required=False,
        needs=_needs(study, path),
        url=ids.task_url("prolific", study_id),
    )


def parse_studies(payload: bytes | str | dict | list) -> list[Task]:
    """Tasks from a Prolific participant studies list, in list order.

    Accepts `{"results": [...]}` or a bare list, as JSON bytes/str or decoded. Raises
    `PayloadError` (and nothing else) naming the first bad field, e.g. `results[2].reward`.
    """
    data = load_json(payload)
    studies, prefix = task_list(data, ("results",))
    return [_parse_study(item, join_path(prefix, i)) for i, item in enumerate(studies)]

