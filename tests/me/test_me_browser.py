"""Real-browser checks of GET /me: runs tests/me/browser/me.test.js (Node, playwright-core and axe-core from
extension/node_modules, Debian's Chromium) against a live server holding the worked example of docs/earnings.md.
In CI a missing tool fails the test; elsewhere it is skipped."""
from __future__ import annotations

import os
import re
import subprocess
from datetime import datetime, timezone

import httpx

from tests.conftest import ROOT, LiveServer, register
from tests.listen import test_listen_browser as listen_browser  # its tool checks; a module, so not collected twice
from tests.helpers import stamp
from tests.me.example import BAD, SHOP, at, iso

TEST_FILE = ROOT / "tests" / "me" / "browser" / "me.test.js"


def test_me_page_in_a_real_browser(live_server: LiveServer) -> None:
    listen_browser.require_tools()
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        headers = register(http, "earner")
        worker = http.get("/api/v1/me", headers=headers).json()["id"]
        for assignment, requester, title, reward, start, end, outcome in (
            ("A1", SHOP, "Survey about shopping", 80, at(10, 0), at(10, 10), "submitted"),
            ("A2", BAD, "Transcribe receipts", 300, at(10, 12), at(10, 17), "returned"),
            ("A3", SHOP, "Survey about shopping", 50, at(10, 20), at(10, 25), "submitted"),
            ("A4", BAD, "Tag photos <b>now</b>", 40, at(11, 25), at(11, 30), "submitted"),
        ):
            body = {"platform": "mturk", "requester_id": requester[0], "requester_name": requester[1], "title": title,
                    "reward_cents": reward, "assignment_id": assignment, "accepted_at": iso(start),
                    "ended_at": iso(end), "outcome": outcome}
            response = http.post("/api/v1/timings", json=body, headers=headers)
            assert response.status_code == 201, response.text
    now = stamp(datetime.now(timezone.utc))
    sql = live_server.sql()
    for assignment, requester, title, reward, bonus, state in (
        ("A1", SHOP, "Survey about shopping", 80, 20, "approved"),
        ("A3", SHOP, "Survey about shopping", 50, 0, "pending"),
        ("A4", BAD, "Tag photos <b>now</b>", 40, 0, "rejected"),
    ):
        sql.run("INSERT INTO work_history (worker_id, platform, assignment_id, requester_id, requester_name, title, "
                "reward_cents, bonus_cents, currency, state, work_date, requester_feedback, imported_at, updated_at) "
                "VALUES (?, 'mturk', ?, ?, ?, ?, ?, ?, 'USD', ?, ?, '', ?, ?)",
                worker, assignment, requester[0], requester[1], title, reward, bonus, state, at(0, 0).date(), now, now)
    env = {**os.environ, "ME_ORIGIN": live_server.url, "ME_TOKEN": headers["Authorization"].split(" ", 1)[1],
           "NODE_PATH": str(listen_browser.NODE_MODULES)}
    result = subprocess.run(["node", "--test", "--test-concurrency=1", str(TEST_FILE)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"node --test failed:\n{result.stdout}\n{result.stderr}"
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.MULTILINE)
    assert passed and int(passed.group(1)) > 0, result.stdout
    print(result.stdout)
