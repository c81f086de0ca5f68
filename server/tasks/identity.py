"""Task identity (DESIGN §3): a task type is (platform, requester, title, reward). Pure functions."""
from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from scrapers.model import Task

_SPACES = re.compile(r"\s+")


class TaskKey(NamedTuple):
    platform: str
    requester_id: str
    title_key: str
    reward_cents: int
    currency: str


def title_key(title: str) -> str:
    """The title as it identifies a task type: same words, whatever spacing or Unicode form the page used.

    Case is kept: requesters sometimes publish different tasks whose titles differ only in case.
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFC", title)).strip()


def task_key(task: Task) -> TaskKey:
    return TaskKey(task.platform, task.requester_id.strip(), title_key(task.title), task.reward_cents, task.currency.upper())
