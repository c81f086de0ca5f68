"""Upgrading a database written by the previous release (0.1.0, schema 0002) keeps every row, and the
upgraded database serves the old data, backs up, and goes down to 0002 and up again without loss.

The fixture is made by tests/fixtures/releases/make_fixture.py from the release's own code."""
from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from alembic import command

from server.db.backup import check_database
from server.db.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.conftest import LiveServer
from tests.durability._support import aggregate_differences, copy_database, integrity, recomputed_snapshot, stats_snapshot

RELEASES = Path(__file__).resolve().parents[1] / "fixtures" / "releases"
FIXTURE = RELEASES / "fairfinder-0.1.0.db"
TOKENS = json.loads((RELEASES / "fairfinder-0.1.0.tokens.json").read_text())


def counts(db_path: Path, tables: list[str]) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        return {table: db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}  # noqa: S608


def old_tables() -> list[str]:
    with contextlib.closing(sqlite3.connect(f"file:{FIXTURE}?mode=ro", uri=True)) as db:
        return [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "AND name NOT IN ('alembic_version', 'sqlite_sequence') ORDER BY name")]


def review_rows(db_path: Path) -> list[tuple]:
    """The reviews as 0.1.0 stored them (its columns only)."""
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        return db.execute("SELECT id, worker_id, requester_id, task_type_id, rating_pay, rating_fairness, rating_speed, "
                          "rating_communication, worked_seconds, outcome, bonus_cents, flags, comment, created_at, "
                          "updated_at FROM reviews ORDER BY id").fetchall()


@pytest.fixture
def upgraded(tmp_path: Path) -> Path:
    data = tmp_path / "var"
    data.mkdir()
    db_path = copy_database(FIXTURE, data / "fairfinder.db")
    assert current_revision(f"sqlite+aiosqlite:///{db_path}") == "0002"
    upgrade(f"sqlite+aiosqlite:///{db_path}")
    return db_path


def test_fixture_is_what_the_release_wrote() -> None:
    assert check_database(FIXTURE) == "0002"
    assert FIXTURE.stat().st_size < 1024 * 1024
    table_counts = counts(FIXTURE, old_tables())
    # realistic: demo data, API data (edits, deletions, filters, tokens), an imported community CSV
    for table in ("workers", "reviews", "review_revisions", "timings", "saved_filters", "tombstones", "imported_reviews",
                  "task_type_stats", "requester_stats", "worker_platform_ids", "tokens"):
        assert table_counts[table] > 0, table


def test_upgrade_keeps_every_row_and_every_review_visible(upgraded: Path, tmp_path: Path) -> None:
    assert current_revision(f"sqlite+aiosqlite:///{upgraded}") == head_revision()
    assert counts(upgraded, old_tables()) == counts(FIXTURE, old_tables())
    assert review_rows(upgraded) == review_rows(FIXTURE)
    with contextlib.closing(sqlite3.connect(upgraded)) as db:
        assert {row[0] for row in db.execute("SELECT DISTINCT status FROM reviews")} == {"visible"}
        assert db.execute("SELECT count(*) FROM workers WHERE role = 'worker' AND deleted_at IS NULL "
                          "AND muted_until IS NULL").fetchone()[0] == counts(FIXTURE, ["workers"])["workers"]
    assert integrity(upgraded) == "ok"
    differences = aggregate_differences(stats_snapshot(upgraded), recomputed_snapshot(upgraded, tmp_path))
    assert differences == [], "\n".join(differences[:10])


def test_the_upgraded_database_serves_the_old_data(upgraded: Path, tmp_path: Path) -> None:
    server = LiveServer(upgraded.parent, env={"FAIRFINDER_RATE_LIMITS": "off", "FAIRFINDER_SCHEDULER": "off"})
    with contextlib.closing(sqlite3.connect(upgraded)) as db:
        stored = dict(db.execute("SELECT r.external_id, s.reviews FROM requester_stats s JOIN requesters r "
                                 "ON r.id = s.requester_id WHERE r.external_id = 'A1FIXTURE0001'").fetchall())
        review_ids = [row[0] for row in db.execute(
            "SELECT v.id FROM reviews v JOIN requesters r ON r.id = v.requester_id WHERE r.external_id = 'A1FIXTURE0001' "
            "ORDER BY v.id DESC")]
    server.start()
    try:
        summary = httpx.get(f"{server.url}/api/v1/requesters/mturk/A1FIXTURE0001", timeout=10)
        assert summary.status_code == 200, summary.text
        assert summary.json()["name"] == "Fixture Research Lab"
        assert summary.json()["reviews"] == stored["A1FIXTURE0001"] > 0

        listed = httpx.get(f"{server.url}/api/v1/reviews", params={"platform": "mturk", "requester": "A1FIXTURE0001",
                                                                    "limit": 100}, timeout=10)
        assert listed.status_code == 200, listed.text
        assert [item["id"] for item in listed.json()["items"]] == review_ids
        assert all(item["status"] == "visible" for item in listed.json()["items"])

        page = httpx.post(f"{server.url}/api/v1/annotate", timeout=10, json={"platform": "mturk", "tasks": [
            {"platform": "mturk", "requester_id": "A1FIXTURE0001", "title": "Tag 20 images", "reward_cents": 120}]})
        assert page.status_code == 200, page.text
        task = page.json()["tasks"][0]
        assert task["requester"]["reviews"] == stored["A1FIXTURE0001"]
        assert task["hourly"]["basis"] in {"task", "requester"} and task["hourly"]["cents_per_hour"] is not None

        # accounts made by 0.1.0 sign in with their old tokens and find their saved filters and timings
        headers = {"Authorization": f"Bearer {TOKENS['fixture-worker-0']}"}
        me = httpx.get(f"{server.url}/api/v1/me", headers=headers, timeout=10)
        assert me.status_code == 200 and me.json()["handle"] == "fixture-worker-0"
        filters = httpx.get(f"{server.url}/api/v1/me/filters", headers=headers, timeout=10).json()
        assert filters["target_cents_per_hour"] == 1200 and filters["block"][0]["pattern"] == "A2FIXTURE0002"
        assert httpx.get(f"{server.url}/api/v1/me/timings", headers=headers, timeout=10).json()["items"]
    finally:
        server.stop()

    made = server.cli("backup", str(tmp_path / "after-upgrade.db"))
    assert made.returncode == 0, made.stderr
    assert check_database(tmp_path / "after-upgrade.db") == head_revision()


def test_downgrade_to_the_release_and_up_again_keeps_the_data(upgraded: Path) -> None:
    url = f"sqlite+aiosqlite:///{upgraded}"
    command.downgrade(alembic_config(url), "0002")
    assert current_revision(url) == "0002"
    assert counts(upgraded, old_tables()) == counts(FIXTURE, old_tables())
    assert review_rows(upgraded) == review_rows(FIXTURE)
    upgrade(url)
    assert current_revision(url) == head_revision()
    assert counts(upgraded, old_tables()) == counts(FIXTURE, old_tables())
    assert review_rows(upgraded) == review_rows(FIXTURE)
    assert integrity(upgraded) == "ok"


def test_fairfinder_migrate_recomputes_what_the_new_rules_count_differently(tmp_path: Path) -> None:
    """0.2.0 weighs new accounts' ratings less: upgrading a database whose reviewers are new must not keep
    0.1.0's unweighted aggregates. `fairfinder migrate` recomputes after a real upgrade."""
    data = tmp_path / "var"
    data.mkdir()
    db_path = copy_database(FIXTURE, data / "fairfinder.db")
    with contextlib.closing(sqlite3.connect(db_path)) as db, db:
        # The test run's clock, not SQLite's 'now' (the real one): the server decides who is new by the former.
        yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
        db.execute("UPDATE workers SET created_at = ?", (yesterday,))
    stale = copy_database(db_path, tmp_path / "stale.db")
    # The schema alone, up to 0008: the 0.1.0 aggregates stay (0009 merges look-alike task types and recomputes,
    # and the rules of today need its tables, so the comparison waits for the migrated copy below).
    upgrade(f"sqlite+aiosqlite:///{stale}", "0008")
    old_figures = stats_snapshot(stale)

    result = LiveServer(data, env={"FAIRFINDER_SCHEDULER": "off"}).cli("migrate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Rebuilt aggregates" in result.stdout + result.stderr
    assert current_revision(f"sqlite+aiosqlite:///{db_path}") == head_revision()
    recomputed = recomputed_snapshot(db_path, tmp_path)
    differences = aggregate_differences(stats_snapshot(db_path), recomputed)
    assert differences == [], "\n".join(differences[:10])
    # ...and what the new rules compute is not what 0.1.0 stored (compared on the columns 0.1.0's tables have).
    same_columns = {table: {key: {c: row.get(c) for c in old_figures[table].get(key, row)} for key, row in rows.items()}
                    for table, rows in recomputed.items()}
    assert aggregate_differences(old_figures, same_columns) != []
    again = LiveServer(data, env={"FAIRFINDER_SCHEDULER": "off"}).cli("migrate")
    output = again.stdout + again.stderr
    assert "nothing to do" in output and "Rebuilt" not in output
