"""A worker's task filters and the verdict they give on one task, with the reasons why.

Pure logic, no I/O (DESIGN.md §3 "Filters"): the annotate and feed routes, the workers' filter
settings and the voice view all import this module instead of re-implementing the rules.

Amounts in `Filters` are compared with the task's minor units as they are: there is no currency
conversion here, so a $9.00/h minimum is applied as 900 pence/h to a GBP task.
"""
from __future__ import annotations

import math
import unicodedata
from collections.abc import Collection, Iterable
from datetime import datetime, timezone
from functools import lru_cache
from typing import Annotated, Literal, get_args

import msgspec

from scrapers.model import Task
from server.domain.errors import FairfinderError
from server.domain.money import format_cents, format_hourly
from server.domain.text import text_problem

__all__ = [
    "MAX_KEYWORD_CHARS",
    "MAX_KEYWORDS",
    "MAX_NOTE_CHARS",
    "MAX_PATTERN_CHARS",
    "MAX_RULES",
    "NEED_NAMES",
    "FilterError",
    "Filters",
    "ListRule",
    "MatchKind",
    "Need",
    "Reason",
    "Verdict",
    "rule_matches",
    "validate_filters",
    "verdict",
]

MatchKind = Literal["exact", "substring", "wildcard"]
Need = Literal[
    "needs_sight",
    "needs_hearing",
    "unextendable_time_limit",
    "captcha",
    "webcam_or_phone",
    "download_or_install",
    "personal_data",
    "adult_content",
]
NEED_NAMES: tuple[str, ...] = get_args(Need)

MAX_RULES = 500
MAX_KEYWORDS = 100
MAX_PATTERN_CHARS = 200
MAX_KEYWORD_CHARS = 200
MAX_NOTE_CHARS = 500
MAX_SOURCES = 50
MAX_SOURCE_NAME_CHARS = 64
# Upper bounds keep stored values inside a 64-bit column and catch typos (an extra "00").
_MAX_CENTS = 100_000_000
_MAX_MINUTES = 60 * 24 * 365
_MAX_SHOWN_CHARS = 80  # task text quoted back in a message; long titles would drown a spoken summary


def _described(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)  # shown in the OpenAPI document


# The descriptions of the block and include lists (FiltersIn in server/workers/schemas.py repeats them).
BLOCK_DESCRIPTION = (f"Rules that hide a task whose requester id, requester name or title matches (at most {MAX_RULES}); "
                     "a matching include rule still shows it.")
INCLUDE_DESCRIPTION = (f"Rules that always show a task whose requester id, requester name or title matches, whatever "
                       f"the other filters say (at most {MAX_RULES}).")


class ListRule(msgspec.Struct, kw_only=True):
    """One block- or include-list entry, matched against requester id, requester name and title."""

    pattern: Annotated[str, _described(  # 1..200 chars, not only spaces
        f"What to match: 1 to {MAX_PATTERN_CHARS} characters, not only spaces; compared without case, width or "
        "spacing differences.")]
    match: Annotated[MatchKind, _described(  # wildcard: * any run, ? one character; always anchored
        "exact (the whole field), substring (anywhere in it) or wildcard (* any run, ? one character, matching the "
        "whole field).")] = "exact"
    expires_at: Annotated[datetime | None, _described(  # aware UTC; an expired rule is ignored
        "When the rule stops applying (ISO 8601 with a time zone, UTC); null: never.")] = None
    note: Annotated[str, _described(  # the worker's own reminder, shown next to the reason
        f"The worker's own reminder, shown next to the reason (up to {MAX_NOTE_CHARS} characters).")] = ""


class Filters(msgspec.Struct, kw_only=True):
    """A worker's filter settings. Money in the task currency's minor units."""

    target_cents_per_hour: Annotated[int, _described(  # US federal minimum wage; the base of the bands
        f"The target wage the bands (good, ok, low) compare with, in whole cents per hour of the task's currency, "
        f"1 to {_MAX_CENTS}; 725 (the US federal minimum wage) by default.")] = 725
    min_hourly_cents: Annotated[int | None, _described(
        f"Hide tasks whose estimated hourly pay is below this, in whole cents per hour (0 to {_MAX_CENTS}); tasks "
        "without an estimate are kept. Null: no minimum.")] = None
    min_reward_cents: Annotated[int | None, _described(
        f"Hide tasks that pay less than this for one task, in whole cents (0 to {_MAX_CENTS}); null: no minimum.")] = None
    max_minutes: Annotated[int | None, _described(
        f"Hide tasks estimated (else stated by the requester) to take longer than this many minutes (1 to "
        f"{_MAX_MINUTES}); null: no limit.")] = None
    block: Annotated[list[ListRule], _described(BLOCK_DESCRIPTION)] = []
    include: Annotated[list[ListRule], _described(INCLUDE_DESCRIPTION)] = []
    keywords_include: Annotated[list[str], _described(  # title or description must mention at least one
        f"Hide tasks whose title and description mention none of these words (at most {MAX_KEYWORDS}, each 1 to "
        f"{MAX_KEYWORD_CHARS} characters, case ignored); empty: no such filter.")] = []
    keywords_exclude: Annotated[list[str], _described(
        f"Hide tasks whose title or description mentions any of these words (at most {MAX_KEYWORDS}, each 1 to "
        f"{MAX_KEYWORD_CHARS} characters, case ignored).")] = []
    qualified_only: Annotated[bool, _described(  # qualified None (page did not say) is kept
        "Hide tasks the page says the worker is not qualified for (kept when the page does not say).")] = False
    hide_masters: Annotated[bool, _described("Hide tasks that require the MTurk Masters qualification.")] = False
    hide_below_target: Annotated[bool, _described(  # only when the hourly is known
        "Hide tasks whose estimated hourly pay is below `target_cents_per_hour` (only when an estimate exists).")] = False
    hide_unknown_pay: Annotated[bool, _described("Hide tasks without an hourly pay estimate.")] = False
    hide_needs: Annotated[list[Need], _described(
        "Hide tasks that reviewers or the platform say need any of these (e.g. needs_sight, captcha).")] = []
    # How much ratings imported from other communities count beside this community's own (server/community):
    # 1 = as much as ours, 0 = not at all. `source_weights` sets it per source, by the source's name.
    other_communities_weight: Annotated[float, _described(
        "How much reviews imported from other communities count beside this community's own: 0 (not at all) to 1 "
        "(as much).")] = 1.0
    source_weights: Annotated[dict[str, float], _described(
        f"The same weight, 0 to 1, per source by its name (1 to {MAX_SOURCE_NAME_CHARS} characters, at most "
        f"{MAX_SOURCES} sources); a source not listed gets `other_communities_weight`.")] = {}


class Reason(msgspec.Struct):
    """Why a filter applies to a task: a stable machine code and a short human phrase."""

    code: Annotated[str, msgspec.Meta(description="Stable machine code of the reason, e.g. below_target.")]
    message: Annotated[str, msgspec.Meta(description="The reason in words, for people.")]


class Verdict(msgspec.Struct):
    hidden: Annotated[bool, msgspec.Meta(description="True when the worker's filters hide the task.")]
    # every reason that applies, blocked first; listed even when included
    reasons: Annotated[list[Reason], msgspec.Meta(
        description="Every filter that applies, blocked first; listed even when an include rule shows the task.")]
    included: Annotated[bool, msgspec.Meta(
        description="An include rule matched: the task is shown whatever the reasons say.")] = False


class FilterError(FairfinderError, ValueError):
    """Invalid filter settings. `field` is the path of the bad value, e.g. "block[2].pattern"."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# ---------------------------------------------------------------------------------------------
# Validation


def validate_filters(f: Filters) -> None:
    """Raise FilterError for the first bad value, in field order; return None when all is well."""
    _check_amount("target_cents_per_hour", f.target_cents_per_hour, minimum=1)
    _check_amount("min_hourly_cents", f.min_hourly_cents, minimum=0)
    _check_amount("min_reward_cents", f.min_reward_cents, minimum=0)
    if f.max_minutes is not None and not 1 <= f.max_minutes <= _MAX_MINUTES:
        raise FilterError("max_minutes", f"must be between 1 and {_MAX_MINUTES}")
    _check_rules("block", f.block, is_block=True)
    _check_rules("include", f.include, is_block=False)
    _check_keywords("keywords_include", f.keywords_include)
    _check_keywords("keywords_exclude", f.keywords_exclude)
    for i, need in enumerate(f.hide_needs):
        if need not in NEED_NAMES:
            raise FilterError(f"hide_needs[{i}]", f"must be one of {', '.join(NEED_NAMES)}")
    _check_weight("other_communities_weight", f.other_communities_weight)
    if len(f.source_weights) > MAX_SOURCES:
        raise FilterError("source_weights", f"at most {MAX_SOURCES} sources")
    for name, weight in f.source_weights.items():
        if not name.strip() or len(name) > MAX_SOURCE_NAME_CHARS:
            raise FilterError("source_weights", f"source names are 1 to {MAX_SOURCE_NAME_CHARS} characters")
        _check_text("source_weights", name, written=False)
        _check_weight(f"source_weights.{name}", weight)


def _check_weight(field: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise FilterError(field, "must be a number from 0 (do not count) to 1 (count like this community's own)")


def _check_amount(field: str, value: int | None, *, minimum: int) -> None:
    if value is None:
        return
    if value < minimum:
        raise FilterError(field, "must not be negative" if minimum == 0 else "must be positive")
    if value > _MAX_CENTS:
        raise FilterError(field, f"must be at most {_MAX_CENTS}")


def _check_rules(field: str, rules: list[ListRule], *, is_block: bool) -> None:
    if len(rules) > MAX_RULES:
        raise FilterError(field, f"at most {MAX_RULES} rules")
    for i, rule in enumerate(rules):
        where = f"{field}[{i}]"
        if not rule.pattern.strip():
            raise FilterError(f"{where}.pattern", "must not be empty")
        if len(rule.pattern) > MAX_PATTERN_CHARS:
            raise FilterError(f"{where}.pattern", f"at most {MAX_PATTERN_CHARS} characters")
        _check_text(f"{where}.pattern", rule.pattern, written=False)  # matched against text copied from platforms
        if rule.match not in get_args(MatchKind):
            raise FilterError(f"{where}.match", "must be exact, substring or wildcard")
        # "*", "**", "?*" ... match every non-empty requester id, so the list would hide everything.
        if is_block and rule.match == "wildcard" and _matches_everything(rule.pattern):
            raise FilterError(f"{where}.pattern", "would block every task")
        if rule.expires_at is not None and rule.expires_at.utcoffset() is None:
            raise FilterError(f"{where}.expires_at", "must include a time zone (UTC)")
        if len(rule.note) > MAX_NOTE_CHARS:
            raise FilterError(f"{where}.note", f"at most {MAX_NOTE_CHARS} characters")
        _check_text(f"{where}.note", rule.note, written=True)


def _matches_everything(pattern: str) -> bool:
    folded = _fold(pattern)  # as matching sees it: a full-width "＊" is a star too
    return "*" in folded and set(folded) <= {"*", "?"}


def _check_keywords(field: str, keywords: list[str]) -> None:
    if len(keywords) > MAX_KEYWORDS:
        raise FilterError(field, f"at most {MAX_KEYWORDS} keywords")
    for i, keyword in enumerate(keywords):
        if not keyword.strip():
            raise FilterError(f"{field}[{i}]", "must not be empty")
        if len(keyword) > MAX_KEYWORD_CHARS:
            raise FilterError(f"{field}[{i}]", f"at most {MAX_KEYWORD_CHARS} characters")
        _check_text(f"{field}[{i}]", keyword, written=False)


def _check_text(field: str, value: str, *, written: bool) -> None:
    # NUL cannot be stored (PostgreSQL jsonb refuses it); server/domain/text.py has the rule for every text field.
    problem = text_problem(value, written=written)
    if problem is not None:
        raise FilterError(field, problem)


# ---------------------------------------------------------------------------------------------
# Matching


def _fold(text: str) -> str:
    """Caseless, width- and composition-insensitive form with whitespace runs collapsed.

    NFKC before and after casefold so "É" typed composed or decomposed, or "ＡＢＣ" typed full-width,
    all compare equal.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


# Patterns and keywords (short, validated) are folded once per page of tasks rather than per task;
# task text is not cached, as descriptions are long and seldom repeat.
_fold_setting = lru_cache(maxsize=8192)(_fold)


@lru_cache(maxsize=8192)
def _literal_runs(pattern: str) -> tuple[str, ...]:
    return tuple(run for run in pattern.replace("?", "*").split("*") if run)


def _wildcard_match(pattern: str, text: str) -> bool:
    """Anchored glob with only `*` and `?`; every other character is literal.

    A two-pointer scan that backtracks only to the last `*`: O(len(pattern)·len(text)) at worst, so
    hostile patterns cannot blow up the way a translated regex could.
    """
    # Cheap necessary condition first: every literal run must occur somewhere. Skips the Python loop
    # for almost every (rule, task) pair when a page is checked against hundreds of rules.
    if any(piece not in text for piece in _literal_runs(pattern)):
        return False
    p = t = 0
    star = -1  # position in pattern just after the last '*'
    resume = 0  # text position that '*' is currently assumed to stop at
    while t < len(text):
        if p < len(pattern) and pattern[p] == "*":
            star, resume = p + 1, t
            p += 1
        elif p < len(pattern) and (pattern[p] == "?" or pattern[p] == text[t]):
            p += 1
            t += 1
        elif star != -1:
            resume += 1  # let the last '*' swallow one more character
            p, t = star, resume
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def _folded_matches(kind: str, folded_pattern: str, folded_text: str) -> bool:
    if kind == "exact":
        return folded_pattern == folded_text
    if kind == "substring":
        return folded_pattern in folded_text
    if kind == "wildcard":
        return _wildcard_match(folded_pattern, folded_text)
    return False  # unknown kind from an unvalidated struct: never match rather than guess


def _as_utc(moment: datetime) -> datetime:
    # Naive datetimes are taken as UTC so a stray naive value cannot make comparisons raise.
    return moment.replace(tzinfo=timezone.utc) if moment.utcoffset() is None else moment


def _is_live(rule: ListRule, now: datetime) -> bool:
    return rule.expires_at is None or _as_utc(rule.expires_at) > _as_utc(now)


_Field = Literal["requester_id", "requester_name", "title"]


def _task_fields(task: Task) -> tuple[tuple[_Field, str], ...]:
    return (
        ("requester_id", _fold(task.requester_id)),
        ("requester_name", _fold(task.requester_name)),
        ("title", _fold(task.title)),
    )


def _matched_field(
    rule: ListRule, fields: tuple[tuple[_Field, str], ...], now: datetime
) -> _Field | None:
    """Which task field a live rule matches, requester fields first; None when it does not match."""
    folded_pattern = _fold_setting(rule.pattern)
    # A blank pattern would equal every blank requester name; validation refuses it, matching ignores it.
    if not folded_pattern or not _is_live(rule, now):
        return None
    for name, value in fields:
        if value and _folded_matches(rule.match, folded_pattern, value):
            return name
    return None


def rule_matches(rule: ListRule, task: Task, now: datetime) -> bool:
    """True when the rule is not expired and matches the requester id, requester name or title."""
    return _matched_field(rule, _task_fields(task), now) is not None


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _mentions(text: str, keyword: str) -> bool:
    """Whole-word-ish: `keyword` occurs in `text` and, where it starts or ends with a letter or digit,
    is not glued to another one ("survey" matches "Survey!" but not "surveyor"; "c++" matches "C++ task").
    Both arguments are already folded."""
    if not keyword:
        return False
    start = 0
    while (i := text.find(keyword, start)) != -1:
        end = i + len(keyword)
        left_ok = i == 0 or not (_is_word_char(keyword[0]) and _is_word_char(text[i - 1]))
        right_ok = end == len(text) or not (_is_word_char(keyword[-1]) and _is_word_char(text[end]))
        if left_ok and right_ok:
            return True
        start = i + 1
    return False


def _mentioned(keywords: Iterable[str], texts: tuple[str, ...]) -> list[str]:
    """The keywords (as the worker typed them, trimmed) found in any of the folded texts."""
    found: list[str] = []
    for keyword in keywords:
        folded = _fold_setting(keyword)
        if folded and any(_mentions(text, folded) for text in texts):
            found.append(keyword.strip())
    return found


# ---------------------------------------------------------------------------------------------
# Verdict

# Platform-declared needs (Task.needs) mapped to the review flag names used in hide_needs.
_PLATFORM_NEEDS: dict[str, str] = {
    "audio": "needs_hearing",
    "camera": "webcam_or_phone",
    "microphone": "webcam_or_phone",
    "download": "download_or_install",
    **{name: name for name in NEED_NAMES},
}
_NEED_PHRASES: dict[str, str] = {
    "needs_sight": "needs sight",
    "needs_hearing": "needs hearing",
    "unextendable_time_limit": "has a time limit that cannot be extended",
    "captcha": "has a CAPTCHA",
    "webcam_or_phone": "needs a webcam or phone",
    "download_or_install": "asks you to download or install something",
    "personal_data": "asks for personal data",
    "adult_content": "has adult content",
}


def _shorten(text: str, limit: int = _MAX_SHOWN_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _quote_list(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(f"“{_shorten(item, 40)}”" for item in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _minutes(seconds: float) -> str:
    # Rounded up: "31 min, over your 30 min limit" reads right where "30 min" would not.
    return f"{max(1, math.ceil(seconds / 60))} min"


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _list_reason(rule: ListRule, field: _Field, task: Task, listed: str) -> str:
    pattern = _shorten(rule.pattern.strip(), 60)
    if field == "title":
        message = f"title matches your {listed} list (“{pattern}”)"
    else:
        who = _shorten(task.requester_name.strip() or task.requester_id.strip())
        message = f"requester {who} is on your {listed} list (matched “{pattern}”)"
    note = _shorten(rule.note.strip(), 60)
    return f"{message}; your note: {note}" if note else message


def filters_are_inert(f: Filters) -> bool:
    """True when these filters can neither hide nor include any task (every verdict is "shown").

    Lets callers skip per-task matching for the default filters, the common anonymous case.
    """
    return not (
        f.block or f.include or f.keywords_include or f.keywords_exclude or f.hide_needs
        or f.min_hourly_cents is not None or f.min_reward_cents is not None or f.max_minutes is not None
        or f.qualified_only or f.hide_masters or f.hide_below_target or f.hide_unknown_pay
    )


def verdict(
    task: Task,
    cents_per_hour: float | None,
    duration_seconds: float | None,
    flags: Collection[str],
    filters: Filters,
    now: datetime,
) -> Verdict:
    """Apply `filters` to one task.

    `cents_per_hour` is the effective hourly (None: no estimate), `duration_seconds` the estimated
    duration (None: fall back to the requester's stated duration), `flags` the review flag names
    reported for this task type. Never raises on task text; NaN or infinite figures count as unknown.
    """
    reasons: list[Reason] = []
    currency = task.currency
    fields = _task_fields(task)

    included = any(_matched_field(rule, fields, now) is not None for rule in filters.include)
    for rule in filters.block:
        field = _matched_field(rule, fields, now)
        if field is not None:
            # The first matching rule is enough to explain the block; more would only be noise.
            reasons.append(Reason("blocked", _list_reason(rule, field, task, "block")))
            break

    texts = (fields[2][1], _fold(task.description))  # folded title, folded description
    excluded = _mentioned(filters.keywords_exclude, texts)
    if excluded:
        reasons.append(Reason("keyword_excluded", f"mentions {_quote_list(excluded)}, which you exclude"))
    wanted = [k for k in filters.keywords_include if _fold_setting(k)]
    if wanted and not _mentioned(wanted, texts):
        reasons.append(Reason("keyword_missing", f"mentions none of your keywords ({_quote_list(wanted)})"))

    hourly = _finite(cents_per_hour)
    if hourly is not None:
        if filters.min_hourly_cents is not None and hourly < filters.min_hourly_cents:
            reasons.append(
                Reason(
                    "below_min_hourly",
                    f"{format_hourly(hourly, currency)}, below your "
                    f"{format_hourly(filters.min_hourly_cents, currency)} minimum",
                )
            )
        if filters.hide_below_target and hourly < filters.target_cents_per_hour:
            reasons.append(
                Reason(
                    "below_target",
                    f"{format_hourly(hourly, currency)}, below your "
                    f"{format_hourly(filters.target_cents_per_hour, currency)} target",
                )
            )
    elif filters.hide_unknown_pay:
        reasons.append(Reason("unknown_pay", "no hourly pay estimate yet"))

    if filters.min_reward_cents is not None and task.reward_cents < filters.min_reward_cents:
        reasons.append(
            Reason(
                "below_min_reward",
                f"pays {format_cents(task.reward_cents, currency)}, below your "
                f"{format_cents(filters.min_reward_cents, currency)} minimum reward",
            )
        )

    if filters.max_minutes is not None:
        estimated = _finite(duration_seconds)
        seconds: float | None
        if estimated is not None:
            seconds, verb = estimated, "takes about"
        else:
            seconds, verb = task.stated_seconds, "stated as"
        if seconds is not None and seconds > filters.max_minutes * 60:
            reasons.append(
                Reason("too_long", f"{verb} {_minutes(seconds)}, over your {filters.max_minutes} min limit")
            )

    if filters.qualified_only and task.qualified is False:
        reasons.append(Reason("not_qualified", "you are not qualified"))
    if filters.hide_masters and task.masters_required:
        reasons.append(Reason("masters_only", "requires the Masters qualification"))

    if filters.hide_needs:
        reported = {flag.strip().casefold() for flag in flags if isinstance(flag, str)}
        declared = {
            _PLATFORM_NEEDS[key]
            for need in task.needs
            if isinstance(need, str) and (key := need.strip().casefold()) in _PLATFORM_NEEDS
        }
        hidden_needs = set(filters.hide_needs)
        for need in NEED_NAMES:  # fixed order, whatever order the worker listed them in
            if need not in hidden_needs:
                continue
            sources = []
            if need in reported:
                sources.append("reviewers")
            if need in declared:
                sources.append("the platform")
            if sources:
                reasons.append(Reason(need, f"{_NEED_PHRASES[need]} (reported by {' and '.join(sources)})"))

    return Verdict(hidden=bool(reasons) and not included, reasons=reasons, included=included)
