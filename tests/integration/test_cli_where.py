"""The command line says where it works and makes nothing unasked (issue 19 item 3): run as a person would, in a
folder of their own, without FAIRFINDER_DATA_DIR."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, LiveServer

pytestmark = pytest.mark.database  # starts its own processes: runs on SQLite and on PostgreSQL


def fairfinder(cwd: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "COLUMNS": "300", "FAIRFINDER_LOG_LEVEL": "WARNING", **(env or {})}
    for name in ("FAIRFINDER_DATA_DIR", "DATABASE_URL", "FAIRFINDER_SECRET"):
        if not env or name not in env:
            environ.pop(name, None)
    return subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=cwd, env={**environ, "PYTHONPATH": str(ROOT)},
                          input=stdin, capture_output=True, text=True, timeout=120, check=False)


def test_without_a_terminal_nothing_is_made_unasked(tmp_path: Path) -> None:
    for command in (["migrate"], ["demo"], ["serve"], ["set-role", "x", "admin"]):
        done = fairfinder(tmp_path, *command)
        assert done.returncode == 3, (command, done.stderr)
        assert f"Data folder: {tmp_path / 'var'} (the default" in done.stderr
        assert f"database: SQLite {tmp_path / 'var' / 'fairfinder.db'}" in done.stderr
        assert "--create" in done.stderr
    assert not (tmp_path / "var").exists()  # no folder, no database, no secret


def test_create_or_a_named_folder_makes_them_and_says_so(tmp_path: Path) -> None:
    made = fairfinder(tmp_path, "--create", "migrate")
    assert made.returncode == 0, made.stderr
    assert f"Made a new server secret in {tmp_path / 'var' / 'secret'}" in made.stderr
    assert f"Making a new database at {tmp_path / 'var' / 'fairfinder.db'}" in made.stderr
    assert (tmp_path / "var" / "fairfinder.db").is_file() and (tmp_path / "var" / "secret").is_file()
    again = fairfinder(tmp_path, "migrate")  # exists now: nothing to ask
    assert again.returncode == 0 and "Making" not in again.stderr and "nothing to do" in again.stderr
    named = fairfinder(tmp_path, "--data-dir", str(tmp_path / "other"), "migrate")
    assert named.returncode == 0, named.stderr
    assert f"Data folder: {tmp_path / 'other'};" in named.stderr  # named: not "(the default …)"
    assert (tmp_path / "other" / "fairfinder.db").is_file()


def test_a_no_at_the_terminal_makes_nothing(tmp_path: Path) -> None:
    # click reads the answer from stdin; the prompt only appears at a terminal, so run it under `script`
    # when present, else check the refusal path (no terminal) above covers it.
    if not Path("/usr/bin/script").exists():
        pytest.skip("util-linux script is not installed") if not os.environ.get("CI") else pytest.fail("script missing")
    environ = {k: v for k, v in os.environ.items() if k not in ("FAIRFINDER_DATA_DIR", "DATABASE_URL")}
    command = f"{sys.executable} -m server.cli migrate"
    done = subprocess.run(["script", "-qec", command, "/dev/null"], cwd=tmp_path, input="n\n", text=True,
                          capture_output=True, timeout=120, check=False, env={**environ, "PYTHONPATH": str(ROOT)})
    assert "Make a new one there?" in done.stdout
    assert done.returncode == 3 and not (tmp_path / "var" / "fairfinder.db").exists()


def test_export_says_what_it_left_out(tmp_path: Path) -> None:
    assert fairfinder(tmp_path, "--create", "migrate").returncode == 0
    assert fairfinder(tmp_path, "demo").returncode == 0
    done = fairfinder(tmp_path, "export", "-o", str(tmp_path / "dump.jsonl.gz"))
    assert done.returncode == 0, done.stderr
    assert "Wrote 0 records" in done.stderr
    assert "Left out 27 demo task types: demo data is never exported." in done.stderr
    assert "demo reviews: demo data is never exported." in done.stderr


def test_serve_on_a_port_in_use_says_so(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "var")
    server.data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", server.port))
        taken.listen()
        done = server.cli("serve")
    assert done.returncode == 4, done.stderr
    words = " ".join(done.stderr.split())
    assert f"Port {server.port} on 127.0.0.1 is already in use" in words
    assert f"FAIRFINDER_PORT={server.port + 1} make run" in words
    assert " ready" not in words and "Errno" not in words


def test_sign_in_link_signs_in_once(live_server: LiveServer) -> None:
    handle = "linked"
    assert httpx.post(f"{live_server.url}/api/v1/workers", json={"handle": handle}).status_code == 201
    missing = live_server.cli("sign-in-link", "nobody")
    assert missing.returncode == 3 and "No worker has the handle 'nobody'" in missing.stderr
    made = live_server.cli("sign-in-link", handle)
    assert made.returncode == 0, made.stderr
    link = made.stdout.strip()
    assert link.startswith(f"{live_server.url}/sign-in/")
    with httpx.Client(follow_redirects=True) as browser:
        first = browser.get(link)
        assert first.status_code == 200 and first.url.path == "/me"
        assert "Your earnings" in first.text and handle in first.text
        assert browser.get(link).status_code == 410  # used


def test_a_long_path_stays_on_one_line_without_a_terminal(tmp_path: Path) -> None:
    """Logs and scripts read these lines: rich wrapped them at 80 columns without a terminal, splitting paths."""
    deep = tmp_path / ("a-data-folder-with-a-long-name-" * 3) / "fairfinder"
    done = fairfinder(tmp_path, "--data-dir", str(deep), "migrate", env={"COLUMNS": "80"})
    assert done.returncode == 3, done.stderr
    line = next(line for line in done.stderr.splitlines() if line.startswith("Data folder: "))
    assert len(str(deep)) > 80 and line == f"Data folder: {deep}; database: SQLite {deep / 'fairfinder.db'}", line
