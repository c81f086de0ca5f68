"""Real-browser checks of /admin/page-reports: runs tests/page_reports/browser/page-reports.test.js (Node,
playwright-core and axe-core from extension/node_modules, Debian's Chromium) against a real `fairfinder serve`
process with reports posted through the API and the admin role granted by the CLI. In CI a missing tool fails the
test; elsewhere it is skipped."""
from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, LiveServer
from tests.listen import test_listen_browser as listen_browser  # its tool checks; a module, so not collected twice
from tests.page_reports.conftest import PATH, a_report
from tests.page_reports.test_api import largest_report

pytestmark = pytest.mark.database  # starts its own server: runs on SQLite and on PostgreSQL

TEST_FILE = ROOT / "tests" / "page_reports" / "browser" / "page-reports.test.js"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    # Rate limits off: the browser loads dozens of pages from one address within a minute.
    live = LiveServer(tmp_path / "var", env={"FAIRFINDER_RATE_LIMITS": "off", "FAIRFINDER_SCHEDULER": "off"})
    live.data_dir.mkdir()
    assert live.cli("migrate").returncode == 0
    live.start()
    yield live
    live.stop()
    live.drop_database()


def signup(http: httpx.Client, server: LiveServer, handle: str, role: str = "worker") -> str:
    response = http.post("/api/v1/workers", json={"handle": handle})
    assert response.status_code == 201, response.text
    if role != "worker":
        granted = server.cli("set-role", handle, role)
        assert granted.returncode == 0, granted.stdout + granted.stderr
    return response.json()["token"]


def seed(server: LiveServer) -> dict[str, Any]:
    """An MTurk shape first seen 12 days ago and reported again since, a Prolific shape, and one report as large as
    the extension can make (long names: the page must still fit 320 px)."""
    with httpx.Client(base_url=server.url, timeout=10) as http:
        admin = signup(http, server, "boss", "admin")
        worker = signup(http, server, "plainworker")
        first = http.post(PATH, json=a_report())
        assert first.status_code == 201, first.text
        day = date.fromisoformat(first.json()["day"])
        server.sql().run("UPDATE page_reports SET day = ?", (day - timedelta(days=12)).isoformat())
        for report in (a_report(), a_report(browser="chromium", extension_version="0.2.0"),
                       a_report(platform="prolific", page="studies", probes={"study_cards": 0},
                                elements=[{"tag": "li", "classes": [], "testid": "study-#", "count": 12}]),
                       largest_report()):
            response = http.post(PATH, json=report)
            assert response.status_code == 201, response.text
    first_seen = day - timedelta(days=12)
    return {"adminToken": admin, "workerToken": worker, "reports": 5, "mturkShape": first.json()["fingerprint"],
            "firstSeenText": f"{first_seen.day} {first_seen:%b %Y}", "mturkElements": len(a_report()["elements"]),
            "mturkOnlyVersion": "0.2.0"}


def test_the_page_reports_page_in_a_real_browser(server: LiveServer) -> None:
    listen_browser.require_tools()
    seeded = seed(server)
    env = {**os.environ, "PAGE_REPORTS_URL": f"{server.url}/admin/page-reports", "PAGE_REPORTS_SEED": json.dumps(seeded),
           "NODE_PATH": str(listen_browser.NODE_MODULES)}
    result = subprocess.run(["node", "--test", "--test-concurrency=1", str(TEST_FILE)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"node --test failed:\n{result.stdout}\n{result.stderr}"
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.MULTILINE)
    failed = re.search(r"^# fail (\d+)$", result.stdout, re.MULTILINE)
    assert passed and int(passed.group(1)) >= 6 and failed and int(failed.group(1)) == 0, result.stdout
