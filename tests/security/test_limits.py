"""Request size limits (URL, headers, body, JSON depth, item counts), the rate limiter's arithmetic and the settings."""
from __future__ import annotations

import msgspec
import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.app import PATH_POLICY
from server.security import Limits, RateLimiter
from server.settings import Settings, SettingsError, load_settings, parse_rate
from tests.conftest import register


def test_a_long_address_is_414_in_the_error_shape(client: TestClient) -> None:
    limit = client.app.state.settings.max_url_bytes
    response = client.get("/api/v1/requesters?platform=mturk&ids=" + "A" * limit)
    assert response.status_code == 414
    assert response.json() == {"status": 414, "code": "uri_too_long",
                               "message": f"The address is longer than this server accepts ({limit} bytes)."}
    # a full batch of 100 long requester ids still fits
    ids = ",".join(f"A{i:03d}" + "X" * 120 for i in range(100))
    assert client.get(f"/api/v1/requesters?platform=mturk&ids={ids}").status_code == 200


def test_large_headers_are_431(client: TestClient) -> None:
    response = client.get("/health", headers={"X-Padding": "a" * client.app.state.settings.max_header_bytes})
    assert response.status_code == 431
    assert response.json()["code"] == "headers_too_large"
    assert client.get("/health", headers={"X-Padding": "a" * 4000}).status_code == 200


def test_a_large_body_is_413(client: TestClient) -> None:
    body = b'{"platform": "mturk", "tasks": []' + b" " * client.app.state.settings.max_body_bytes + b"}"
    response = client.post("/api/v1/annotate", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize("path", ["/api/v1/annotate", "/api/v1/workers", "/api/v1/reviews"])
def test_deeply_nested_json_is_400_not_500(client: TestClient, path: str, depth: int) -> None:
    auth = register(client) if path == "/api/v1/reviews" else {}
    for body in (b'{"platform": "mturk", "raw": ' + b"[" * depth + b"]" * depth + b"}",
                 b'{"platform": "mturk", "raw": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"):
        response = client.post(path, content=body, headers={**auth, "Content-Type": "application/json"})
        assert response.status_code == 400, (path, depth, response.text)
        assert response.json()["code"] == "invalid_json"


def test_item_counts_are_bounded(client: TestClient) -> None:
    auth = register(client)
    task = {"requester_id": "A1", "requester_name": "Lab", "title": "Tag", "reward_cents": 10}
    many_tasks = client.post("/api/v1/annotate", json={"platform": "mturk", "tasks": [task] * 101})
    assert many_tasks.status_code == 422 and many_tasks.json()["field"] == "tasks"
    many_ids = client.get("/api/v1/requesters?platform=mturk&ids=" + ",".join(f"A{i}" for i in range(101)))
    assert many_ids.status_code == 400 and many_ids.json()["code"] == "too_many_ids"
    many_platform_ids = client.post("/api/v1/workers", json={
        "platform_ids": [{"platform": "mturk", "worker_id": f"A{i}"} for i in range(11)]})
    assert many_platform_ids.status_code == 422
    many_rules = client.put("/api/v1/me/filters", headers=auth,
                            json={"block": [{"pattern": f"r{i}"} for i in range(501)]})
    assert many_rules.status_code == 422, many_rules.text


# --- the limiter itself, on a clock the test moves --------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_fixed_window_counts_and_tells_when_to_come_back() -> None:
    clock = Clock()
    limiter = RateLimiter(3, 60.0, clock=clock)
    decisions = [limiter.hit("a") for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, True]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    clock.now += 20.2
    refused = limiter.hit("a")
    assert not refused.allowed and refused.remaining == 0
    assert refused.reset == 40  # ceil(60 - 20.2)
    assert limiter.hit("b").allowed  # another key has its own window
    clock.now += 40  # the window is over
    again = limiter.hit("a")
    assert again.allowed and again.remaining == 2 and again.reset == 60


def test_the_table_of_windows_stays_bounded() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 10.0, clock=clock)
    limiter.MAX_KEYS = 100
    for i in range(100):
        limiter.hit(f"k{i}")
    clock.now += 11  # all of those windows are over: the next new key sweeps them
    limiter.hit("fresh")
    assert len(limiter._windows) == 1
    for i in range(150):  # a flood of live keys resets the table instead of growing past the bound
        limiter.hit(f"live{i}")
    assert len(limiter._windows) <= 100


def test_limits_apply_per_address_then_registration_then_writes_per_token(settings: Settings) -> None:
    clock = Clock()
    limits = Limits(msgspec.structs.replace(settings, rate_limit_ip=(100, 60.0), rate_limit_register=(2, 3600.0),
                                            rate_limit_writes=(3, 60.0)), PATH_POLICY, clock=clock)
    assert [limits.check("POST", "/api/v1/workers", "10.0.0.1", None)[1].allowed for _ in range(3)] == [True, True, False]
    assert limits.check("POST", "/api/v1/workers", "10.0.0.1", None)[0] == "register"
    assert limits.check("POST", "/api/v1/workers", "10.0.0.2", None)[1].allowed  # another address
    writes = [limits.check("PUT", "/api/v1/me/filters", "10.0.0.3", "token-a") for _ in range(4)]
    assert [d.allowed for _, d in writes] == [True, True, True, False] and writes[-1][0] == "writes"
    assert limits.check("PUT", "/api/v1/me/filters", "10.0.0.3", "token-b")[1].allowed  # same address, other token
    assert limits.check("GET", "/api/v1/me", "10.0.0.3", "token-a")[1].allowed  # reads are not writes
    assert limits.check("POST", "/api/v1/annotate", "10.0.0.3", "token-a")[1].allowed  # annotate only reads
    name, decision = limits.check("GET", "/api/v1/me", "10.0.0.3", "token-a")
    assert (name, decision.limit) == ("ip", 100)


# --- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [("300/minute", (300, 60.0)), ("20/hour", (20, 3600.0)),
                                                ("5/10s", (5, 10.0)), ("1/day", (1, 86400.0)), ("7 / 2 minutes", (7, 120.0))])
def test_parse_rate(text: str, expected: tuple[int, float]) -> None:
    assert parse_rate("X", text) == expected


@pytest.mark.parametrize("text", ["", "300", "0/minute", "abc/minute", "5/fortnight", "5/0s", "-1/minute"])
def test_parse_rate_refuses_nonsense(text: str) -> None:
    with pytest.raises(SettingsError, match="X:"):
        parse_rate("X", text)


def test_load_settings_turns_limits_on_unless_switched_off(tmp_path) -> None:
    base = {"FAIRFINDER_DATA_DIR": str(tmp_path), "FAIRFINDER_SECRET": "s"}
    on = load_settings(base)
    assert on.rate_limits_enabled and on.rate_limit_ip == (300, 60.0) and on.rate_limit_writes == (60, 60.0)
    assert on.rate_limit_register == (20, 3600.0)
    assert not load_settings({**base, "FAIRFINDER_RATE_LIMITS": "off"}).rate_limits_enabled
    assert not Settings(database_url="sqlite+aiosqlite://", data_dir=tmp_path).rate_limits_enabled
    custom = load_settings({**base, "FAIRFINDER_CORS_ORIGINS": "https://A.example.org/, http://localhost:3000",
                            "FAIRFINDER_EXTENSION_IDS": "ABCDEFGHIJKLMNOPABCDEFGHIJKLMNOP", "FAIRFINDER_LOG_FORMAT": "text",
                            "FAIRFINDER_RATE_LIMIT_WRITES": "10/minute"})
    assert custom.cors_origins == ("https://a.example.org", "http://localhost:3000")
    assert custom.extension_ids == ("abcdefghijklmnopabcdefghijklmnop",)
    assert custom.log_format == "text" and custom.rate_limit_writes == (10, 60.0)
    for bad in ({"FAIRFINDER_CORS_ORIGINS": "*"}, {"FAIRFINDER_CORS_ORIGINS": "example.org"},
                {"FAIRFINDER_LOG_FORMAT": "xml"}, {"FAIRFINDER_RATE_LIMIT_IP": "lots"}):
        with pytest.raises(SettingsError):
            load_settings({**base, **bad})


def test_in_process_apps_have_no_rate_limits(client: TestClient) -> None:
    assert all(client.get("/api/v1/me").status_code == 401 for _ in range(400))


def test_an_in_process_app_with_limits_answers_429(settings: Settings) -> None:
    limited = msgspec.structs.replace(settings, rate_limits_enabled=True, rate_limit_ip=(3, 60.0))
    with TestClient(app=create_app(limited), raise_server_exceptions=False) as test_client:
        statuses = [test_client.get("/api/v1/me").status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert test_client.get("/health").status_code == 200  # probes are never limited
