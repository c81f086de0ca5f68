"""The platforms Fairfinder supports and what their ids look like: one rule per kind of id, in one place.

Every parser (scrapers/) and every route that takes a platform or an id (server/) checks with these functions,
and every link to a platform is built only from an id they accepted (`task_url`, `accept_url`,
`requester_url`). The extension mirrors the same rules in extension/src/lib/rows.js. Pure: standard library only.

What the rules rest on:

* **MTurk requester ids** are MTurk customer ids: "A" and then upper-case ASCII letters and digits, at most 64
  characters in all (AWS MTurk Requester API 2017-01-17, shape `CustomerId`, pattern `^A[A-Z0-9]+$`, length
  1-64: boto/botocore botocore/data/mturk/2017-01-17/service-2.json @cd9207757d459bba9c524475b601e59f55760a3a).
  Real ones are 12 to 21 characters long: the 100 HIT groups of a worker.mturk.com search kept by
  Anveio/mturk-engine (src/utils/sampleHits.ts @4f853e3e, our extension/tests/support/fixtures/
  mturk-sample-hits.json) run from `APA5QKHYESAA` (12) to `A093608229YLLO56ED5YF` (21), most are 13 or 14.
  The documented bound is the rule, not the lengths seen: a shorter or longer real id must not be refused.
* **MTurk HIT group ids** (`hit_set_id`, the `/projects/<id>/tasks` of the task's links) are 30 upper-case
  letters and digits: all 100 groups above, and the "30-char project/group id" of
  /work/shared/fixtures/mturk/worker_mturk_json_shapes.json. (AWS documents any `EntityId` as up to 64; every
  group id anyone has published is 30 long, and a link built from something else is not a link to a group.)
* **Prolific** researcher and study ids are 24 lower-case hexadecimal digits (MongoDB object ids): the live
  study card 676eda540ac41cc075b4e578 captured in spin311/ProlificAutomaticStudies chrome/src/sample
  @8ac13bce (tests/fixtures/scrapers/prolific_studies_live.json), and the shapes in /work/shared/notes/platforms.md.
"""
from __future__ import annotations

import re

__all__ = [
    "PLATFORMS",
    "PLATFORM_NAMES",
    "accept_url",
    "group_id_problem",
    "is_group_id",
    "is_platform",
    "is_requester_id",
    "platform_problem",
    "requester_id_problem",
    "requester_url",
    "task_url",
]

PLATFORM_NAMES = {"mturk": "Amazon Mechanical Turk", "prolific": "Prolific"}
PLATFORMS = tuple(PLATFORM_NAMES)  # the platforms Fairfinder supports, in the order pages list them

MTURK_BASE_URL = "https://worker.mturk.com"
PROLIFIC_BASE_URL = "https://app.prolific.com"

_REQUESTER_ID = {
    "mturk": re.compile(r"A[A-Z0-9]{1,63}"),
    "prolific": re.compile(r"[0-9a-f]{24}"),
}
_GROUP_ID = {
    "mturk": re.compile(r"[0-9A-Z]{30}"),
    "prolific": re.compile(r"[0-9a-f]{24}"),
}
_REQUESTER_WORDS = {
    "mturk": "an MTurk requester id is “A” and then upper-case letters and digits, at most 64 characters "
             "(like A2P2MT8IK72CVZ)",
    "prolific": "a Prolific researcher id is 24 lower-case hexadecimal digits (like 5c4f8e2a9d1b3a0012ab34cd)",
}
_GROUP_WORDS = {
    "mturk": "an MTurk HIT group id is 30 upper-case letters and digits (like 3MQJWSYXOHGDXJ3GAF96UH2MB215O3)",
    "prolific": "a Prolific study id is 24 lower-case hexadecimal digits (like 676eda540ac41cc075b4e578)",
}


def is_platform(platform: object) -> bool:
    return isinstance(platform, str) and platform in PLATFORM_NAMES


def platform_problem(platform: object) -> str | None:
    """None for a supported platform, else what is wrong in words."""
    if is_platform(platform):
        return None
    shown = platform[:40] if isinstance(platform, str) else type(platform).__name__
    return f"“{shown}” is not a platform Fairfinder supports; use one of {', '.join(PLATFORMS)}"


def is_requester_id(platform: str, value: object) -> bool:
    rule = _REQUESTER_ID.get(platform)
    return rule is not None and isinstance(value, str) and rule.fullmatch(value) is not None


def requester_id_problem(platform: str, value: object) -> str | None:
    """None when `value` is a requester id of `platform`, else what is wrong in words (the id is not echoed
    whole: it may be long or hostile)."""
    if is_requester_id(platform, value):
        return None
    if platform not in _REQUESTER_WORDS:
        return platform_problem(platform)
    return f"not a requester id of {PLATFORM_NAMES[platform]}: {_REQUESTER_WORDS[platform]}"


def is_group_id(platform: str, value: object) -> bool:
    """A task group's id on the platform: an MTurk HIT group (hit_set_id) or a Prolific study."""
    rule = _GROUP_ID.get(platform)
    return rule is not None and isinstance(value, str) and rule.fullmatch(value) is not None


def group_id_problem(platform: str, value: object) -> str | None:
    if is_group_id(platform, value):
        return None
    if platform not in _GROUP_WORDS:
        return platform_problem(platform)
    return f"not a task group id of {PLATFORM_NAMES[platform]}: {_GROUP_WORDS[platform]}"


# --- links: built only from ids the rules above accept -------------------------------------------------------


def task_url(platform: str, group_id: str | None) -> str | None:
    """The task group's page on the platform (MTurk's preview list, a Prolific study), or None."""
    if group_id is None or not is_group_id(platform, group_id):
        return None
    if platform == "mturk":
        return f"{MTURK_BASE_URL}/projects/{group_id}/tasks"
    return f"{PROLIFIC_BASE_URL}/studies/{group_id}"


def accept_url(platform: str, group_id: str | None) -> str | None:
    """Where "accept" goes: MTurk's accept_random of the group; a Prolific study is opened, then taken there."""
    base = task_url(platform, group_id)
    if base is None:
        return None
    return f"{base}/accept_random" if platform == "mturk" else base


def requester_url(platform: str, requester_id: str) -> str | None:
    """The requester's own page on the platform; Prolific has none."""
    if platform == "mturk" and is_requester_id(platform, requester_id):
        return f"{MTURK_BASE_URL}/requesters/{requester_id}/projects"
    return None
