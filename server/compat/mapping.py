"""How our review facts become Turkopticon's fields. Pure: no I/O, standard library and msgspec only.

Turkopticon 1 (`/api/multi-attrs.php`, 2020–21) and Turkopticon 2 (`/requesters`, JSON:API) shapes follow
../shared/fixtures/turkopticon (reconstructed from Turkopticon's server code); docs/turkopticon-api.md has
the table of every mapping and approximation.

The server counts in SQL (server/compat/routes.py builds its CASE expressions from the constants and
rules here). `tally_reviews` is the same counting written per review in Python: the reference the tests
compare the SQL with. The server never runs it.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal, TypeGuard

import msgspec

from scrapers.ids import is_requester_id

PLATFORM = "mturk"  # both Turkopticons only ever knew Mechanical Turk

# --- requests ---------------------------------------------------------------------------------------

MAX_IDS = 100  # requesters per request, as our own batch endpoint
MAX_ID_LENGTH = 64  # MTurk requester ids are ~14 characters; anything past this is not one
MAX_IDS_CHARS = MAX_IDS * (MAX_ID_LENGTH + 2)  # a longer `ids` value cannot be valid; not even split
MAX_RID_LENGTH = 128  # our requesters.external_id column


# Turkopticon 1 answered a missing `ids` with this plain-text sentence (status 200, text/html); we keep its
# first sentence word for word so that anything matching on it still does, and say what a valid call is.
USAGE = ("To get data, call this URL with an 'ids' parameter. "
         "Usage: multi-attrs.php?ids=A1B2C3,D4E5F6 (comma-separated MTurk requester IDs: \"A\" and upper-case "
         f"letters and digits, at most {MAX_IDS} per request).")


def parse_ids(raw: str | None) -> list[str] | None:
    """The requester ids of a multi-attrs call, in the order asked, each once; None → answer USAGE.

    Spaces around ids and empty items ("A1,,A2,") are forgiven; an id that is not an MTurk requester id
    (scrapers/ids.py), or more than MAX_IDS distinct ids, makes the whole call a usage error (as a malformed call did).
    """
    if raw is None or len(raw) > MAX_IDS_CHARS:
        return None
    ids = [part.strip() for part in raw.split(",")]
    ids = [i for i in ids if i]
    if not ids or not all(is_requester_id(PLATFORM, i) for i in ids):
        return None
    unique = list(dict.fromkeys(ids))
    return unique if len(unique) <= MAX_IDS else None


def parse_rids(raw: str | None) -> list[str] | None:
    """The `rids` of a TO2 index call in the order asked, each once; None when missing or empty (→ 400).

    Like Turkopticon 2, ids are not validated: one that is no requester of ours is silently left out.
    The caller refuses more than MAX_IDS.
    """
    if raw is None or raw == "":
        return None
    rids = [part.strip() for part in raw.split(",")]
    return list(dict.fromkeys(r for r in rids if r and len(r) <= MAX_RID_LENGTH))


# --- Turkopticon 2: media types, sparse fieldsets, errors ------------------------------------------

TO2_VENDOR = "application/vnd.turkopticon"
TO2_VENDOR_TYPES = frozenset({f"{TO2_VENDOR}+json", f"{TO2_VENDOR}.v2+json", f"{TO2_VENDOR}.v2.0-alpha+json"})


def accept_problem(accept: str | None) -> int | None:
    """What Turkopticon 2's router made of an Accept header: None (served), 404 or 415.

    A Turkopticon vendor type must name a version it had (else the catch-all route: 404); any other
    Accept must mention json or */* (else 415 on /requesters). No Accept header at all is served: an
    HTTP client that sends none wants whatever there is.
    """
    if accept is None or not accept.strip():
        return None
    first = accept.split(",")[0].split(";")[0].strip().lower()
    if first.startswith(TO2_VENDOR):
        return None if first in TO2_VENDOR_TYPES else 404
    lowered = accept.lower()
    return None if ("json" in lowered or "*/*" in lowered) else 415


TO2_ATTRIBUTES = ("name", "rid", "aggregates", "aliases")  # what `fields[requesters]` may name
TO2_INDEX_ATTRIBUTES = TO2_ATTRIBUTES  # the fixture's index shape
TO2_SHOW_ATTRIBUTES = ("rid", "aggregates")  # the fixture's show shape has no name and no aliases


def requested_attributes(query: Iterable[tuple[str, str]], default: Sequence[str]) -> list[str] | None:
    """The attributes to send, in order, from JSON:API sparse fieldsets; None → 400 "unavailable".

    `fields[requesters]=rid,name` picks and orders attributes (unknown names are ignored, as
    Turkopticon 2 ignored them). Any other `fields…` parameter without `fields[requesters]` is refused.
    """
    present, wanted = False, None
    for key, value in query:
        if key == "fields" or key.startswith("fields["):
            present = True
            if key == "fields[requesters]":
                wanted = value
    if not present:
        return list(default)
    if wanted is None:
        return None
    names = dict.fromkeys(name.strip() for name in wanted.split(","))
    return [name for name in names if name in TO2_ATTRIBUTES]


TO2_TITLES = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 415: "Unsupported Media Type",
              500: "Internal Server Error"}
MISSING_RIDS = "Bad Request -- Missing required parameter: rids."
TOO_MANY_RIDS = f"Bad Request -- At most {MAX_IDS} rids per request."
BAD_FIELDS = "Specified field type(s) unavailable."


def unknown_requester(rid: str) -> str:
    return f"RequesterId '{rid}' does not exist in the database"


def to2_error(status: int, detail: str | None = None) -> dict[str, Any]:
    """Turkopticon 2's error document: status as a string inside, as a number beside."""
    error: dict[str, Any] = {"status": str(status), "title": TO2_TITLES.get(status, "Error")}
    if detail is not None:
        error["detail"] = detail
    return {"errors": [error], "status": status}


# --- the rules, per review -------------------------------------------------------------------------

RATING_MIN, RATING_MAX = 1, 5
GOOD_RATING = 4  # a communication rating this high is Turkopticon 2's comm "yes"; a mean this high recommends
# Turkopticon 1's attrs → our rating dimensions, in Turkopticon's key order (scripts iterate it).
TO1_ATTRS = (("comm", "communication"), ("pay", "pay"), ("fair", "fairness"), ("fast", "speed"))
REJECTED_OUTCOMES = ("rejected", "blocked")  # TO2 "rejected": x
UNDECIDED_OUTCOMES = ("returned",)  # with NULL: not counted in TO2 "rejected": n
TOS_FLAGS = ("personal_data", "download_or_install")  # MTurk's policy forbids asking for either
BROKEN_FLAG = "broken"
# Hourly pay buckets of TO1: (label, lowest dollars/hour, first dollars/hour above it); lower bound inclusive.
PAY_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("$0-$4", 0, 4), ("$4-$7", 4, 7), ("$7-$10", 7, 10), ("$10-$15", 10, 15), ("$15+", 15, None))
CENTS_PER_HOUR_TO_DOLLARS = Fraction(36)  # (cents / seconds) * 3600 / 100 = cents * 36 / seconds dollars/h


def valid_rating(value: int | None) -> TypeGuard[int]:
    return value is not None and RATING_MIN <= value <= RATING_MAX


def hourly_dollars(reward_cents: int | None, bonus_cents: int | None, worked_seconds: int | None) -> Fraction | None:
    """(reward + bonus) per hour worked, in dollars, exactly; None without a known reward or a time."""
    if reward_cents is None or not worked_seconds or worked_seconds <= 0:
        return None
    return Fraction((reward_cents + (bonus_cents or 0)) * 36, worked_seconds)


def bucket_of(rate: Fraction | float) -> int:
    """Index into PAY_BUCKETS; each bucket holds its lower bound ($4.00/h is "$4-$7")."""
    for index, (_, _, upper) in enumerate(PAY_BUCKETS):
        if upper is None or rate < upper:
            return index
    return len(PAY_BUCKETS) - 1  # unreachable: the last bucket has no upper bound


def recommends(ratings: Iterable[int | None]) -> bool | None:
    """A review recommends its requester when the mean of the ratings it gives is GOOD_RATING or more.

    None when it gives no rating (it is then not counted in TO2 "recommend": n).
    """
    given = [r for r in ratings if valid_rating(r)]
    if not given:
        return None
    return sum(given) >= GOOD_RATING * len(given)


def violates_tos(flags: Iterable[str]) -> bool:
    return any(flag in TOS_FLAGS for flag in flags)


# --- counts per requester --------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Everything both APIs need about one requester's reviews in one period; SQL fills it by name."""

    reviews: int = 0
    n_comm: int = 0  # reviews with a communication rating
    sum_comm: int = 0
    n_pay: int = 0
    sum_pay: int = 0
    n_fair: int = 0
    sum_fair: int = 0
    n_fast: int = 0
    sum_fast: int = 0
    comm_yes: int = 0  # communication rating >= GOOD_RATING
    recommend_yes: int = 0
    recommend_n: int = 0  # reviews with at least one rating
    rejected_yes: int = 0
    rejected_n: int = 0  # reviews with an outcome other than NULL or returned
    tos: int = 0
    broken: int = 0
    reward_cents: int = 0  # Σ task reward (no bonus) over reviews with worked_seconds > 0 and a known reward
    reward_seconds: int = 0
    reward_n: int = 0
    pending_sum: int = 0  # Σ approval_seconds over reviews with approval_seconds > 0
    pending_n: int = 0
    rate_n: int = 0  # reviews with an hourly rate (worked_seconds > 0 and a known reward)
    buckets: tuple[int, ...] = field(default=(0,) * len(PAY_BUCKETS))


TALLY_COUNTS = tuple(f.name for f in fields(Tally) if f.name != "buckets")


def bucket_column(index: int) -> str:
    return f"bucket_{index}"


def tally_from_row(row: Any, prefix: str = "") -> Tally:
    """A Tally from a result row (a mapping) with columns named `prefix + field` and `prefix + bucket_i`."""
    def number(name: str) -> int:
        return int(row[prefix + name] or 0)  # SUM over no rows is NULL; PostgreSQL sums are Decimals

    return Tally(**{name: number(name) for name in TALLY_COUNTS},
                 buckets=tuple(number(bucket_column(i)) for i in range(len(PAY_BUCKETS))))


def add_tallies(first: Tally, second: Tally) -> Tally:
    """The tally of two disjoint sets of reviews (SQL counts older and recent reviews apart; "all" is both)."""
    return Tally(**{name: getattr(first, name) + getattr(second, name) for name in TALLY_COUNTS},
                 buckets=tuple(a + b for a, b in zip(first.buckets, second.buckets)))


@dataclass(frozen=True)
class ReviewFacts:
    """One review (local or imported) as the counting sees it."""

    pay: int | None = None
    fairness: int | None = None
    speed: int | None = None
    communication: int | None = None
    worked_seconds: int | None = None
    outcome: str | None = None
    approval_seconds: int | None = None
    bonus_cents: int | None = None
    flags: tuple[str, ...] = ()
    reward_cents: int | None = None  # of the task reviewed; None for a review of the requester as a whole


def tally_reviews(reviews: Iterable[ReviewFacts]) -> Tally:
    """The reference counting, one review at a time (tests only: the server counts in SQL)."""
    counts = dict.fromkeys(TALLY_COUNTS, 0)
    buckets = [0] * len(PAY_BUCKETS)
    for review in reviews:
        counts["reviews"] += 1
        for attr, dimension in TO1_ATTRS:
            value = getattr(review, dimension)
            if valid_rating(value):
                counts[f"n_{attr}"] += 1
                counts[f"sum_{attr}"] += value
        if valid_rating(review.communication) and review.communication >= GOOD_RATING:
            counts["comm_yes"] += 1
        recommended = recommends([review.pay, review.fairness, review.speed, review.communication])
        if recommended is not None:
            counts["recommend_n"] += 1
            counts["recommend_yes"] += recommended
        if review.outcome is not None and review.outcome not in UNDECIDED_OUTCOMES:
            counts["rejected_n"] += 1
            counts["rejected_yes"] += review.outcome in REJECTED_OUTCOMES
        counts["tos"] += violates_tos(review.flags)
        counts["broken"] += BROKEN_FLAG in review.flags
        if review.approval_seconds is not None and review.approval_seconds > 0:
            counts["pending_n"] += 1
            counts["pending_sum"] += review.approval_seconds
        rate = hourly_dollars(review.reward_cents, review.bonus_cents, review.worked_seconds)
        if rate is not None:
            counts["reward_n"] += 1
            counts["reward_cents"] += review.reward_cents or 0
            counts["reward_seconds"] += review.worked_seconds or 0
            counts["rate_n"] += 1
            buckets[bucket_of(rate)] += 1
    return Tally(**counts, buckets=tuple(buckets))


# --- Turkopticon 1 ---------------------------------------------------------------------------------


def two_decimals(value: Fraction | Decimal | int | float) -> str:
    """"%.2f" rounding half away from zero, as MySQL stores a DECIMAL(3,2): 4.675 → "4.68", 4.665 → "4.67".

    Exact: a float is taken as the decimal it prints as (4.675, not 4.67499999…), a Fraction as itself.
    """
    if isinstance(value, float):
        if not math.isfinite(value):
            return "0.00"
        value = Decimal(repr(value))
    hundredths = Fraction(value) * 100
    cents = math.floor(abs(hundredths) + Fraction(1, 2))
    whole, part = divmod(cents, 100)
    return f"{'-' if hundredths < 0 and cents else ''}{whole}.{part:02d}"


def mean_string(total: int, count: int) -> str:
    """A TO1 attr: the mean rating with two decimals; "0.00" when nobody gave one."""
    return two_decimals(Fraction(total, count)) if count > 0 else "0.00"


def pay_buckets(tally: Tally, imported: Sequence[tuple[int, ...]] = ()) -> list[list[Any]] | None:
    """All five [label, count] pairs in fixed order, or None when no review has an hourly rate. `imported`: other
    communities' counts in the same five buckets (a Turkopticon 1 file's, imported_buckets)."""
    if tally.rate_n == 0 and not imported:
        return None
    counts = [sum(column) for column in zip(tally.buckets, *imported)]
    return [[label, count] for (label, _, _), count in zip(PAY_BUCKETS, counts)]


def imported_buckets(figures: SourceFigures) -> tuple[int, ...] | None:
    """An imported Turkopticon 1 file's `pay_buckets` (its reviews per hourly-pay range, kept raw by the import)
    when they are ours label for label; None otherwise (no other source counts reviews by hourly range)."""
    raw = (figures.extra or {}).get("pay_buckets") if figures.kind == "turkopticon1" else None
    if not isinstance(raw, list) or len(raw) != len(PAY_BUCKETS):
        return None
    counts = []
    for pair, (label, _, _) in zip(raw, PAY_BUCKETS):
        count = _count(pair[1]) if isinstance(pair, list) and len(pair) == 2 and pair[0] == label else None
        if count is None:
            return None
        counts.append(count)
    return tuple(counts)


def to1_entry(name: str, tally: Tally, means: dict[str, float | None] | None = None,
              imported: Sequence[SourceFigures] = ()) -> dict[str, Any]:
    """One requester of multi-attrs.php, keys in Turkopticon's order.

    `means`: the requester's rating means by our dimension as Fairfinder shows them everywhere (weighted by who
    gave them, two decimals: server/domain/summary.py, figures.py), written as Turkopticon's "x.xx" text ("0.00"
    when nobody gave one). Without them (the reference tests), the plain means of `tally`. `imported`: other
    communities' aggregates of reviews we do not hold: their reviews count, and their TOS flags and pay buckets
    where they say them (as on the Turkopticon 2 routes: imported_periods).
    """
    if means is None:
        attrs = {attr: mean_string(getattr(tally, f"sum_{attr}"), getattr(tally, f"n_{attr}")) for attr, _ in TO1_ATTRS}
    else:
        attrs = {attr: rating_string(means.get(dimension)) for attr, dimension in TO1_ATTRS}
    periods = [imported_periods(figures)[0] for figures in imported]
    buckets = [found for figures in imported if (found := imported_buckets(figures)) is not None]
    return {
        "name": name,
        "attrs": attrs,
        "pay_buckets": pay_buckets(tally, buckets),
        "reviews": tally.reviews + sum(period.reviews for period in periods),
        "tos_flags": tally.tos + sum(period.tos[0] for period in periods if period.tos is not None),
    }


def rating_string(shown: float | None) -> str:
    """A rating mean already rounded once (two decimals) as a TO1 attr; "0.00" when there is none."""
    return two_decimals(shown) if shown is not None else "0.00"


def html_safe_json(document: Any) -> bytes:
    """JSON that stays inert if a browser renders it as text/html: <, > and & inside strings become \\u escapes.

    JSON.parse gives back exactly the same values. (Outside strings JSON never has these characters.)
    """
    encoded = msgspec.json.encode(document)
    return encoded.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


def to1_body(asked: Sequence[str], entries: dict[str, dict[str, Any]]) -> bytes:
    """The multi-attrs.php document: every id asked, in order, "" for one we know nothing of."""
    return html_safe_json({rid: entries.get(rid, "") for rid in asked})


# --- Turkopticon 2 ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedPeriod:
    """What another community's published aggregates of a requester say of one TO2 period, in TO2's counts.

    None: the source does not say (it is then counted nowhere, never as zero). `reviews` is the source's number
    of reviews in the period: the N of the triples. A pair (`tos`, `broken`) is (x, N) and counts only where x is
    known, so that x / N stays a true share.
    """

    reviews: int = 0
    reward: tuple[int, int, int] | None = None  # Σ task reward in cents, Σ seconds worked, reviews with a time
    pending: float | None = None  # mean seconds until approval, over a number of reviews the source does not say
    comm: tuple[int, int] | None = None  # (x, n)
    recommend: tuple[int, int] | None = None
    rejected: tuple[int, int] | None = None
    tos: tuple[int, int] | None = None  # (x, N)
    broken: tuple[int, int] | None = None


@dataclass(frozen=True)
class SourceFigures:
    """A source's stored aggregates of one requester (server.db.models.SourceRequesterStats) and the source's kind."""

    kind: str  # fairfinder | turkopticon1 | turkopticon2 | csv
    reviews: int
    summary: dict[str, Any]
    ratings: dict[str, Any]
    rejections: int
    approval_seconds: float | None
    recent: dict[str, Any]
    flag_counts: dict[str, Any]
    extra: dict[str, Any]


def _count(value: Any) -> int | None:
    """A whole non-negative count as a source stored it (JSON: an int, or a float that is whole); else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return int(value) if value >= 0 and value == int(value) else None


def _whole(value: Any) -> int | None:
    """A non-negative number rounded to a whole one (a fraction of a second); None when it is none."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return round(value)


def _share(x: Any, n: Any) -> tuple[int, int] | None:
    """(x, n) when both are counts and x <= n; else None (the source does not say, as far as we can read)."""
    xs, ns = _count(x), _count(n)
    return (xs, ns) if xs is not None and ns is not None and xs <= ns else None


def imported_periods(figures: SourceFigures) -> tuple[ImportedPeriod, ImportedPeriod]:
    """(all, recent) of TO2's aggregates that a source's stored aggregates really carry; docs/turkopticon-api.md.

    * An imported **Turkopticon 2** file (scrapers/turkopticon.py kept its counts): `reward` from the summary it
      made of the reward triple, `pending`, `comm` (stored as communication ratings [n, 5x + (n - x)], read back
      exactly), `recommend` and `tos` (kept raw), `rejected` (x and the n it stored as `decided`), `broken`
      (flag_counts). Its `recent` keeps only the number of reviews (and a rejection count without its n, which
      is therefore left out).
    * An imported **Turkopticon 1** file: the reviews and `tos_flags` (TO1's count of reviews flagging a TOS
      violation, the same as TO2's `tos` x). Its attrs are means: no count of yes answers can be read from them.
    * A **Fairfinder** peer's (or a CSV's) aggregates: the reviews, `broken` and `tos` from its flag counts (counts
      of reviews; `tos` only when at most one of the two TOS flags was reported, as a review with both would be
      counted twice). Its rejections count accounts' outcomes of reviews and timings without the number that
      answered, its ratings are weighted means, its pay rests on weighted timings and its approval time is a
      median: none of them is a Turkopticon 2 count, so none is given.
    """
    reviews = _count(figures.reviews) or 0
    recent = ImportedPeriod(reviews=_count((figures.recent or {}).get("reviews")) or 0)
    extra, flags = figures.extra or {}, figures.flag_counts or {}
    if figures.kind == "turkopticon2":
        summary = figures.summary or {}
        reward = None
        n, cents = _count(summary.get("n_completed")), _count(summary.get("pooled_pay_cents"))
        seconds = _whole(summary.get("pooled_seconds"))  # TO2's t: whole seconds as it sent them
        if n and cents is not None and seconds is not None:
            reward = (cents, seconds, n)
        comm = None
        given = (figures.ratings or {}).get("communication")
        if isinstance(given, list) and len(given) == 2 and _count(given[0]) is not None and _count(given[1]) is not None:
            answered, total = int(given[0]), int(given[1])
            if (total - answered) % 4 == 0:  # 5 per yes and 1 per no: total = 4x + n
                comm = _share((total - answered) // 4, answered)
        decided = summary.get("decided") if summary else extra.get("decided")
        raw_recommend, raw_tos = extra.get("recommend"), extra.get("tos")
        return ImportedPeriod(
            reviews=reviews, reward=reward,
            pending=figures.approval_seconds if figures.approval_seconds and figures.approval_seconds > 0 else None,
            comm=comm,
            recommend=_share(raw_recommend[0], raw_recommend[1])
            if isinstance(raw_recommend, list) and len(raw_recommend) == 3 else None,
            rejected=_share(figures.rejections, decided) if decided is not None else None,
            tos=_share(raw_tos[0], raw_tos[1]) if isinstance(raw_tos, list) and len(raw_tos) == 2 else None,
            broken=_share(flags.get(BROKEN_FLAG, 0), reviews),
        ), recent
    if figures.kind == "turkopticon1":
        return ImportedPeriod(reviews=reviews, tos=_share(extra.get("tos_flags"), reviews)), recent
    tos_counts = [flags.get(flag, 0) for flag in TOS_FLAGS]
    reported = [count for count in tos_counts if count]
    return ImportedPeriod(
        reviews=reviews,
        tos=_share(reported[0] if reported else 0, reviews) if len(reported) <= 1 else None,
        broken=_share(flags.get(BROKEN_FLAG, 0), reviews),
    ), recent


def reward_triple(tally: Tally, imported: Sequence[ImportedPeriod] = ()) -> list[float | int]:
    """[Σ task reward in dollars (2 dp), Σ seconds worked, reviews counted]; [0, 0, 0] when none, as TO2 sent."""
    rewards = [r.reward for r in imported if r.reward is not None]
    n = tally.reward_n + sum(r[2] for r in rewards)
    if n == 0:
        return [0, 0, 0]
    cents = tally.reward_cents + sum(r[0] for r in rewards)
    return [round(cents / 100, 2), tally.reward_seconds + sum(r[1] for r in rewards), n]


def _pending(tally: Tally, imported: Sequence[ImportedPeriod]) -> float:
    """The mean seconds until approval. Another community's mean is over a number of reviews it does not say:
    it is weighed by its reviews (as /api/v1/requesters weighs communities' approval times)."""
    parts = [(tally.pending_sum / tally.pending_n, tally.pending_n)] if tally.pending_n else []
    parts += [(r.pending, r.reviews) for r in imported if r.pending is not None and r.reviews > 0]
    if len(parts) == 1:
        return float(parts[0][0])
    mass = sum(weight for _, weight in parts)
    return math.fsum(mean * weight for mean, weight in parts) / mass if mass else 0.0


def _triple(x: int, n: int, reviews: int, imported: Sequence[ImportedPeriod], name: str) -> list[int]:
    known = [getattr(r, name) for r in imported if getattr(r, name) is not None]
    return [x + sum(k[0] for k in known), n + sum(k[1] for k in known), reviews + sum(r.reviews for r in imported)]


def _pair(x: int, reviews: int, imported: Sequence[ImportedPeriod], name: str) -> list[int]:
    known = [getattr(r, name) for r in imported if getattr(r, name) is not None]
    return [x + sum(k[0] for k in known), reviews + sum(k[1] for k in known)]


def to2_period(tally: Tally, imported: Sequence[ImportedPeriod] = ()) -> dict[str, Any]:
    """One period of TO2 `aggregates`, keys in Turkopticon's order: the reviews we hold (`tally`) and what other
    communities' aggregates of reviews we do not hold say (`imported`, each count only where it is known)."""
    return {
        "reward": reward_triple(tally, imported),
        "pending": _pending(tally, imported),
        "comm": _triple(tally.comm_yes, tally.n_comm, tally.reviews, imported, "comm"),
        "recommend": _triple(tally.recommend_yes, tally.recommend_n, tally.reviews, imported, "recommend"),
        "rejected": _triple(tally.rejected_yes, tally.rejected_n, tally.reviews, imported, "rejected"),
        "tos": _pair(tally.tos, tally.reviews, imported, "tos"),
        "broken": _pair(tally.broken, tally.reviews, imported, "broken"),
    }


def to2_datum(rid: str, name: str, everything: Tally, recent: Tally, attributes: Sequence[str],
              imported: Sequence[SourceFigures] = ()) -> dict[str, Any]:
    """A JSON:API resource object of type requesters with the attributes asked for, in that order."""
    periods = [imported_periods(figures) for figures in imported]
    values = {
        "name": name,
        "rid": rid,
        "aggregates": {"all": to2_period(everything, [a for a, _ in periods]),
                       "recent": to2_period(recent, [r for _, r in periods])},
        "aliases": [],  # we keep no earlier names of a requester
    }
    return {"type": "requesters", "id": rid, "attributes": {name_: values[name_] for name_ in attributes}}


# --- the documents, described for the OpenAPI document ------------------------------------------------
# The bodies are built as dicts above (key order and number forms are Turkopticon's); these structs only
# describe them to clients, and tests/compat/test_documented_shapes.py checks the dicts decode into them.


def _described(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)  # shown in the OpenAPI document


_TRIPLE = " [x, n, N]: N is the number of reviews in the period."


class To2Period(msgspec.Struct, forbid_unknown_fields=True):
    """One period of `aggregates`: [count, of those counted, reviews] triples, as Turkopticon 2 sent them."""

    reward: Annotated[tuple[float, int, int], _described(  # [Σ task reward in dollars, Σ seconds worked, reviews counted]; [0, 0, 0] when none
        "[p, t, n]: Σ task reward in US dollars (two decimals, no bonus), Σ seconds worked, and the number of "
        "reviews with a time worked and a known reward they sum over; [0, 0, 0] when none. Hourly = p / t x 3600.")]
    pending: Annotated[float, _described(  # mean seconds until approval; 0 when unknown
        "Mean seconds from submission to approval over the reviews that give one; 0 when none does.")]
    comm: Annotated[tuple[int, int, int], _described(
        "x = reviews with a communication rating of 4 or 5, n = reviews with a communication rating." + _TRIPLE)]
    recommend: Annotated[tuple[int, int, int], _described(
        "x = reviews whose ratings average 4 or more (they recommend the requester), n = reviews with at least one "
        "rating." + _TRIPLE)]
    rejected: Annotated[tuple[int, int, int], _described(
        "x = reviews whose work was rejected or blocked, n = reviews with an outcome other than none or returned."
        + _TRIPLE)]
    tos: Annotated[tuple[int, int], _described(
        "[x, N]: x = reviews flagging a terms-of-service violation (personal_data or download_or_install), N = "
        "reviews in the period.")]
    broken: Annotated[tuple[int, int], _described(
        "[x, N]: x = reviews flagging the task as broken, N = reviews in the period.")]


_PERIOD_WORDS = ("The counts of a period: in `all` over every review held of the requester, in `recent` over those "
                 "updated in the last 90 days.")


class To2Aggregates(msgspec.Struct, forbid_unknown_fields=True):
    # Litestar copies a struct-typed field's description onto the component too, whichever field it meets first
    # (an order that differs between processes): every field of one component type says the same words.
    all: Annotated[To2Period, _described(_PERIOD_WORDS)]
    recent: Annotated[To2Period, _described(_PERIOD_WORDS)]  # server/stats/refresh.py RECENT


class To2Attributes(msgspec.Struct, forbid_unknown_fields=True):
    """Those `fields[requesters]` asked for, in that order (by default all four on the index, rid and
    aggregates on one requester)."""

    name: Annotated[str | msgspec.UnsetType, _described(
        "The requester's name as shown everywhere; only when asked for (default on the index).")] = msgspec.UNSET
    rid: Annotated[str | msgspec.UnsetType, _described("The MTurk requester id.")] = msgspec.UNSET
    aggregates: Annotated[To2Aggregates | msgspec.UnsetType, _described(
        "The review counts, over all time and the last 90 days.")] = msgspec.UNSET
    aliases: Annotated[list[str] | msgspec.UnsetType, _described(  # always empty: we keep no earlier names
        "Always empty: no earlier names of a requester are kept; only when asked for (default on the index).")
    ] = msgspec.UNSET


class To2Requester(msgspec.Struct, forbid_unknown_fields=True):
    """A JSON:API resource object."""

    type: Annotated[Literal["requesters"], _described("The JSON:API resource type: requesters.")]
    id: Annotated[str, _described("The MTurk requester id.")]  # the MTurk requester id
    attributes: Annotated[To2Attributes, _described("The attributes asked for with fields[requesters], in that order.")]


class To2Index(msgspec.Struct, forbid_unknown_fields=True):
    data: Annotated[list[To2Requester], _described(
        "The requesters in the order asked; those known neither from a review nor from imported aggregates are "
        "left out.")]
    status: Annotated[Literal[200], _described("The HTTP status, 200, as Turkopticon 2 repeated it.")]


class To2Show(msgspec.Struct, forbid_unknown_fields=True):
    data: Annotated[To2Requester, _described("The requester asked for.")]
    status: Annotated[Literal[200], _described("The HTTP status, 200, as Turkopticon 2 repeated it.")]


class To2Error(msgspec.Struct, forbid_unknown_fields=True):
    status: Annotated[str, _described(  # the HTTP status as a string, as JSON:API has it
        "The HTTP status as a string, as JSON:API has it (\"400\").")]
    title: Annotated[str, _described("The status's name: Bad Request, Not Found, Unsupported Media Type…")]
    detail: Annotated[str | msgspec.UnsetType, _described(
        "What was wrong, in Turkopticon 2's words; left out when it gave none.")] = msgspec.UNSET


class To2Errors(msgspec.Struct, forbid_unknown_fields=True):
    """Turkopticon 2's error document."""

    errors: Annotated[list[To2Error], _described("One error.")]
    status: Annotated[int, _described("The HTTP status as a number.")]
