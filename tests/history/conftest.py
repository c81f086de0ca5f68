"""Fixtures of the history tests: the checked client (no 5xx, no stack trace, one error shape), two workers,
direct SQL, and the constructed platform pages of tests/fixtures/history/ (README.txt there)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The API suite's checked client (no 5xx, no stack trace), direct SQL and two workers, shared rather than copied.
from tests.api.conftest import alice, bob, client, db  # noqa: F401


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "history"
DAY1, DAY2 = "2026-10-27", "2026-10-28"


def fixture(name: str) -> Any:
    """A decoded fixture page (a fresh copy each time, so a test may change it)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def mturk_page(day: str, part: str) -> Any:
    return fixture(f"mturk_status_details_{day}_{part}.json")


def prolific_page(number: int) -> Any:
    return fixture(f"prolific_submissions_page{number}.json")
