"""Crash safety: a real server is killed with SIGKILL at random moments while clients write; every write
it acknowledged is on disk afterwards, with its content, and the aggregates equal a full recompute."""
from __future__ import annotations

import random
import signal
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer
from tests.durability._support import (Ledger, aggregate_differences, integrity, ledger_problems, recomputed_snapshot,
                                       run_writers, seed_from_env, stats_snapshot, stop_writers, wait_for)

KILLS = 4
WRITERS = 4


@pytest.mark.database  # on PostgreSQL the server process dies, the database server does not
def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    seed = seed_from_env()
    print(f"seed {seed} (FAIRFINDER_TEST_SEED={seed} replays the same choices of writes and kill points)")
    rng = random.Random(seed)
    server = LiveServer(tmp_path / "var", env={"FAIRFINDER_RATE_LIMITS": "off"})
    server.data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    server.start()
    ledger = Ledger()
    writers, stop = run_writers(server.url, ledger, WRITERS, seed)
    try:
        for _ in range(KILLS):
            # A random moment in the write stream: after a random number of further acknowledged writes.
            target = ledger.acked + rng.randint(40, 250)
            wait_for(lambda target=target: ledger.acked >= target, f"{target} acknowledged writes")
            assert server.process is not None
            server.process.send_signal(signal.SIGKILL)
            assert server.process.wait(timeout=10) == -signal.SIGKILL
            server.start()
        target = ledger.acked + 50  # the restarted server takes writes again
        wait_for(lambda: ledger.acked >= target, "writes after the last restart")
    finally:
        stop_writers(writers, stop)

    # The API serves what was acknowledged: every worker whose registration was acknowledged can sign in.
    registered = [(handle, writer_headers) for writer in writers for handle, writer_headers in writer.workers]
    for handle, headers in registered:
        me = httpx.get(f"{server.url}/api/v1/me", headers=headers, timeout=10)
        assert me.status_code == 200 and me.json()["handle"] == handle, me.text
    server.stop()

    db = server.database_url
    assert ledger.unexpected == []
    if server.sql().dialect == "sqlite":
        assert integrity(server.data_dir / "fairfinder.db") == "ok"
    problems = ledger_problems(ledger, db)
    assert problems == [], f"seed {seed}: " + "\n".join(problems[:20])
    differences = aggregate_differences(stats_snapshot(db), recomputed_snapshot(db, tmp_path))
    assert differences == [], f"seed {seed}: " + "\n".join(differences[:10])
    kinds = {kind for kind, _ in ledger.histories}
    assert kinds == {"worker", "review", "timing", "filters"}
    print(f"{ledger.acked} writes acknowledged, {ledger.unanswered} cut off by {KILLS} kills, all accounted for")
