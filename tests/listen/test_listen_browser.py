"""Real-browser checks of /listen: runs tests/listen/browser/listen.test.js (Node, playwright-core, axe-core from
extension/node_modules, Debian's Chromium) against a live demo server. In CI a missing tool fails the test."""
from __future__ import annotations

import os
import shutil
import subprocess

import httpx
import pytest

from tests.conftest import ROOT, LiveServer, backdate_account

NODE_MODULES = ROOT / "extension" / "node_modules"
CHROMIUM = "/usr/bin/chromium"
TEST_FILE = ROOT / "tests" / "listen" / "browser" / "listen.test.js"


def missing_tools() -> list[str]:
    missing = []
    if shutil.which("node") is None:
        missing.append("node")
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(CHROMIUM)
    for package in ("playwright-core", "axe-core"):
        if not (NODE_MODULES / package / "package.json").exists():
            missing.append(f"extension/node_modules/{package} (run `npm ci` in extension/)")
    return missing


def require_tools() -> None:
    """Fail in CI when node, Chromium or the npm packages are missing; elsewhere skip with the reason."""
    missing = missing_tools()
    if missing:
        message = "browser test tools missing: " + ", ".join(missing)
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)


def test_listen_page_in_a_real_browser(live_server: LiveServer) -> None:
    require_tools()
    seeded = live_server.cli("demo")
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    # The demo tasks have no HIT set ids, so no platform links: add one task that has them.
    linked = {"platform": "mturk", "requester_id": "ALINKED", "requester_name": "Link Lab", "title": "Label street signs",
              "reward_cents": 120, "hit_set_id": "3LINKEDHITSET00000000000000000"}  # an MTurk HIT group id's shape: 30 upper-case letters and digits (scrapers/ids.py)
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        response = http.post("/api/v1/annotate", json={"platform": "mturk", "tasks": [linked]})
        assert response.status_code == 200, response.text
        # one timing, so its hourly pay is known and ?min_hourly=1000 hides it like the rest; from an established
        # account (a new account's timing is kept but counts from its eighth day: docs/evidence.md)
        created = http.post("/api/v1/workers", json={"handle": "listen-browser"})
        assert created.status_code == 201, created.text
        backdate_account(live_server.database_url, created.json()["worker"]["id"])
        token = {"Authorization": f"Bearer {created.json()['token']}"}
        timing = {"platform": "mturk", "requester_id": "ALINKED", "title": linked["title"], "reward_cents": 120,
                  "assignment_id": "ALINKEDASSIGN1", "accepted_at": "2026-01-10T10:00:00Z",
                  "ended_at": "2026-01-10T10:10:00Z", "outcome": "submitted"}
        response = http.post("/api/v1/timings", json=timing, headers=token)
        assert response.status_code in (200, 201), response.text
    env = {**os.environ, "LISTEN_URL": f"{live_server.url}/listen", "NODE_PATH": str(NODE_MODULES)}
    result = subprocess.run(["node", "--test", "--test-concurrency=1", str(TEST_FILE)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"node --test failed:\n{result.stdout}\n{result.stderr}"
