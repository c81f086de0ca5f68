"""`fairfinder backup` while a real server takes writes: the copy is one consistent moment that holds every
write acknowledged before the backup started, and it restores into a working server."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from server.db.migrate import head_revision
from tests.conftest import ROOT, LiveServer
from tests.durability._support import (Ledger, aggregate_differences, integrity, ledger_problems, recomputed_snapshot,
                                       run_writers, seed_from_env, stats_snapshot, stop_writers, wait_for)

ENV = {"FAIRFINDER_RATE_LIMITS": "off"}


def test_backup_during_writes_restores_everything_acknowledged_before_it(tmp_path: Path) -> None:
    seed = seed_from_env()
    print(f"seed {seed}")
    server = LiveServer(tmp_path / "var", env=ENV)
    server.data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    server.start()
    ledger = Ledger()
    writers, stop = run_writers(server.url, ledger, 3, seed)
    dest = tmp_path / "backups" / "under-load.db"
    try:
        wait_for(lambda: ledger.acked >= 150, "writes before the backup")
        started = time.monotonic()
        backup = subprocess.Popen([sys.executable, "-m", "server.cli", "backup", str(dest)], env=server.env, cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = backup.communicate(timeout=120)
        finished = time.monotonic()
        during = ledger.acked_between(started, finished)
        target = ledger.acked + 30
        wait_for(lambda: ledger.acked >= target, "writes after the backup")
    finally:
        stop_writers(writers, stop)
        server.stop()
    assert backup.returncode == 0, err
    assert out.strip() == str(dest)
    assert f"schema revision {head_revision()}" in err and "integrity check ok" in err
    assert during > 0, "the server took no writes while the backup ran"
    assert ledger.unexpected == []

    # The backup itself: sound, consistent (aggregates are those of its own reviews and timings), and
    # holding every write acknowledged before it started, and none sent after it ended.
    assert integrity(dest) == "ok"
    problems = ledger_problems(ledger, dest, cutoff=started, until=finished)
    assert problems == [], f"seed {seed}: " + "\n".join(problems[:20])
    assert aggregate_differences(stats_snapshot(dest), recomputed_snapshot(dest, tmp_path)) == []

    # Restored into a fresh data folder, a server runs on it and serves those writes.
    fresh = LiveServer(tmp_path / "restored", env=ENV)
    fresh.data_dir.mkdir()
    restored = fresh.cli("restore", str(dest), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert f"now at schema {head_revision()}" in restored.stderr
    restored_db = fresh.data_dir / "fairfinder.db"
    assert integrity(restored_db) == "ok"
    assert ledger_problems(ledger, restored_db, cutoff=started, until=finished) == []
    fresh.start()
    try:
        checked = 0
        for writer in writers:
            for title, (owner, review_id) in writer.reviews.items():
                history = ledger.histories[("review", title)]
                if history[-1].acked is not None and history[-1].acked < started:  # last touched before the backup
                    # as its author: a burst of low ratings from new accounts may be held from the public
                    response = httpx.get(f"{fresh.url}/api/v1/reviews/{review_id}", headers=writer.workers[owner][1],
                                         timeout=10)
                    assert response.status_code == 200, response.text
                    body = response.json()
                    assert (body["ratings"]["pay"], body["worked_seconds"], body["outcome"], body["comment"]) == history[-1].state
                    checked += 1
            for handle, headers in writer.workers:
                if ledger.histories[("worker", handle)][-1].acked < started:
                    assert httpx.get(f"{fresh.url}/api/v1/me", headers=headers, timeout=10).status_code == 200
        assert checked > 0
    finally:
        fresh.stop()
