"""Reads on every write must use an index that fits them. SQLite plans without statistics (nothing runs ANALYZE),
so one new index can turn a cheap read into a walk of a busy requester's whole index: migration 0012's
ix_reviews_requester_time did that to the burst check's per-account count (1.5 s a review for a requester with
120,000 reviews; bench/ingest.py fell to 2 reviews/s). Checked on SQLite: PostgreSQL plans by its statistics."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.sql import Select

from server.db.migrate import sync_url, upgrade
from server.reviews.queries import own_reviews_since, requester_reviews_since

SINCE = datetime(2026, 12, 30, tzinfo=timezone.utc)


def plan(url: str, statement: Select) -> str:
    engine = create_engine(sync_url(url))
    try:
        sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
        with engine.connect() as connection:
            return " | ".join(row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    finally:
        engine.dispose()


@pytest.mark.sqlite_only
def test_the_burst_checks_reads_use_their_own_indexes(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'plans.db'}"
    upgrade(url)
    own = plan(url, own_reviews_since(7, 1, SINCE))
    assert "ix_reviews_worker_requester_time (worker_id=? AND requester_id=? AND updated_at>?)" in own, own
    recent = plan(url, requester_reviews_since(1, SINCE))
    assert "ix_reviews_requester_updated (requester_id=? AND updated_at>?)" in recent, recent
