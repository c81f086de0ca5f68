"""Fixtures of the /me tests: the checked client (no 5xx, no stack trace, one error shape), two workers and direct
SQL. The worked example of docs/earnings.md, written as a worker's history rows and timings, is in example.py."""
from __future__ import annotations

# The API suite's checked client (no 5xx, no stack trace), direct SQL and two workers, shared rather than copied.
from tests.api.conftest import alice, bob, client, db  # noqa: F401
