"""`fairfinder page-reports`: the admin page's read on the command line, as text or as the admin route's JSON;
it names the database it reads, and refuses bad options in words."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from litestar.testing import TestClient
from sqlalchemy.engine import make_url

from server.settings import Settings
from tests.conftest import ROOT
from tests.helpers import Db
from tests.page_reports.conftest import ADMIN_PATH, PATH, a_report


def fairfinder(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "FAIRFINDER_DATA_DIR": str(settings.data_dir),
           "FAIRFINDER_SECRET": "cli-test-secret", "FAIRFINDER_LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "server.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


def database_words(url: str) -> str:
    parsed = make_url(url)
    return f"SQLite {parsed.database}" if parsed.get_backend_name() == "sqlite" else parsed.render_as_string()


def seed(client: TestClient, db: Db) -> date:
    """Two shapes: MTurk (today and 3 days before) and Prolific (today); the day of the first report."""
    day = date.fromisoformat(client.post(PATH, json=a_report()).json()["day"])
    assert client.post(PATH, json=a_report(extension_version="0.2.0", browser="chromium")).status_code == 201
    db.run("UPDATE page_reports SET day = ? WHERE id = (SELECT max(id) FROM page_reports)",
           (day - timedelta(days=3)).isoformat())
    prolific = a_report(platform="prolific", page="studies", probes={"study_cards": 0},
                        elements=[{"tag": "li", "classes": ["study"], "testid": "study-#", "count": 12}])
    assert client.post(PATH, json=prolific).status_code == 201
    return day


def test_the_text_names_the_database_and_shows_each_shape(client: TestClient, db: Db, settings: Settings):
    seed(client, db)
    result = fairfinder(settings, "page-reports")
    assert result.returncode == 0, result.stderr
    # named once, on the line every command starts with (server/cli.py `_settings`)
    assert result.stderr.count(f"database: {database_words(settings.database_url)}") == 1
    assert "Database:" not in result.stderr
    password = make_url(settings.database_url).password
    if password:  # PostgreSQL: named without its password
        assert str(password) not in result.stderr
    out = result.stdout
    assert "3 reports of 2 shapes." in out
    assert "MTurk search page: no task could be read" in out and "Prolific studies list: no task could be read" in out
    assert "2 reports; first seen" in out
    assert "extension versions: 0.1.0 (1), 0.2.0 (1); browsers: chromium (1), firefox (1)" in out
    assert "27  div.hit-card" in out and "12  li.study [data-testid=study-#]" in out
    assert "selectors matched: hitset_props 1, hitset_table 1, project_links 0" in out
    # Two days, not one: the test clock starts a minute before midnight, so the CLI's today may be the seed's
    # tomorrow. The MTurk report three days back stays out either way (and --platform leaves MTurk out too).
    only = fairfinder(settings, "page-reports", "--platform", "prolific", "--days", "2")
    assert only.returncode == 0 and "1 report of 1 shape." in only.stdout and "MTurk" not in only.stdout.split("\n", 3)[-1]


def test_json_is_the_admin_routes_answer(client: TestClient, db: Db, settings: Settings, admin: dict[str, str]):
    day = seed(client, db)
    result = fairfinder(settings, "page-reports", "--json", "--days", "30")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("Data folder: ")  # where it works goes to stderr: stdout is only the JSON
    printed = json.loads(result.stdout)
    since = printed["since"]
    assert since in {(day - timedelta(days=29)).isoformat(), (day - timedelta(days=28)).isoformat()}
    answered = client.get(ADMIN_PATH, headers=admin, params={"since": since}).json()
    # "until" is today: the test clock starts a minute before midnight, so the two calls may fall on two days
    assert printed.pop("until") <= answered.pop("until")
    assert printed == answered
    assert printed["reports"] == 3 and len(printed["shapes"]) == 2


def test_bad_options_are_refused_in_words(settings: Settings):
    for args, words in ((["--days", "0"], "--days"), (["--platform", "upwork"], "--platform"),
                        (["--extension-version", "1.0 beta"], "--extension-version"), (["--limit", "0"], "--limit")):
        result = fairfinder(settings, "page-reports", *args)
        assert result.returncode == 2, result
        assert words in result.stderr and "Traceback" not in result.stderr
    assert "--days" in fairfinder(settings, "page-reports", "--help").stdout


def test_an_unmigrated_database_is_refused(empty_database_url: str, tmp_path: Path):
    url = make_url(empty_database_url)
    if url.get_backend_name() == "sqlite":  # an empty file: there, but unmigrated (no file at all is exit 3)
        Path(str(url.database)).touch()
    result = fairfinder(Settings(database_url=empty_database_url, data_dir=tmp_path), "page-reports")
    assert result.returncode == 2
    assert "Run `fairfinder migrate` first" in result.stderr and "Traceback" not in result.stderr
