"""Task identity (DESIGN §3): a task type is (platform, requester, title, reward). Pure functions."""
from __future__ import annotations

from typing import NamedTuple

from scrapers.model import Task, title_key

__all__ = ["TaskKey", "task_key", "title_key"]


class TaskKey(NamedTuple):
    platform: str
    requester_id: str
    title_key: str
    reward_cents: int
    currency: str


def task_key(task: Task) -> TaskKey:
    return TaskKey(task.platform, task.requester_id.strip(), title_key(task.title), task.reward_cents, task.currency.upper())
