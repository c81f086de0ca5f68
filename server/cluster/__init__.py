"""Several server processes behaving as one service (docs/deploying.md).

* `leader.py` — exactly one process runs the scheduler: a PostgreSQL advisory lock held on a dedicated
  connection, or an OS file lock beside a SQLite database; the others retry and take over when it dies.
  Each job run also holds a per-job lock, so a run never overlaps one left behind by a former leader.
* `ratelimit.py` — rate-limit counters in a database table that every process updates (PostgreSQL).
* `changes.py` — a commit that changes requesters tells the other processes (PostgreSQL NOTIFY), which drop
  those requesters from their annotate caches; the cache TTL stays the bound if a notice is missed.
* `runtime.py` — starts and stops all of this with the app (server/app.py lifespan).
"""
