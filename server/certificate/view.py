"""The certificate in words for people: what the PDF and the /me/certificate preview print. Pure, no I/O.

Everything is read from the credential document itself, so the PDF says exactly what the signed JSON says.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from server.domain.credential import platform_name
from server.domain.money import format_cents, format_hourly

SECTION_NAMES = {"kinds": "Kinds of work", "approval": "Approval rate", "hours": "Hours worked",
                 "earnings": "Earnings", "feedback": "Requester feedback"}


def long_day(text: str) -> str:
    """"2026-01-05" -> "5 January 2026"."""
    try:
        day = date.fromisoformat(text)
    except (TypeError, ValueError):
        return str(text)
    return f"{day.day} {day.strftime('%B')} {day.year}"


def hours_text(seconds: int) -> str:
    """3720 -> "1 hour 2 minutes"; 0 -> "none"."""
    minutes = (seconds + 30) // 60
    if minutes <= 0:
        return "none" if seconds <= 0 else "under a minute"
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours:,} hour{'' if hours == 1 else 's'}")
    if rest:
        parts.append(f"{rest} minute{'' if rest == 1 else 's'}")
    return " ".join(parts)


def percent(rate: str | None) -> str:
    """"0.985" -> "98.5%"."""
    if rate is None:
        return "no task decided yet"
    whole, _, fraction = rate.partition(".")
    per_mille = int(whole) * 1000 + int(fraction or 0)
    return f"{per_mille // 10}.{per_mille % 10}%"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


@dataclass
class CertificateView:
    title: str
    description: str
    holder_name: str | None
    empty: bool
    facts: list[tuple[str, str]]
    platforms: list[tuple[str, int, int]]  # name, recorded, approved
    kinds: list[tuple[str, int]] | None
    hours: list[tuple[str, str]] | None
    hours_note: str
    earnings: list[dict[str, str]] | None
    feedback: list[dict[str, str]] | None
    included: list[str]
    left_out: list[str]
    about: list[tuple[str, str]] = field(default_factory=list)


def certificate_view(credential: dict[str, Any]) -> CertificateView:
    subject = credential["credentialSubject"]
    period = subject["period"]
    period_text = f"{long_day(period['from'])} to {long_day(period['to'])} ({period['timeZone']} days)"
    platforms = [(entry["name"], entry["tasksRecorded"], entry["tasksApproved"]) for entry in subject["platforms"]]
    chosen_platforms = subject["choices"]["platforms"]
    platform_text = ", ".join(name for name, _, _ in platforms) or (
        ", ".join(platform_name(p) for p in chosen_platforms) if chosen_platforms else "none recorded")
    facts = [("Period", period_text), ("Platforms", platform_text),
             ("Tasks approved", f"{subject['tasksApproved']:,}"), ("Tasks recorded", f"{subject['tasksRecorded']:,}")]
    if "sources" in subject:  # 1.1: where each task's record comes from
        sources = subject["sources"]
        omitted = subject["choices"].get("selfReported") == "omit"
        facts.append(("Where the records come from", (
            f"{sources['platformPages']:,} from the platform's own history pages, "
            f"{sources['extensionTimings']:,} timed by the extension, "
            + ("self-reported tasks left out" if omitted else
               f"{sources['selfReported']:,} self-reported (sent as typed items, not platform pages)"))))
    if "approvalRate" in subject:
        detail = ""
        if subject["tasksDecided"]:
            detail = (f" ({subject['tasksApproved']:,} approved of {plural(subject['tasksDecided'], 'decided task')}, "
                      f"{plural(subject['tasksRejected'], 'rejection')})")
        facts.append(("Approval rate", percent(subject["approvalRate"]) + detail))
    hours = None
    hours_note = ""
    if "hoursWorked" in subject:
        worked = subject["hoursWorked"]
        facts.append(("Time worked (measured)", hours_text(worked["paidWorkSeconds"] + worked["unpaidWorkSeconds"])))
        hours = [("Paid work", hours_text(worked["paidWorkSeconds"])),
                 ("Unpaid work (returned or rejected tasks)", hours_text(worked["unpaidWorkSeconds"])),
                 ("Searching for work between tasks", hours_text(worked["searchingSeconds"])),
                 ("Total, searching included", hours_text(worked["totalSeconds"]))]
        hours_note = (f"Measured for {plural(worked['timedTasks'], 'task')} of {worked['tasks']:,}: only tasks with a "
                      "start and end time (from the platform or the Fairfinder extension) count.")
    kinds = [(entry["name"], entry["tasks"]) for entry in subject["kindsOfWork"]] if "kindsOfWork" in subject else None
    money = None
    if "earnings" in subject:
        money = []
        for entry in subject["earnings"]:
            currency = entry["currency"]
            rate = entry["hourlyWithoutUnpaidMinor"]
            rate_all = entry["hourlyWithUnpaidMinor"]
            money.append({"currency": currency, "earned": format_cents(entry["earnedMinor"], currency),
                          "pending": format_cents(entry["pendingMinor"], currency),
                          "rejected": format_cents(entry["rejectedMinor"], currency),
                          "hourly": "not measured" if rate is None else format_hourly(rate, currency),
                          "hourly_all": "not measured" if rate_all is None else format_hourly(rate_all, currency)})
    feedback = None
    if "requesterFeedback" in subject:
        feedback = [{"platform": platform_name(entry["platform"]), "requester": entry["requesterName"] or "A requester",
                     "date": long_day(entry["date"]), "text": entry["text"]} for entry in subject["requesterFeedback"]]
    sections = subject["choices"]["sections"]
    issuer = credential["issuer"]
    about = [("Certificate id", credential["id"]), ("Issued by", f"{issuer['name']} ({issuer['id']})"),
             ("Issued on", credential["validFrom"].replace("T", " ").replace("Z", " UTC"))]
    proof = credential.get("proof")
    if isinstance(proof, dict):
        about.append(("Signing key", proof["verificationMethod"].rpartition("#")[2]))
    return CertificateView(
        title=credential["name"], description=credential["description"], holder_name=subject.get("holderName"),
        empty=subject["tasksRecorded"] == 0, facts=facts, platforms=platforms, kinds=kinds, hours=hours,
        hours_note=hours_note, earnings=money, feedback=feedback,
        included=[SECTION_NAMES[section] for section in sections],
        left_out=[name for section, name in SECTION_NAMES.items() if section not in sections], about=about)
