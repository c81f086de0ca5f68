"""bench/generate.py at a tiny scale on the backend under test: counts, skew, --task-types, indexes,
id sequences, and aggregates after the rebuild. No timings are asserted (docs/benchmarks.md measures)."""
from __future__ import annotations

import io

import pytest
from rich.console import Console

from bench.generate import Sizes, generate, task_type_counts
from server.domain.identity import identity_title
from tests.database import Sql, bool_literal

SIZES = Sizes(requesters=100, task_types=300, reviews=1_000, timings=1_500, workers=60, seed=3)


def _indexes(sql: Sql) -> set[str]:
    if sql.dialect == "sqlite":
        return {row[0] for row in sql.rows("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return {row[0] for row in sql.rows("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")}


def test_task_types_are_shared_out_exactly_and_busy_requesters_get_most() -> None:
    counts = task_type_counts(1_000, 6_000)
    assert sum(counts) == 6_000 and min(counts) >= 1
    assert counts == sorted(counts, reverse=True)
    assert sum(counts[:100]) > sum(counts[100:]) / 2


def test_generate_fills_an_empty_migrated_database(database_url: str) -> None:
    sql = Sql(database_url)
    indexes_before = _indexes(sql)
    report = generate(database_url, SIZES, console=Console(file=io.StringIO()))

    assert {t: report.counts[t] for t in ("requesters", "task_types", "workers", "reviews", "timings")} == {
        "requesters": 100, "task_types": 300, "workers": 60, "reviews": 1_000, "timings": 1_500}
    assert sql.count("task_types") == 300 and sql.count("reviews") == 1_000 and sql.count("timings") == 1_500
    # A few requesters get most of the reviews, and busy requesters have many task types.
    per_requester = [n for (n,) in sql.rows("SELECT count(*) FROM reviews GROUP BY requester_id ORDER BY 1 DESC")]
    assert sum(per_requester[:10]) > 0.5 * sum(per_requester)
    types_of_busiest = sql.value("SELECT count(*) FROM task_types WHERE requester_id = 1")
    assert types_of_busiest > 10 * sql.value("SELECT count(*) FROM task_types WHERE requester_id = 100")
    # The load dropped and recreated the indexes; every one is back.
    assert _indexes(sql) == indexes_before
    # The rebuild gave aggregates to every requester with a review, and to reviewed task types.
    reviewed = {r for (r,) in sql.rows("SELECT DISTINCT requester_id FROM reviews WHERE status = 'visible'")}
    assert {r for (r,) in sql.rows("SELECT requester_id FROM requester_stats")} >= reviewed
    reviewed_types = {t for (t,) in sql.rows("SELECT DISTINCT task_type_id FROM reviews WHERE task_type_id IS NOT NULL")}
    assert {t for (t,) in sql.rows("SELECT task_type_id FROM task_type_stats")} >= reviewed_types
    assert report.rebuilt_requesters == 100 and report.database_bytes > 0
    # Each task type is keyed the way the server looks a page's task up (server/domain/identity.py), so a benchmark
    # page of known tasks is answered as known, not taken for 100 never-seen tasks (generator version 4).
    keys = sql.rows("SELECT title, title_key FROM task_types")
    assert keys and all(key == identity_title(title) for title, key in keys)
    assert any(key != title for title, key in keys)  # the generated titles are not all keys already
    # Ids were given explicitly; the next row the application inserts still gets a new one.
    new_id = sql.run("INSERT INTO workers (handle, role, is_demo, created_at) VALUES (?, 'worker', "  # noqa: S608
                     f"{bool_literal(False, sql.dialect)}, CURRENT_TIMESTAMP)", "after-bench")
    assert new_id == 61


def test_generate_refuses_a_database_that_holds_data(database_url: str) -> None:
    generate(database_url, Sizes(requesters=5, task_types=5, reviews=10, workers=50, seed=1),
             console=Console(file=io.StringIO()), rebuild_aggregates=False)
    with pytest.raises(SystemExit, match="holds data"):
        generate(database_url, SIZES, console=Console(file=io.StringIO()), rebuild_aggregates=False)
