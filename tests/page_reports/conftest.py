"""Helpers of the page-report tests: the report of extension/README.md, admin accounts, the table read back."""
from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from server.settings import Settings
from tests.conftest import register
from tests.helpers import Db, check_response

# The example of extension/README.md ("The page-shape report"), as lib/page-report.js builds it.
README_REPORT: dict[str, Any] = {
    "schema": 1,
    "platform": "mturk",
    "extension_version": "0.1.0",
    "browser": "firefox",
    "page": "search",
    "problem": "no_tasks",
    "counts": {"rows_seen": 0, "tasks_read": 0, "data_items": 27},
    "probes": {"hitset_table": 1, "hitset_props": 1, "rows": 0, "project_links": 0, "title_cells": 0,
               "reward_cells": 0, "requester_links": 0},
    "elements": [
        {"tag": "div", "classes": ["hit-card"], "testid": None, "count": 27},
        {"tag": "li", "classes": ["list-item"], "testid": "study-#", "count": 12},
    ],
}
# Every column of page_reports: a new one must be added here on purpose (and to docs/privacy.md).
COLUMNS = {"id", "day", "platform", "page", "problem", "extension_version", "browser", "schema_version",
           "fingerprint", "counts", "probes", "elements"}
PATH = "/api/v1/page-reports"
ADMIN_PATH = "/api/v1/admin/page-reports"


def a_report(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(README_REPORT), **changes}


@pytest.fixture
def client(client: TestClient) -> Iterator[TestClient]:
    """Every response checked: no 5xx, no stack trace, errors in the one JSON shape."""
    client.event_hooks["response"].append(check_response)
    yield client


@pytest.fixture
def db(settings: Settings) -> Iterator[Db]:
    database = Db(settings.database_url)
    yield database
    database.close()


def account(client: TestClient, handle: str, role: str = "worker") -> dict[str, str]:
    headers = register(client, handle)
    if role != "worker":
        Db(client.app.state.settings.database_url).run("UPDATE workers SET role = ? WHERE handle = ?", role, handle)
    return headers


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    return account(client, "boss", "admin")


def stored(db: Db) -> list[dict[str, Any]]:
    """Every row of page_reports as a dict of its columns (JSON columns decoded), oldest first."""
    with db.engine.connect() as connection:
        result = connection.exec_driver_sql("SELECT * FROM page_reports ORDER BY id")
        rows = [dict(row._mapping) for row in result]
    for row in rows:
        row["day"] = str(row["day"])  # SQLite gives text, PostgreSQL a date
        for key in ("counts", "probes", "elements"):
            if isinstance(row[key], str):
                row[key] = json.loads(row[key])
    return rows


def as_sent(row: dict[str, Any]) -> dict[str, Any]:
    """The report a row holds, in the shape it was sent."""
    return {"schema": row["schema_version"], "platform": row["platform"], "extension_version": row["extension_version"],
            "browser": row["browser"], "page": row["page"], "problem": row["problem"], "counts": row["counts"],
            "probes": row["probes"], "elements": row["elements"]}
