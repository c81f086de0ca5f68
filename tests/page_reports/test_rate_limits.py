"""Page reports have their own rate limit (FAIRFINDER_RATE_LIMIT_REPORTS), per client address and, when a token
is sent, per token too: a 429 with Retry-After and the RateLimit headers, and nothing stored. Anonymous senders
are limited by address alone."""
from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest
from litestar.testing import TestClient

from server.app import PATH_POLICY, create_app
from server.cluster.ratelimit import applicable
from server.security import Limits, token_key
from server.settings import Settings, SettingsError, load_settings
from tests.helpers import Db, check_response
from tests.page_reports.conftest import PATH, a_report, stored


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_reports_are_limited_per_address_and_per_token(settings: Settings) -> None:
    clock = Clock()
    limits = Limits(msgspec.structs.replace(settings, rate_limit_ip=(1000, 60.0), rate_limit_reports=(2, 3600.0),
                                            rate_limit_writes=(100, 60.0)), PATH_POLICY, clock=clock)
    # Anonymous, one address: two reports an hour.
    assert [limits.check("POST", PATH, "10.0.0.1", None)[1].allowed for _ in range(3)] == [True, True, False]
    name, refused = limits.check("POST", PATH, "10.0.0.1", None)
    assert name == "reports" and refused.limit == 2 and 1 <= refused.reset <= 3600
    assert limits.check("POST", PATH, "10.0.0.2", None)[1].allowed  # another address
    # One token from many addresses: two reports an hour, whichever address sends them.
    assert [limits.check("POST", PATH, f"10.1.0.{i}", "ff_token")[1].allowed for i in range(3)] == [True, True, False]
    assert limits.check("POST", PATH, "10.1.0.9", "ff_other")[1].allowed  # another token, a fresh address
    # Other routes do not count against it, and it does not count against them.
    assert limits.check("GET", PATH, "10.0.0.1", None)[1].allowed
    assert limits.check("POST", "/api/v1/annotate", "10.0.0.1", None)[1].allowed
    clock.now += 3600  # the window is over
    assert limits.check("POST", PATH, "10.0.0.1", None)[1].allowed


def test_the_shared_counters_count_the_same_buckets() -> None:
    """FAIRFINDER_RATE_LIMIT_STORE=database (server/cluster/ratelimit.py) counts a report under the same limits."""
    assert applicable("POST", PATH, "10.0.0.1", None, PATH_POLICY) == [("ip", "ip:10.0.0.1"),
                                                                      ("reports", "reports:10.0.0.1")]
    assert applicable("POST", PATH, "10.0.0.1", "ff_token", PATH_POLICY) == [
        ("ip", "ip:10.0.0.1"), ("reports", "reports:10.0.0.1"), ("reports", f"reports-token:{token_key('ff_token')}"),
        ("writes", f"writes:{token_key('ff_token')}")]
    assert all(len(bucket) <= 100 for _, bucket in applicable("POST", PATH, "f" * 45, "t", PATH_POLICY))
    assert applicable("POST", "/api/v1/annotate", "10.0.0.1", None, PATH_POLICY) == [("ip", "ip:10.0.0.1")]


@pytest.fixture
def limited(settings: Settings) -> Iterator[TestClient]:
    app = create_app(msgspec.structs.replace(settings, rate_limits_enabled=True, rate_limit_reports=(2, 3600.0)))
    with TestClient(app=app, raise_server_exceptions=False) as client:
        client.event_hooks["response"].append(check_response)
        yield client


def test_past_the_limit_a_report_is_a_429_with_retry_after_and_is_not_stored(limited: TestClient, settings: Settings):
    db = Db(settings.database_url)
    try:
        for _ in range(2):
            response = limited.post(PATH, json=a_report())
            assert response.status_code == 201, response.text
        assert response.headers["ratelimit-policy"] == "2;w=3600"
        before = db.dump()
        refused = limited.post(PATH, json=a_report())
        assert refused.status_code == 429, refused.text
        assert refused.json()["code"] == "rate_limited"
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 3600
        assert refused.json()["message"] == f"Too many requests; try again in {retry_after} seconds."
        assert refused.headers["ratelimit-remaining"] == "0" and refused.headers["ratelimit-limit"] == "2"
        # A token does not lift the address's limit.
        assert limited.post(PATH, json=a_report(), headers={"Authorization": "Bearer ff_any"}).status_code == 429
        assert db.dump() == before and len(stored(db)) == 2
        # The rest of the API is not held up by it.
        assert limited.post("/api/v1/annotate", json={"platform": "mturk", "tasks": []}).status_code == 200
    finally:
        db.close()


def test_the_settings_are_declared_once_with_their_defaults(tmp_path) -> None:
    loaded = load_settings({"FAIRFINDER_DATA_DIR": str(tmp_path), "FAIRFINDER_SECRET": "s"})
    assert loaded.rate_limit_reports == (10, 3600.0) and loaded.page_reports_retention_days == 90
    changed = load_settings({"FAIRFINDER_DATA_DIR": str(tmp_path), "FAIRFINDER_SECRET": "s",
                             "FAIRFINDER_RATE_LIMIT_REPORTS": "3/day", "FAIRFINDER_PAGE_REPORTS_RETENTION_DAYS": "30"})
    assert changed.rate_limit_reports == (3, 86400.0) and changed.page_reports_retention_days == 30
    for name, value in (("FAIRFINDER_RATE_LIMIT_REPORTS", "lots"), ("FAIRFINDER_PAGE_REPORTS_RETENTION_DAYS", "0"),
                        ("FAIRFINDER_PAGE_REPORTS_RETENTION_DAYS", "forever")):
        with pytest.raises(SettingsError, match=name):
            load_settings({"FAIRFINDER_DATA_DIR": str(tmp_path), "FAIRFINDER_SECRET": "s", name: value})
