"""Turkopticon API responses -> `RequesterRecord`s. Pure: bytes in, records out, no I/O.

Two APIs (shapes: /work/shared/fixtures/turkopticon/README.txt):

* **TO1** `GET https://turkopticon.net/api/multi-attrs.php?ids=A..,A..` (`parse_to1_multi_attrs`), in its
  2014 shape and its 2020-21 shape (which adds `pay_buckets`).
* **TO2** `GET https://api.turkopticon.info/requesters?rids=A..,A..` (index) and `/requesters/A..` (show),
  JSON:API documents (`parse_to2_requesters`).

How the input is judged
-----------------------
* The body is bytes or str, UTF-8, an optional BOM and surrounding whitespace are skipped. TO1 is served
  as `text/html` (PHP's default), so the content type is never looked at. PHP notices printed before the
  JSON (`<br />\\n<b>Notice</b>: ...`) are skipped when the body starts with `<` and a JSON object
  follows. Anything else that is not JSON (TO1's plain-text usage sentence for bad ids, an HTML error
  page) is `ImportError_("payload", "not JSON: starts with '...'")`.
* Shapes are decoded into msgspec structs; a field of the wrong type or a list of the wrong length is
  an `ImportError_` whose `where` is a dotted path such as `A1EXAMPLE00001.attrs.pay` (TO1) or
  `data[0].attributes.aggregates.all.reward[2]` (TO2). Unknown fields are ignored.
* Requester ids must be MTurk ids (scrapers/ids.py): `A` followed by upper-case letters or digits, at most
  64 characters (`A3VTXG9MRA65HP`). Anything else is an error, never a record: a wrong id would alias a requester.
* Counts must be whole and non-negative; TO2 triples must satisfy x <= n <= N.

TO1 mapping (`multi-attrs.php`)
-------------------------------
* platform "mturk"; `name` -> name (cleaned of control characters); `reviews` -> reviews.
* `attrs` comm -> communication, pay -> pay, fair -> fairness, fast -> speed. Values are means on the
  1..5 scale, as two-decimal strings ("4.20"; plain numbers and null are accepted too). "0.00" (or null,
  or a missing key) means no data: the dimension is left out of `ratings`. A mean outside 1..5 is an
  error.
* **Approximation:** TO1 publishes no per-attribute counts, only the requester's total `reviews`, so
  every attribute that has data gets n = `reviews` and sum = mean * n (computed in decimal, so "4.20" x 57
  is exactly 239.4). This over-counts attributes some reviewers skipped; the mean stays right. With
  `reviews` == 0 no attribute can be weighted and `ratings` is empty.
* `tos_flags` and `pay_buckets` are copied raw into `extra` (`pay_buckets` only when the key is present,
  so a 2020-21 null stays null and a 2014 body has none). Neither feeds anything else: the buckets are
  counts of pay ranges with no timings behind them, so they cannot become a `summary`.
* An unknown id maps to `""` in TO1: no record. An empty result (`[]` or `{}`) gives no records.

TO2 mapping (`/requesters`)
---------------------------
* `data` is a list (index) or one resource object (show); `data.id` is the requester id (must equal
  `attributes.rid` when that is present); `type` must be "requesters"; a duplicate id is an error.
* An errors document `{"errors": [...]}` is `ImportError_("errors", "Turkopticon said: 404 Not Found: ...")`
  carrying every error's status, title and detail. A document with neither `data` nor `errors` is an
  error.
* name <- `attributes.name` when present (the show call omits it), else "". `aliases` -> extra.
* `aggregates.all.reward [p, t, nt]` (p dollars and t seconds over the nt reviews that gave a time) ->
  `summary`, a `server.domain.pay.SampleSummary` as builtins, describing nt completed samples:
  n = n_completed = nt, n_returned = 0, pooled_pay_cents = round(p * 100), pooled_seconds = t,
  median_log_seconds = ln(t / nt) and sum_log_seconds = nt * ln(t / nt) (**approximation**: the log of
  the mean duration stands for the median of the logs, which TO2 does not publish), and
  rate_p25 = rate_p50 = rate_p75 = the pooled rate p * 100 * 3600 / t cents/h (TO2 publishes no spread).
  `median_hourly_cents` is that pooled rate too. When nt == 0 or t == 0 there are no timings: `summary`
  stays `{}` and `median_hourly_cents` None.
* `all.rejected [x, n, N]` (x reviews reporting some or all work rejected, out of n that answered) ->
  rejections = x, and in the summary decided = n, approved = n - x. When there is no summary the two
  counts go to `extra` as `decided` / `approved` (kept, but they do not feed the approval prior, which
  is read from summaries with samples).
* `all.pending` (mean seconds until approval over reviews that gave one; 0.0 = none) -> approval_seconds
  when > 0.
* `all.broken [x, N]` -> flag_counts {"broken": x} (left out when x == 0).
* `all.comm [x, n, N]` ("did the requester answer?": x yes of n answers) -> ratings communication
  [n, 5x + 1(n - x)]: a yes is read as a 5 and a no as a 1 on our scale. Left out when n == 0.
* `all.tos [x, N]` and `all.recommend [x, n, N]` -> extra, raw (we have no dimension for either).
* reviews = the largest N among the `all` fields (they all count the same reviews; taking the largest
  also copes with a field left out).
* `recent` (the last 90 days) -> recent = {"reviews": largest recent N, "rejections": recent rejected x,
  "blocks": 0} (TO2 has no blocks). Missing `recent` -> `{}`.

URLs
----
`to1_url(base, ids)` / `to2_url(base, ids)` build one request for at most `MAX_IDS_PER_CALL` (50) ids;
`batches(ids)` splits (and de-duplicates) a longer list. Ids are checked like above.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

import msgspec

from scrapers.ids import is_requester_id
from scrapers.ratings import ImportError_, RequesterRecord

__all__ = [
    "MAX_IDS_PER_CALL",
    "MTURK_ID_RE",
    "TO1_BASE_URL",
    "TO2_BASE_URL",
    "batches",
    "parse_to1_multi_attrs",
    "parse_to2_requesters",
    "to1_url",
    "to2_url",
]

TO1_BASE_URL = "https://turkopticon.net"
TO2_BASE_URL = "https://api.turkopticon.info"
MAX_IDS_PER_CALL = 50
MTURK_ID_RE = re.compile(r"A[A-Z0-9]{1,63}")  # the one rule of scrapers/ids.py (is_requester_id)
PLATFORM = "mturk"

TO1_ATTRS = {"pay": "pay", "fair": "fairness", "fast": "speed", "comm": "communication"}

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_MAX_NAME_CHARS = 200
_SNIPPET_CHARS = 60

Count = Annotated[int, msgspec.Meta(ge=0, le=10**9)]
NonNeg = Annotated[float, msgspec.Meta(ge=0)]

# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------


def _snippet(text: str) -> str:
    text = text.strip()
    return repr(text[:_SNIPPET_CHARS] + ("…" if len(text) > _SNIPPET_CHARS else ""))


def _clean_name(value: str | None) -> str:
    if not value:
        return ""
    value = " ".join(_CONTROL_RE.sub("", value).split())
    if len(value) > _MAX_NAME_CHARS:
        value = value[: _MAX_NAME_CHARS - 1].rstrip() + "…"
    return value


def _load(body: bytes | str) -> Any:
    """Decode a JSON body, tolerating a BOM, whitespace and PHP notices printed before the JSON."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportError_(f"not UTF-8 ({exc.reason} at byte {exc.start})", "payload") from None
    elif isinstance(body, str):
        text = body
    else:
        raise ImportError_(f"must be bytes or str, not {type(body).__name__}", "payload")
    text = text.lstrip("\ufeff").strip()
    if not text:
        raise ImportError_("empty body", "payload")
    candidates = [text]
    if text.startswith("<"):  # PHP notices / warnings in HTML before the JSON
        start = text.find("\n{")
        if start >= 0:
            candidates.append(text[start + 1:])
    for candidate in candidates:
        if candidate[0] not in "{[":
            continue
        try:
            return msgspec.json.decode(candidate)
        except RecursionError:
            raise ImportError_("not valid JSON (nested too deeply)", "payload") from None
        except msgspec.DecodeError as exc:
            if candidate is candidates[-1]:
                raise ImportError_(f"not valid JSON ({exc})", "payload") from None
    raise ImportError_(f"not JSON: starts with {_snippet(text)}", "payload")


def _convert(value: Any, type_: Any, where: str) -> Any:
    """msgspec.convert, with its `$.a.b` error path appended to `where`."""
    try:
        return msgspec.convert(value, type_)
    except msgspec.ValidationError as exc:
        message, _, path = str(exc).partition(" - at `$")
        path = path.rstrip("`")
        if path.startswith("."):
            path = path[1:]
        full = f"{where}.{path}" if where and path and not path.startswith("[") else where + path
        raise ImportError_(message, full or "payload") from None


def _check_id(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ImportError_("must be a string", where)
    if not is_requester_id(PLATFORM, value.strip()):
        raise ImportError_(f"{_snippet(value)} does not look like an MTurk requester id (“A” and then upper-case letters "
                           "and digits, at most 64 characters)", where)
    return value.strip()


def _where_for_key(key: str) -> str:
    """A dict key made safe to show as a path element."""
    return key if is_requester_id(PLATFORM, key) else repr(key[:_SNIPPET_CHARS])


# ---------------------------------------------------------------------------------------------
# TO1
# ---------------------------------------------------------------------------------------------

To1Value = str | float | None


class _To1Attrs(msgspec.Struct):
    comm: To1Value = None
    pay: To1Value = None
    fair: To1Value = None
    fast: To1Value = None


class _To1Entry(msgspec.Struct):
    attrs: _To1Attrs
    reviews: Count | str
    name: str | None = None
    tos_flags: Any = msgspec.UNSET
    pay_buckets: Any = msgspec.UNSET


def _to1_count(value: int | str, where: str) -> int:
    if isinstance(value, int):
        return value
    text = value.strip()  # a PHP build without mysqlnd returns every column as a string
    if not text.isdigit() or len(text) > 9:
        raise ImportError_(f"must be a whole number, not {_snippet(value)}", where)
    return int(text)


def _to1_mean(value: To1Value, where: str) -> Decimal | None:
    if value is None:
        return None
    try:
        mean = Decimal(value.strip()) if isinstance(value, str) else Decimal(repr(value))
    except InvalidOperation:
        raise ImportError_(f"must be a number like \"4.20\", not {_snippet(str(value))}", where) from None
    if not mean.is_finite():
        raise ImportError_("must be a finite number", where)
    if mean == 0:
        return None
    if not Decimal(1) <= mean <= Decimal(5):
        raise ImportError_(f"must be 0.00 (no data) or a mean between 1 and 5, not {value}", where)
    return mean


def parse_to1_multi_attrs(body: bytes | str) -> list[RequesterRecord]:
    """A TO1 `multi-attrs.php` body (2014 or 2020-21 shape) -> one record per known requester, in body order."""
    data = _load(body)
    if isinstance(data, list):
        if data:
            raise ImportError_("must be an object keyed by requester id, not a non-empty list", "payload")
        return []  # PHP's json_encode of an empty array
    if not isinstance(data, dict):
        raise ImportError_("must be an object keyed by requester id", "payload")
    records = []
    for key, raw in data.items():
        where = _where_for_key(key)
        requester_id = _check_id(key, where)
        if raw == "":
            continue  # unknown to Turkopticon
        if isinstance(raw, str):
            raise ImportError_(f"must be an object or \"\" (unknown requester), not the string {_snippet(raw)}", where)
        entry: _To1Entry = _convert(raw, _To1Entry, where)
        reviews = _to1_count(entry.reviews, f"{where}.reviews")
        ratings: dict[str, list[float]] = {}
        for attr, dimension in TO1_ATTRS.items():
            mean = _to1_mean(getattr(entry.attrs, attr), f"{where}.attrs.{attr}")
            if mean is not None and reviews > 0:
                ratings[dimension] = [float(reviews), float(mean * reviews)]
        extra: dict[str, Any] = {}
        if entry.tos_flags is not msgspec.UNSET:
            extra["tos_flags"] = entry.tos_flags
        if entry.pay_buckets is not msgspec.UNSET:
            extra["pay_buckets"] = entry.pay_buckets
        records.append(
            RequesterRecord(
                platform=PLATFORM,
                requester_id=requester_id,
                name=_clean_name(entry.name),
                reviews=reviews,
                ratings=ratings,
                extra=extra,
            )
        )
    return records


# ---------------------------------------------------------------------------------------------
# TO2
# ---------------------------------------------------------------------------------------------

Triple = tuple[Count, Count, Count]  # [x, n, N]
Pair = tuple[Count, Count]  # [x, N]


class _To2Aggregate(msgspec.Struct):
    reward: tuple[NonNeg, NonNeg, Count] | None = None  # [p dollars, t seconds, nt]
    pending: NonNeg | None = None
    comm: Triple | None = None
    recommend: Triple | None = None
    rejected: Triple | None = None
    tos: Pair | None = None
    broken: Pair | None = None


class _To2Aggregates(msgspec.Struct):
    all: _To2Aggregate | None = None
    recent: _To2Aggregate | None = None


class _To2Attributes(msgspec.Struct):
    rid: str | None = None
    name: str | None = None
    aggregates: _To2Aggregates | None = None
    aliases: list[str] | None = None


class _To2Resource(msgspec.Struct):
    id: str
    type: str = "requesters"
    attributes: _To2Attributes | None = None


class _To2Error(msgspec.Struct):
    status: str | int | None = None
    title: str | None = None
    detail: str | None = None


class _To2Document(msgspec.Struct):
    data: list[Any] | dict[str, Any] | None = None
    errors: list[_To2Error] | None = None


def _largest_n(agg: _To2Aggregate) -> int:
    totals = [t[-1] for t in (agg.reward, agg.comm, agg.recommend, agg.rejected, agg.tos, agg.broken) if t is not None]
    return max(totals, default=0)


def _check_aggregate(agg: _To2Aggregate, where: str) -> None:
    for field in ("comm", "recommend", "rejected"):
        value = getattr(agg, field)
        if value is not None and not value[0] <= value[1] <= value[2]:
            raise ImportError_(f"must be [x, n, N] with x <= n <= N, not {list(value)}", f"{where}.{field}")
    for field in ("tos", "broken"):
        value = getattr(agg, field)
        if value is not None and value[0] > value[1]:
            raise ImportError_(f"must be [x, N] with x <= N, not {list(value)}", f"{where}.{field}")
    if agg.reward is not None and not all(math.isfinite(v) for v in agg.reward[:2]):
        raise ImportError_("must be finite numbers", f"{where}.reward")


def _summary_from_reward(reward: tuple[float, float, int]) -> dict[str, Any]:
    p, t, nt = reward
    if nt == 0 or t == 0:
        return {}
    mean_log = math.log(t / nt)
    rate = p * 100 * 3600 / t
    pooled_cents = int((Decimal(repr(float(p))) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return {
        "n": nt,
        "n_completed": nt,
        "n_returned": 0,
        "median_log_seconds": mean_log,
        "sum_log_seconds": nt * mean_log,
        "returned_median_seconds": None,
        "approved": 0,
        "decided": 0,
        "mean_bonus_cents": 0.0,
        "rate_p25": rate,
        "rate_p50": rate,
        "rate_p75": rate,
        "pooled_pay_cents": float(pooled_cents),
        "pooled_seconds": float(t),
        "sum_returned_seconds": 0.0,
    }


def _to2_record(raw: Any, where: str) -> RequesterRecord:
    if not isinstance(raw, dict):
        raise ImportError_("must be a resource object", where)
    resource: _To2Resource = _convert(raw, _To2Resource, where)
    requester_id = _check_id(resource.id, f"{where}.id")
    if resource.type != "requesters":
        raise ImportError_(f"must be \"requesters\", not {_snippet(resource.type)}", f"{where}.type")
    attributes = resource.attributes or _To2Attributes()
    if attributes.rid is not None and attributes.rid.strip() != requester_id:
        raise ImportError_(f"{_snippet(attributes.rid)} differs from id {requester_id}", f"{where}.attributes.rid")
    aggregates = attributes.aggregates or _To2Aggregates()
    agg_where = f"{where}.attributes.aggregates"

    record = RequesterRecord(platform=PLATFORM, requester_id=requester_id, name=_clean_name(attributes.name))
    extra: dict[str, Any] = {}
    if attributes.aliases:
        extra["aliases"] = [_clean_name(alias) for alias in attributes.aliases]

    everything = aggregates.all
    if everything is not None:
        _check_aggregate(everything, f"{agg_where}.all")
        record.reviews = _largest_n(everything)
        summary = _summary_from_reward(everything.reward) if everything.reward is not None else {}
        if summary:
            record.median_hourly_cents = summary["rate_p50"]
        if everything.rejected is not None:
            x, n, _ = everything.rejected
            record.rejections = x
            if summary:
                summary["decided"] = n
                summary["approved"] = n - x
            else:
                extra["decided"] = n
                extra["approved"] = n - x
        record.summary = summary
        if everything.pending is not None and everything.pending > 0:
            record.approval_seconds = float(everything.pending)
        if everything.broken is not None and everything.broken[0] > 0:
            record.flag_counts = {"broken": everything.broken[0]}
        if everything.comm is not None and everything.comm[1] > 0:
            x, n, _ = everything.comm
            record.ratings = {"communication": [float(n), float(5 * x + (n - x))]}
        if everything.tos is not None:
            extra["tos"] = list(everything.tos)
        if everything.recommend is not None:
            extra["recommend"] = list(everything.recommend)

    recent = aggregates.recent
    if recent is not None:
        _check_aggregate(recent, f"{agg_where}.recent")
        record.recent = {
            "reviews": _largest_n(recent),
            "rejections": recent.rejected[0] if recent.rejected is not None else 0,
            "blocks": 0,
        }
    record.extra = extra
    return record


def _errors_message(errors: list[_To2Error]) -> str:
    parts = []
    for error in errors:
        head = " ".join(str(p) for p in (error.status, error.title) if p not in (None, ""))
        text = ": ".join(p for p in (head, error.detail or "") if p)
        parts.append(_CONTROL_RE.sub("", text)[:500] or "(no detail)")
    return "Turkopticon said: " + ("; ".join(parts) if parts else "an error (no detail)")


def parse_to2_requesters(body: bytes | str) -> list[RequesterRecord]:
    """A TO2 `/requesters` (index) or `/requesters/{rid}` (show) body -> records, in body order."""
    data = _load(body)
    if not isinstance(data, dict):
        raise ImportError_("must be a JSON:API document (an object)", "payload")
    document: _To2Document = _convert(data, _To2Document, "")
    if document.errors is not None:
        raise ImportError_(_errors_message(document.errors), "errors")
    if document.data is None:
        raise ImportError_("is required (or an errors list)", "data")
    if isinstance(document.data, dict):
        return [_to2_record(document.data, "data")]
    records: list[RequesterRecord] = []
    seen: set[str] = set()
    for i, raw in enumerate(document.data):
        record = _to2_record(raw, f"data[{i}]")
        if record.requester_id in seen:
            raise ImportError_(f"requester {record.requester_id} appears twice", f"data[{i}].id")
        seen.add(record.requester_id)
        records.append(record)
    return records


# ---------------------------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------------------------


def batches(ids: Iterable[str], size: int = MAX_IDS_PER_CALL) -> Iterator[list[str]]:
    """Split ids into lists of at most `size`, first occurrence order, duplicates dropped."""
    if size < 1:
        raise ValueError("size must be at least 1")
    batch: list[str] = []
    seen: set[str] = set()
    for requester_id in ids:
        if requester_id in seen:
            continue
        seen.add(requester_id)
        batch.append(requester_id)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _id_list(requester_ids: Iterable[str]) -> str:
    checked = []
    for requester_id in requester_ids:
        if not is_requester_id(PLATFORM, requester_id):
            raise ValueError(f"not an MTurk requester id: {requester_id!r}")
        checked.append(requester_id)
    if not checked:
        raise ValueError("no requester ids")
    if len(checked) > MAX_IDS_PER_CALL:
        raise ValueError(f"at most {MAX_IDS_PER_CALL} ids per call (use batches())")
    return ",".join(checked)


def to1_url(base: str, ids: Iterable[str]) -> str:
    """`{base}/api/multi-attrs.php?ids=A..,A..` (base e.g. TO1_BASE_URL)."""
    return f"{base.rstrip('/')}/api/multi-attrs.php?ids={_id_list(ids)}"


def to2_url(base: str, ids: Iterable[str]) -> str:
    """`{base}/requesters?rids=A..,A..` (base e.g. TO2_BASE_URL)."""
    return f"{base.rstrip('/')}/requesters?rids={_id_list(ids)}"
