"""The work certificate as a W3C Verifiable Credential (Data Model 2.0), before it is signed. Pure, no I/O.

`build_credential` turns the worker's tasks (server/me/records.py gives them as `server.domain.earnings.WorkItem`s),
the options they chose (options.py) and the feedback they picked into the credential document; signing.py
adds the proof. docs/certificate.md describes every field; schema.py is the JSON Schema of version 1.

Only JSON strings, integers, booleans, null, lists and objects appear, so the canonical form (JCS) is the same
in every language: the approval rate is a decimal string ("0.985", rounded down, so "1.000" means no
rejection at all), durations are whole seconds, money is integer minor units with its currency.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from server.domain import earnings
from server.domain.certificate_options import SECTIONS, Options
from server.domain.earnings import WorkItem
from server.domain.work_kinds import KINDS, kind_of

SCHEMA_VERSION = "1.1"  # 1.1 added `sources` and `choices.selfReported` (optional members)
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
CREDENTIAL_TYPE = "WorkHistoryCredential"
CONTEXT_PATH = "/api/v1/certificates/context/v1.json"
SCHEMA_PATH = "/api/v1/certificates/schema/v1.json"
VERIFY_PATH = "/api/v1/certificates/verify"
PLATFORM_NAMES = {"mturk": "Amazon Mechanical Turk", "prolific": "Prolific", "toloka": "Toloka"}
DATA_SOURCE = ("The worker's own task history on each platform, and the Fairfinder browser extension's timings of "
               "their work. `sources` counts the tasks by where their record comes from: platformPages (the "
               "platform's own history pages, sent as received), extensionTimings (timed by the extension) and "
               "selfReported (sent as items, which may have been typed by hand). The issuer attests the record it "
               "holds; the platforms did not sign it.")


@dataclass(frozen=True)
class Issuer:
    base_url: str  # the server's public base URL, without a trailing slash: the issuer's id
    name: str  # the community's name (FAIRFINDER_COMMUNITY_NAME)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


@dataclass(frozen=True)
class FeedbackQuote:
    """Requester feedback the worker chose to quote (a work history row of theirs)."""

    item_id: int
    platform: str
    requester_name: str
    day: date
    text: str


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)


def approval_rate(approved: int, decided: int) -> str | None:
    """"0.985": approved among decided, three decimals, rounded down (module docstring). None before any decision."""
    if decided <= 0:
        return None
    per_mille = approved * 1000 // decided
    return f"{per_mille // 1000}.{per_mille % 1000:03d}"


def _whole(value: float) -> int:
    return int(Decimal(repr(value)).to_integral_value(rounding=ROUND_HALF_UP))


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def in_scope(items: Iterable[WorkItem], platforms: Sequence[str]) -> list[WorkItem]:
    """The items of the chosen platforms (all when none was chosen)."""
    return [item for item in items if not platforms or item.platform in platforms]


def kinds_of_work(items: Iterable[WorkItem]) -> list[dict[str, object]]:
    """Approved tasks by kind of work, most first."""
    counts: dict[str, int] = {}
    for item in items:
        if item.state == "approved":
            kind = kind_of(item.title)
            counts[kind] = counts.get(kind, 0) + 1
    order = list(KINDS)
    return [{"kind": kind, "name": KINDS[kind], "tasks": tasks}
            for kind, tasks in sorted(counts.items(), key=lambda pair: (-pair[1], order.index(pair[0])))]


def hours_worked(items: Sequence[WorkItem]) -> dict[str, int]:
    """Measured time (server/domain/earnings.py): paid work, unpaid work (returned, rejected), searching between tasks."""
    measured = earnings.hourly(items)
    return {"paidWorkSeconds": _whole(measured.paid_seconds),
            "unpaidWorkSeconds": _whole(measured.work_seconds - measured.paid_seconds),
            "searchingSeconds": _whole(measured.search_seconds), "totalSeconds": _whole(measured.total_seconds),
            "timedTasks": measured.timed_tasks, "tasks": measured.tasks}


def earnings_by_currency(items: Sequence[WorkItem]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for currency, group in earnings.by_currency(items).items():
        money = earnings.money(group)
        rates = earnings.hourly(group)
        out.append({
            "currency": currency,
            "earnedMinor": money.earned_cents,
            "pendingMinor": money.cents["pending"],
            "rejectedMinor": money.cents["rejected"],
            "hourlyWithoutUnpaidMinor": None if rates.without_unpaid is None else _whole(rates.without_unpaid),
            "hourlyWithUnpaidMinor": None if rates.with_unpaid is None else _whole(rates.with_unpaid),
        })
    return out


def _description(subject: dict[str, object], platforms: list[str], start: date, end: date) -> str:
    where = ", ".join(platform_name(platform) for platform in platforms) or "the platforms chosen"
    if not subject["tasksRecorded"]:
        return f"Work history from {start.isoformat()} to {end.isoformat()}: no work was recorded in this period."
    approved = subject["tasksApproved"]
    return (f"Work history on {where} from {start.isoformat()} to {end.isoformat()}: "
            f"{approved} task{'' if approved == 1 else 's'} approved.")


def build_credential(items: Sequence[WorkItem], options: Options, feedback: Sequence[FeedbackQuote], issuer: Issuer,
                     issued: datetime, credential_id: str) -> dict[str, object]:
    """The unsigned credential. `items` are the worker's tasks of the period; `options` must have its period
    set; `feedback` the quotes picked (already checked to be the worker's own)."""
    assert options.start is not None and options.end is not None, "the period is decided before building"
    chosen = in_scope(items, options.platforms)
    if options.self_reported == "omit":
        chosen = [item for item in chosen if item.source != earnings.SELF_REPORTED]
    counted = earnings.money(chosen)
    present = sorted({item.platform for item in chosen})
    platforms = []
    for platform in present:
        own = [item for item in chosen if item.platform == platform]
        platforms.append({"platform": platform, "name": platform_name(platform), "tasksRecorded": len(own),
                          "tasksApproved": sum(item.state == "approved" for item in own)})
    subject: dict[str, object] = {"schemaVersion": SCHEMA_VERSION}
    if options.holder_name:
        subject["holderName"] = options.holder_name
    subject["period"] = {"from": options.start.isoformat(), "to": options.end.isoformat(), "timeZone": options.zone}
    subject["platforms"] = platforms
    subject["tasksRecorded"] = counted.total_tasks
    subject["tasksApproved"] = counted.tasks["approved"]
    subject["sources"] = {key: sum(item.source == source for item in chosen) for key, source in (
        ("platformPages", earnings.PLATFORM_PAGE), ("extensionTimings", earnings.EXTENSION_TIMING),
        ("selfReported", earnings.SELF_REPORTED))}
    sections = options.sections
    if "approval" in sections:
        decided = counted.tasks["approved"] + counted.tasks["rejected"]
        subject["tasksDecided"] = decided
        subject["tasksRejected"] = counted.tasks["rejected"]
        subject["approvalRate"] = approval_rate(counted.tasks["approved"], decided)
    if "kinds" in sections:
        subject["kindsOfWork"] = kinds_of_work(chosen)
    if "hours" in sections:
        subject["hoursWorked"] = hours_worked(chosen)
    if "earnings" in sections:
        subject["earnings"] = earnings_by_currency(chosen)
    quoted = list(feedback) if "feedback" in sections else []
    if "feedback" in sections:
        subject["requesterFeedback"] = [
            {"platform": quote.platform, "requesterName": quote.requester_name, "date": quote.day.isoformat(),
             "text": quote.text} for quote in sorted(quoted, key=lambda quote: (quote.day, quote.item_id))]
    subject["choices"] = {
        "sections": [section for section in SECTIONS if section in sections],
        "platforms": list(options.platforms) or None,
        "feedbackQuoted": len(quoted),
        "holderNameGiven": bool(options.holder_name),
        "selfReported": options.self_reported,
    }
    subject["dataSource"] = DATA_SOURCE
    return {
        "@context": [VC_CONTEXT, issuer.url(CONTEXT_PATH)],
        "id": credential_id,
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "name": "Work history certificate",
        "description": _description(subject, present or list(options.platforms), options.start, options.end),
        "issuer": {"id": issuer.base_url.rstrip("/"), "name": issuer.name},
        "validFrom": _timestamp(issued),
        "credentialSchema": {"id": issuer.url(SCHEMA_PATH), "type": "JsonSchema"},
        "credentialSubject": subject,
    }


def context_document(issuer: Issuer) -> dict[str, object]:
    """The JSON-LD context named in every credential: the Fairfinder terms under one vocabulary. Structured
    members are JSON literals (@json): their meaning is this document's, not a graph's."""
    vocab = issuer.url("/api/v1/certificates/vocab#")
    plain = ["schemaVersion", "holderName", "tasksRecorded", "tasksApproved", "tasksDecided", "tasksRejected",
             "approvalRate", "dataSource"]
    structured = ["period", "platforms", "kindsOfWork", "hoursWorked", "earnings", "requesterFeedback", "choices",
                  "sources"]
    terms: dict[str, object] = {CREDENTIAL_TYPE: {"@id": vocab + CREDENTIAL_TYPE}}
    terms.update({term: {"@id": vocab + term} for term in plain})
    terms.update({term: {"@id": vocab + term, "@type": "@json"} for term in structured})
    return {"@context": {"@version": 1.1, "@protected": True, **terms}}
