"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries, `initdb` into a temporary
folder, listening on 127.0.0.1 only, stopped and deleted when the test session ends.

Used by tests/conftest.py when FAIRFINDER_TEST_DATABASE=postgresql (the second half of `make test`), by the
multi-process tests, and by `python -m tests.postgres` (a cluster to try things on by hand).

PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` system user that the Debian
package creates. Durability settings are off (fsync, full-page writes): the data is thrown away anyway,
and the tests about crashes run on SQLite.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "postgres"
TEST_SETTINGS = ("fsync=off", "full_page_writes=off", "synchronous_commit=off", "max_connections=400",
                 "shared_buffers=128MB", "log_min_messages=warning")


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed (Debian package `postgresql`)."""


def find_bin_dir() -> Path:
    """The newest installed server's bin folder (/usr/lib/postgresql/<major>/bin)."""
    if explicit := os.environ.get("FAIRFINDER_PG_BIN"):
        return Path(explicit)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if not candidates:
        on_path = shutil.which("initdb")
        if on_path:
            return Path(on_path).parent
        raise PostgresMissing("PostgreSQL is not installed: `apt-get install postgresql` (make test installs it)")
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    """A running throwaway cluster. `url(db)` gives the asyncpg URL the app takes as DATABASE_URL."""

    root: Path
    port: int
    bin_dir: Path
    run_as: str | None = None  # system user the server runs as (when we are root)
    _process_user: str | None = field(default=None, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres", driver: str = "asyncpg") -> str:
        return f"postgresql+{driver}://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """A libpq URL (psql, pg_dump, psycopg.connect)."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _command(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.run_as:
            user = pwd.getpwnam(self.run_as)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        subprocess.run(self._command(str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER,
                                     "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"),
                       check=True, capture_output=True, text=True)
        options = " ".join(f"-c {setting}" for setting in
                           ("listen_addresses=127.0.0.1", f"port={self.port}", f"unix_socket_directories={self.root}",
                            *TEST_SETTINGS))
        subprocess.run(self._command(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-l",
                                     str(self.root / "server.log"), "-o", options, "-w", "-t", "60", "start"),
                       check=True, capture_output=True, text=True)

    def stop(self) -> None:
        if self.data_dir.exists():
            subprocess.run(self._command(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate",
                                         "-w", "stop"), capture_output=True, text=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- databases -------------------------------------------------------------------------------
    def execute(self, *statements: str, database: str = "postgres") -> None:
        import psycopg  # noqa: PLC0415 - a dev dependency only the PostgreSQL runs load

        with psycopg.connect(self.dsn(database), autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create a database (a copy of `template` when given: much faster than migrating) and return its URL."""
        suffix = f" TEMPLATE {template}" if template else ""
        for attempt in range(50):
            try:
                self.execute(f'CREATE DATABASE "{name}"{suffix}')
                break
            except Exception as error:  # the template is briefly busy while a copy finishes
                if "being accessed by other users" not in str(error) or attempt == 49:
                    raise
                time.sleep(0.1)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_cluster(root: Path | None = None) -> Cluster:
    bin_dir = find_bin_dir()
    root = root or Path(tempfile.mkdtemp(prefix="fairfinder-pg-"))
    run_as = "postgres" if os.geteuid() == 0 else None
    if run_as:
        try:
            pwd.getpwnam(run_as)
        except KeyError as error:
            raise PostgresMissing("running as root needs the `postgres` system user (Debian's postgresql package)") from error
        os.chmod(root, 0o755)
    cluster = Cluster(root=root / "cluster", port=_free_port(), bin_dir=bin_dir, run_as=run_as)
    try:
        cluster.start()
    except subprocess.CalledProcessError as error:
        log = cluster.log()
        cluster.stop()
        raise RuntimeError(f"PostgreSQL did not start: {error.stderr}\n{log}") from error
    return cluster


if __name__ == "__main__":  # python -m tests.postgres: a cluster to try things on, until Ctrl-C
    cluster = start_cluster()
    print(f"DATABASE_URL={cluster.url()}\npsql {cluster.dsn()}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
