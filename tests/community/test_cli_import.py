"""`fairfinder import` as a person runs it: a file in, a progress bar and a summary out; bad input → exit 1."""
from __future__ import annotations

import pytest
from pathlib import Path

from tests.community.test_import import dump_of, peer, seed_peer, truncated  # noqa: F401 - peer is a fixture
from tests.conftest import LiveServer

pytestmark = pytest.mark.database  # starts its own server: runs on SQLite and on PostgreSQL


def test_import_a_dump_file_then_refuse_a_broken_one(peer, tmp_path: Path):  # noqa: F811
    seed_peer(peer)
    dump = dump_of(peer, tmp_path)
    here = LiveServer(tmp_path / "here")
    here.data_dir.mkdir()
    assert here.cli("migrate").returncode == 0

    done = here.cli("import", str(dump), "--name", "peer-a")
    assert done.returncode == 0, done.stderr
    assert "Imported 1 requesters, 1 task_types, 3 reviews" in done.stderr
    assert "Importing" in done.stderr  # the progress bar's label

    broken = here.cli("import", str(truncated(dump)), "--name", "peer-a")
    assert broken.returncode == 2 and "Nothing imported" in broken.stderr and "truncated" in broken.stderr  # invalid
    unknown = here.cli("import", "no-such-source")
    assert unknown.returncode == 3 and "neither a configured source" in unknown.stderr  # not found


def test_a_bad_sources_file_is_a_clear_message(tmp_path: Path):
    here = LiveServer(tmp_path / "here", env={"FAIRFINDER_SOURCES_FILE": str(tmp_path / "sources.toml")})
    here.data_dir.mkdir()
    (tmp_path / "sources.toml").write_text('[[sources]]\nname = "a"\nkind = "gopher"\nurl = "http://x"\n')
    result = here.cli("migrate")
    assert result.returncode == 2 and "Settings:" in result.stderr and "kind" in result.stderr
    assert "Traceback" not in result.stderr
