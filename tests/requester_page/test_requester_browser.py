"""Real-browser checks of /r/{platform}/{requester_id}: runs tests/requester_page/browser/requester.test.js (Node,
playwright-core and axe-core from extension/node_modules, Debian's Chromium) against a live demo server. In CI a
missing tool fails the test; elsewhere it is skipped."""
from __future__ import annotations

import os
import re
import subprocess

import httpx

from server.demo import read_seed_tasks
from tests.conftest import ROOT, LiveServer, register
from tests.listen import test_listen_browser as listen_browser  # its tool checks; a module, so not collected twice
from tests.requester_page.test_requester_page import add_imported

TEST_FILE = ROOT / "tests" / "requester_page" / "browser" / "requester.test.js"


def test_requester_page_in_a_real_browser(live_server: LiveServer) -> None:
    listen_browser.require_tools()
    seeded = live_server.cli("demo")
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    requester = read_seed_tasks()[0]
    # a review whose comment would run script if it were not escaped, and another community's data
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        token = register(http, "browser-reviewer")
        body = {"platform": "mturk", "requester_id": requester.requester_id, "ratings": {"pay": 2},
                "outcome": "approved", "comment": "<script>window.__injected = true</script>Paid, eventually."}
        response = http.post("/api/v1/reviews", json=body, headers=token)
        assert response.status_code == 201, response.text
    add_imported(live_server.database_url, requester.requester_id)
    env = {**os.environ, "REQUESTER_URL": f"{live_server.url}/r/mturk/{requester.requester_id}",
           "NODE_PATH": str(listen_browser.NODE_MODULES)}
    result = subprocess.run(["node", "--test", "--test-concurrency=1", str(TEST_FILE)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"node --test failed:\n{result.stdout}\n{result.stderr}"
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.MULTILINE)
    assert passed and int(passed.group(1)) > 0, result.stdout
    print(result.stdout)
