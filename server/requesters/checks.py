"""The ids of a task as a client sends them, checked against its platform's rules (scrapers/ids.py) before anything
is looked up or stored: annotate's normalized tasks, reviews and timings all call `check_task_ids`."""
from __future__ import annotations

from scrapers import ids
from server.errors import ApiError


def check_requester_id(platform: str, requester_id: str, field: str) -> None:
    """422 `invalid_requester_id` naming `field` when `requester_id` (as stored: stripped) is not one of the platform's."""
    problem = ids.requester_id_problem(platform, requester_id.strip())
    if problem is not None:
        raise ApiError(422, "invalid_requester_id", f"{field}: {problem}.", field)


def check_group_id(platform: str, hit_set_id: str | None, field: str) -> None:
    """422 `invalid_hit_set_id` naming `field` when a task group id is given (an MTurk HIT group, a Prolific study)
    and is not one of the platform's: links are built from it (scrapers/ids.py `task_url`)."""
    if hit_set_id is not None and (problem := ids.group_id_problem(platform, hit_set_id)) is not None:
        raise ApiError(422, "invalid_hit_set_id", f"{field}: {problem}.", field)


def check_task_ids(platform: str, requester_id: str, hit_set_id: str | None, prefix: str = "") -> None:
    """The requester id and, when given, the task group id of one task; 422 naming the field (after `prefix`, e.g.
    "tasks[3].") of the first that is not the platform's."""
    check_requester_id(platform, requester_id, f"{prefix}requester_id")
    check_group_id(platform, hit_set_id, f"{prefix}hit_set_id")


def check_platform_parameter(platform: str, name: str = "platform") -> None:
    """400 `unsupported_platform` for a query or path parameter that names no platform Fairfinder supports."""
    problem = ids.platform_problem(platform)
    if problem is not None:
        raise ApiError(400, "unsupported_platform", f"{name}: {problem}.", name)
