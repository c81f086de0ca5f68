"""`fairfinder export`: the dump of a real database, written by the command (a separate process)."""
from __future__ import annotations

import pytest
import gzip
import os
import pty
import subprocess
import sys
from pathlib import Path

import httpx

from scrapers.fairfinder_dump import read_dump
from scrapers.ratings import RequesterRecord, ReviewRecord, TaskTypeRecord
from tests import database
from tests.conftest import ROOT, LiveServer, backdate_account

pytestmark = pytest.mark.database  # starts its own server: runs on SQLite and on PostgreSQL


def run(server: LiveServer, *args: str, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    """The command with bytes on stdout (LiveServer.cli decodes text)."""
    return subprocess.run([sys.executable, "-m", "server.cli", *args], env=server.env, cwd=ROOT, stdout=stdout,
                          stderr=subprocess.PIPE, timeout=120, check=False)


def test_export_writes_the_dump_to_a_file_and_to_stdout(live_server: LiveServer, tmp_path: Path) -> None:
    seeded = live_server.cli("demo")
    assert seeded.returncode == 0, seeded.stderr
    with httpx.Client(base_url=live_server.url) as client:
        registered = client.post("/api/v1/workers", json={"handle": "clihandle"}).json()
        token = registered["token"]
        backdate_account(live_server.database_url, registered["worker"]["id"])  # established: its review counts
        review = {"platform": "mturk", "requester_id": "ACLI1", "requester_name": "CLI Lab",
                  "task": {"title": "Sort receipts", "reward_cents": 80}, "ratings": {"pay": 3}, "worked_seconds": 400,
                  "outcome": "approved", "comment": "Exported by the command."}
        created = client.post("/api/v1/reviews", headers={"Authorization": f"Bearer {token}"}, json=review)
        assert created.status_code == 201, created.text
        served = gzip.decompress(client.get("/api/v1/export/ratings").content).splitlines()

    target = tmp_path / "out" / "ratings.jsonl.gz"
    target.parent.mkdir()
    result = live_server.cli("export", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert "Wrote 3 records" in result.stderr
    assert os.listdir(target.parent) == ["ratings.jsonl.gz"]  # written beside, then renamed: no temp file left
    with target.open("rb") as stream:
        info, records = read_dump(stream)
        records = list(records)
    assert info.full is True and info.licence == "ODbL-1.0"
    assert [type(r) for r in records] == [RequesterRecord, TaskTypeRecord, ReviewRecord]  # no demo data
    assert records[2].comment == "Exported by the command."
    written = gzip.decompress(target.read_bytes()).splitlines()
    assert written[1:] == served[1:]  # the same records as the route; only the meta line's times differ
    assert b"clihandle" not in gzip.decompress(target.read_bytes())

    piped = run(live_server, "export", "--since", info.cursor or "")
    assert piped.returncode == 0, piped.stderr
    lines = gzip.decompress(piped.stdout).splitlines()
    assert b'"full":false' in lines[0]
    assert lines[1:] == written[1:]  # written within the overlap of next_since: sent again, harmlessly


def test_export_refuses_a_terminal_and_a_bad_cursor(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "var")
    server.data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    main, replica = pty.openpty()
    try:
        to_terminal = run(server, "export", stdout=replica)
    finally:
        os.close(main)
        os.close(replica)
    assert to_terminal.returncode == 2
    assert b"Refusing to write gzip-compressed data to a terminal" in to_terminal.stderr

    bad = run(server, "export", "--since", "last week", "-o", str(tmp_path / "x.jsonl.gz"))
    assert bad.returncode == 2 and b"--since" in bad.stderr
    assert not (tmp_path / "x.jsonl.gz").exists()


def test_export_checks_migrations(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "var")
    server.data_dir.mkdir()
    result = run(server, "export", "-o", str(tmp_path / "x.jsonl.gz"))
    words = b" ".join(result.stderr.split())
    if database.backend_name() == "postgresql":  # the test database is there, empty: not migrated
        assert result.returncode == 2 and b"Run `fairfinder migrate` first" in words
    else:  # no database in the data folder: "not found", with how to make one (nothing is made)
        assert result.returncode == 3 and b"fairfinder --create migrate" in words
    assert not (server.data_dir / "fairfinder.db").exists()
    assert not (tmp_path / "x.jsonl.gz").exists()
