"""Several real server processes on one database.

The PostgreSQL tests run in both halves of `make test`: on the PostgreSQL run they use its cluster, on the
SQLite run they start a private one (tests/postgres.py). Without PostgreSQL's binaries they are skipped
locally and fail in CI.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import database
from tests.conftest import ROOT, TEST_SECRET, LiveServer

HOST = socket.gethostname()[:80]


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Any]:
    """The PostgreSQL run's cluster, or a private one."""
    backend = database.current()
    if isinstance(backend, database.PostgresBackend):
        yield backend.cluster
        return
    from tests.postgres import PostgresMissing, start_cluster  # noqa: PLC0415

    try:
        cluster = start_cluster()
    except PostgresMissing as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the multi-process tests on PostgreSQL: {error}")
        pytest.skip(str(error))
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty database (the servers' `fairfinder migrate` builds it)."""
    name = f"cluster_{os.getpid()}_{request.node.name[:30].lower()}_{time.monotonic_ns() % 10**6}"
    url = postgres_cluster.create_database(name)
    yield url
    postgres_cluster.drop_database(name)


def runner_of(pid: int) -> str:
    """job_runs.runner of a process of this machine."""
    return f"{HOST}:{pid}"


class Servers:
    """`fairfinder serve` processes sharing one database, each with its own data folder and port."""

    def __init__(self, root: Path, database_url: str, env: dict[str, str]) -> None:
        self.root, self.database_url = root, database_url
        self.env = {"DATABASE_URL": database_url, "FAIRFINDER_SECRET": TEST_SECRET, **env}
        self.started: list[LiveServer] = []

    def new(self, name: str) -> LiveServer:
        server = LiveServer(self.root / name, env=self.env)
        server.data_dir.mkdir(parents=True)
        return server

    def start(self, name: str) -> LiveServer:
        server = self.new(name)
        if not self.started:
            migrated = server.cli("migrate")
            assert migrated.returncode == 0, migrated.stderr
        server.start()
        self.started.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()


class WorkersServer(LiveServer):
    """`fairfinder serve --workers N`: one address, N uvicorn worker processes."""

    def __init__(self, data_dir: Path, workers: int, env: dict[str, str] | None = None) -> None:
        super().__init__(data_dir, env)
        self.workers = workers

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--workers", str(self.workers)],
                                        env=self.env, cwd=ROOT, stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        wait_for("the workers to answer", lambda: self._answers() and len(self.worker_pids()) == self.workers,
                 timeout=60, on_fail=lambda: self.log.read_text())

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"server exited: {self.log.read_text()}")
        try:
            return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def worker_pids(self) -> set[int]:
        """The uvicorn workers: this process's children that run Python."""
        assert self.process is not None
        return children(self.process.pid)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"spawn_main" in cmdline:  # not the resource tracker
            found.add(int(entry.name))
    return found


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1,
             on_fail: Callable[[], str] | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}" + (f"\n{on_fail()}" if on_fail else ""))


def make_admin(server: LiveServer) -> dict[str, str]:
    response = httpx.post(f"{server.url}/api/v1/workers", json={}, timeout=10)
    assert response.status_code == 201, response.text
    handle = response.json()["worker"]["handle"]
    promoted = server.cli("set-role", handle, "admin")
    assert promoted.returncode == 0, promoted.stderr
    return {"Authorization": f"Bearer {response.json()['token']}"}


def jobs(server: LiveServer, admin: dict[str, str], **params: Any) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/api/v1/admin/jobs", headers=admin, params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()
