"""The README's tour, run as written (curl against a real server process with the demo data)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import httpx
import pytest

from tests import database
from tests.conftest import ROOT, LiveServer

pytestmark = pytest.mark.database  # starts its own server: runs on SQLite and on PostgreSQL


def tour_script() -> str:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    tour = next(block for block in blocks if "api/v1/annotate" in block)
    return tour


@pytest.fixture
def demo_server(live_server: LiveServer) -> LiveServer:
    seeded = live_server.cli("demo", "--if-empty")
    assert seeded.returncode == 0, seeded.stderr
    return live_server


def test_readme_tour_works_against_a_real_server(demo_server: LiveServer) -> None:
    assert shutil.which("curl"), "curl is needed for the README tour"
    # -f makes curl fail on HTTP errors, so a broken line fails the script.
    script = tour_script().replace("http://127.0.0.1:8000", demo_server.url).replace("curl -s ", "curl -sf -w '\\n' ")
    script += '\necho "TOKEN=$TOKEN"\n'
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    token = lines[-1].removeprefix("TOKEN=")
    outputs = [json.loads(line) for line in lines[:-1]]

    review, annotated, filters, requester, reviews = outputs
    assert review["requester_id"] == "ADEMO3ZOELLPK4" and review["worked_seconds"] == 360
    assert [t["title"] for t in annotated["tasks"]] == ["Market Research Survey", "Movie personalities"]
    # The demo data gives both tasks measured hourly figures.
    assert all(t["hourly"]["basis"] == "task" and t["hourly"]["n"] > 0 for t in annotated["tasks"])
    assert filters["min_hourly_cents"] == 900
    assert requester["reviews"] >= 1 and requester["name"] == "SH Hong"
    assert len(reviews["items"]) == 2 and reviews["next_cursor"]

    # After step 4 the worker's filters apply: the blocked requester's task says why it is hidden.
    again = httpx.post(f"{demo_server.url}/api/v1/annotate", headers={"Authorization": f"Bearer {token}"},
                       json={"platform": "mturk", "tasks": [
                           {"platform": "mturk", "requester_id": "ADEMOGAXOD3SEB", "requester_name": "AMT Emotech",
                            "title": "Movie personalities", "reward_cents": 25}]}).json()
    verdict = again["tasks"][0]["verdict"]
    assert verdict["hidden"] is True
    assert verdict["reasons"][0]["code"] == "blocked"


def test_serve_refuses_an_unmigrated_database(tmp_path) -> None:
    server = LiveServer(tmp_path / "fresh")
    server.data_dir.mkdir()
    result = server.cli("serve")
    words = " ".join(result.stderr.split())
    if database.backend_name() == "postgresql":  # the test database is there, empty: not migrated
        assert result.returncode == 2 and "Run `fairfinder migrate` first" in words
    else:  # no database file here: not found, and nothing is made
        assert result.returncode == 3 and "fairfinder --create migrate" in words
    assert not (server.data_dir / "fairfinder.db").exists()


def test_cli_help_lists_commands(tmp_path) -> None:
    server = LiveServer(tmp_path / "help")
    result = server.cli("--help")
    assert result.returncode == 0
    for command in ("serve", "migrate", "demo", "recompute"):
        assert command in result.stdout
    recompute = server.cli("recompute", "--help")
    assert "Rebuild every aggregate" in recompute.stdout


def test_demo_then_recompute_from_the_command_line(tmp_path) -> None:
    server = LiveServer(tmp_path / "cli")
    server.data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    seeded = server.cli("demo", "--if-empty")
    assert seeded.returncode == 0, seeded.stderr
    assert "Seeded 27 tasks" in seeded.stderr
    assert "skipped" in server.cli("demo", "--if-empty").stderr  # a second seed does nothing

    db = server.sql()
    before = db.rows("SELECT requester_id, reviews, rejections, blocks FROM requester_stats ORDER BY 1")
    assert db.value("SELECT count(*) FROM reviews WHERE is_demo = FALSE") == 0  # all marked as demo
    db.execute("DELETE FROM requester_stats")  # aggregates lost: recompute brings them back
    rebuilt = server.cli("recompute")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "Rebuilt aggregates of 25 requesters" in rebuilt.stderr
    after = db.rows("SELECT requester_id, reviews, rejections, blocks FROM requester_stats ORDER BY 1")
    assert after == before and len(after) == 25  # 27 tasks from 25 requesters


def test_every_address_the_readme_links_answers(demo_server: LiveServer) -> None:
    """The README's links to the local server (the start page, the requester page of the demo, /listen, /me, …)
    lead somewhere real on a server with the demo data (issue 19: the requester link was a 404)."""
    readme = (ROOT / "README.md").read_text()
    links = sorted(set(re.findall(r"<http://127\.0\.0\.1:8000(/[^>]*)>", readme)))
    assert "/r/mturk/ADEMO3ZOELLPK4" in links and "/" in links
    with httpx.Client(base_url=demo_server.url, timeout=10, headers={"Accept": "text/html"}) as browser:
        for path in links:
            assert browser.get(path).status_code == 200, path
        page = browser.get("/r/mturk/ADEMO3ZOELLPK4").text
        assert "SH Hong" in page


def test_the_readme_way_to_the_demo_workers_own_pages(demo_server: LiveServer) -> None:
    """`fairfinder sign-in-link demo-me`, as the README says, opens /me signed in, with earnings and a certificate."""
    readme = (ROOT / "README.md").read_text()
    assert ".venv/bin/fairfinder sign-in-link demo-me" in readme
    made = demo_server.cli("sign-in-link", "demo-me")
    assert made.returncode == 0, made.stderr
    with httpx.Client(timeout=10, follow_redirects=True) as browser:
        me = browser.get(made.stdout.strip())
        assert me.status_code == 200 and me.url.path == "/me"
        assert "Signed in as demo-me" in me.text or "demo-me" in me.text
        assert "You earned $" in me.text and "an hour while working" in me.text
        certificate = browser.get(f"{demo_server.url}/me/certificate")
        assert certificate.status_code == 200 and "demo-me" in certificate.text
        assert browser.get(made.stdout.strip()).status_code == 410  # the link worked once
