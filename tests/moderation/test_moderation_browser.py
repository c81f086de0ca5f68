"""Real-browser checks of /moderation: runs tests/moderation/browser/moderation.test.js (Node, playwright-core and
axe-core from extension/node_modules, Debian's Chromium) against a real `fairfinder serve` process on loopback,
with roles granted by the CLI and a queue made through the API. In CI a missing tool fails the test; elsewhere
it is skipped."""
from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, LiveServer, backdate_account
from tests.listen import test_listen_browser as listen_browser  # its tool checks; a module, so not collected twice
from tests.moderation.conftest import stars

pytestmark = pytest.mark.database  # starts its own server: runs on SQLite and on PostgreSQL

TEST_FILE = ROOT / "tests" / "moderation" / "browser" / "moderation.test.js"
INJECTED_COMMENT = "<script>window.__injected = true</script>Paid late, and rude about it."
INJECTED_NOTE = '<img src=x onerror="window.__injected = true">'


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    # Rate limits off: the browser loads dozens of pages from one address within a minute.
    live = LiveServer(tmp_path / "var", env={"FAIRFINDER_RATE_LIMITS": "off", "FAIRFINDER_SCHEDULER": "off"})
    live.data_dir.mkdir()
    assert live.cli("migrate").returncode == 0
    live.start()
    yield live
    live.stop()


def signup(http: httpx.Client, server: LiveServer, handle: str, role: str = "worker", *, established: bool = True
           ) -> str:
    response = http.post("/api/v1/workers", json={"handle": handle})
    assert response.status_code == 201, response.text
    if established:
        backdate_account(server.database_url, response.json()["worker"]["id"])
    if role != "worker":
        granted = server.cli("set-role", handle, role)
        assert granted.returncode == 0, granted.stdout + granted.stderr
    return response.json()["token"]


def post_review(http: httpx.Client, token: str, value: int, requester_id: str = "AREQ1", **changes: Any) -> int:
    body = {"platform": "mturk", "requester_name": "Shop Lab", "comment": "", **stars(value, requester_id), **changes}
    response = http.post("/api/v1/reviews", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def flag(http: httpx.Client, token: str, review_id: int, reason: str, note: str = "") -> None:
    response = http.post(f"/api/v1/reviews/{review_id}/flags", json={"reason": reason, "note": note},
                         headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text


def seed(server: LiveServer) -> dict[str, Any]:
    """A queue of each kind, a review with earlier versions, log entries; returns what the browser test needs."""
    with httpx.Client(base_url=server.url, timeout=10) as http:
        moderator = signup(http, server, "mod", "moderator")
        admin = signup(http, server, "boss", "admin")
        worker = signup(http, server, "plainworker")
        flaggers = [signup(http, server, f"flagger{i}") for i in range(2)]
        rude = signup(http, server, "rude")
        injected = post_review(http, rude, 1, comment=INJECTED_COMMENT)
        flag(http, flaggers[0], injected, "other", INJECTED_NOTE)
        editor = signup(http, server, "editor")
        edited = post_review(http, editor, 2, "AREQ2", comment="First version.")
        for comment in ("Second version.", "Third version, with a much longer comment that has to wrap on a narrow "
                                            "screen without pushing the page sideways: " + "word " * 30):
            response = http.patch(f"/api/v1/reviews/{edited}", json={"comment": comment},
                                  headers={"Authorization": f"Bearer {editor}"})
            assert response.status_code == 200, response.text
        flag(http, flaggers[0], edited, "fake", "reads like the requester's competitor")
        flag(http, flaggers[1], edited, "spam")
        target = post_review(http, signup(http, server, "target"), 2, "AREQ3", comment="To be hidden by keyboard.")
        flag(http, flaggers[1], target, "off_topic")
        keep = post_review(http, signup(http, server, "keeper"), 4, "AREQ4", comment="To be dismissed without JS.")
        flag(http, flaggers[0], keep, "spam")
        hidden = post_review(http, signup(http, server, "spammer"), 1, "AREQ5", comment="Buy my course.")
        flag(http, admin, hidden, "spam", "an advert")  # an admin's flag hides at once
        bombs = [post_review(http, signup(http, server, f"fresh{i}", established=False), 1, "AREQ6") for i in range(3)]
        held = http.get("/api/v1/moderation/queue", params={"kind": "held"}, headers={"Authorization": f"Bearer {moderator}"})
        assert {item["review"]["id"] for item in held.json()["items"]} == set(bombs)
    return {"moderatorToken": moderator, "workerToken": worker, "injectedReview": injected, "editedReview": edited,
            "targetReview": target, "keepReview": keep, "hiddenReview": hidden, "heldReviews": bombs}


def run_node(server: LiveServer, seeded: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MODERATION_URL": f"{server.url}/moderation", "MODERATION_SEED": json.dumps(seeded),
           "NODE_PATH": str(listen_browser.NODE_MODULES)}
    return subprocess.run(["node", "--test", "--test-concurrency=1", str(TEST_FILE)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def test_moderation_page_in_a_real_browser(server: LiveServer) -> None:
    listen_browser.require_tools()
    seeded = seed(server)
    result = run_node(server, seeded)
    assert result.returncode == 0, f"node --test failed:\n{result.stdout}\n{result.stderr}"
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.MULTILINE)
    failed = re.search(r"^# fail (\d+)$", result.stdout, re.MULTILINE)
    assert passed and int(passed.group(1)) > 0 and failed and int(failed.group(1)) == 0, result.stdout
    # what the browser did through the forms, seen by the server
    with httpx.Client(base_url=server.url, timeout=10) as http:
        auth = {"Authorization": f"Bearer {seeded['moderatorToken']}"}
        hidden = http.get("/api/v1/moderation/queue", params={"kind": "hidden"}, headers=auth).json()["items"]
        assert seeded["targetReview"] in {item["review"]["id"] for item in hidden}
        entry = next(e for e in http.get("/api/v1/moderation/log", headers=auth).json()["items"]
                     if e["review_id"] == seeded["targetReview"])
        assert entry["action"] == "hide" and entry["moderator"] == "mod" and entry["note"] == "Typed with the keyboard."
        kept = http.get(f"/api/v1/reviews/{seeded['keepReview']}").json()
        assert kept["status"] == "visible"
        flagged = http.get("/api/v1/moderation/queue", headers=auth).json()["items"]
        assert seeded["keepReview"] not in {item["review"]["id"] for item in flagged}
    print(result.stdout)
