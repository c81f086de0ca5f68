"""Words the pages share: platforms, pay bands, ratings, outcomes and warning flags, in plain English."""
from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from accessibility.speech import FLAG_WORDS, say_approval
from server.domain.vocab import RATING_DIMENSIONS

PLATFORMS = {"mturk": "MTurk", "prolific": "Prolific"}
BAND_WORDS = {
    "good": "good pay",
    "ok": "fair pay",
    "low": "low pay",
    "avoid": "avoid: reviewers warn about this requester",
    "unknown": "pay not known yet",
}
DIMENSION_NAMES = {"pay": "Pay", "fairness": "Fairness", "speed": "Speed", "communication": "Communication"}
OUTCOME_WORDS = {
    "approved": "Approved",
    "rejected": "Rejected",
    "pending": "Still pending",
    "returned": "Returned unfinished",
    "blocked": "Rejected, and the worker was blocked",
}


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def flag_words(flag: str) -> str:
    return FLAG_WORDS.get(flag) or flag.replace("_", " ")


def flags_words(flags: list[str]) -> str:
    return "; ".join(flag_words(flag) for flag in flags) or "none"


def ratings_words(values: Mapping[str, int | None]) -> str:
    """"Pay 4 of 5, fairness 5 of 5, speed 3 of 5; communication not rated"."""
    rated = [f"{DIMENSION_NAMES[d].lower()} {values[d]} of 5" for d in RATING_DIMENSIONS if values.get(d) is not None]
    unrated = [DIMENSION_NAMES[d].lower() for d in RATING_DIMENSIONS if values.get(d) is None]
    if not rated:
        return "No ratings given"
    text = ", ".join(rated)
    if unrated:
        listed = f"{', '.join(unrated[:-1])} and {unrated[-1]}" if len(unrated) > 1 else unrated[0]
        text += f"; {listed} not rated"
    return sentence_case(text)


def outcome_words(outcome: str | None, approval_seconds: int | None) -> str:
    words = OUTCOME_WORDS.get(outcome or "", outcome or "Not reported")
    approval = say_approval(approval_seconds) if outcome == "approved" else ""
    return f"{words} {approval.removeprefix('approves ')}" if approval else words


def requester_page_path(platform: str, external_id: str) -> str:
    """The address of a requester's page (server/requesters/pages.py)."""
    return f"/r/{quote(platform, safe='')}/{quote(external_id, safe='')}"
