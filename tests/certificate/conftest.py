"""Fixtures of the work certificate tests: the checked client (no 5xx, no stack trace, one error shape), two
workers, and direct SQL to write a worker's history rows (the import API is another feature's; writing rows
directly keeps these tests about the certificate)."""
from __future__ import annotations

# The API suite's checked client (no 5xx, no stack trace), direct SQL and two workers, shared rather than copied.
from tests.api.conftest import alice, bob, client, db  # noqa: F401
