"""GET /metrics in Prometheus' text format: requests by method, route template and status; job outcomes."""
from __future__ import annotations

import msgspec
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from server.app import create_app
from server.community.runner import Outcome
from server.jobs import record_run
from server.settings import Settings
from tests.conftest import register


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_by_route_template_never_by_raw_path(client: TestClient) -> None:
    before = scrape(client)
    auth = register(client)
    for review_id in (11111, 22222, 33333):
        assert client.get(f"/api/v1/reviews/{review_id}", headers=auth).status_code == 404
    assert client.get("/no/such/place/A3SECRETPATH").status_code == 404
    assert client.delete("/health").status_code == 405
    after = scrape(client)
    route = "/api/v1/reviews/{review_id}"
    assert value(after, "fairfinder_http_requests_total", method="GET", route=route, status="404") \
        - value(before, "fairfinder_http_requests_total", method="GET", route=route, status="404") == 3
    assert value(after, "fairfinder_http_requests_total", method="POST", route="/api/v1/workers", status="201") \
        - value(before, "fairfinder_http_requests_total", method="POST", route="/api/v1/workers", status="201") == 1
    assert value(after, "fairfinder_http_request_duration_seconds_count", method="GET", route=route, status="404") \
        - value(before, "fairfinder_http_request_duration_seconds_count", method="GET", route=route, status="404") == 3
    assert value(after, "fairfinder_http_requests_total", method="GET", route="unmatched", status="404") \
        - value(before, "fairfinder_http_requests_total", method="GET", route="unmatched", status="404") == 1
    labels = {dict(key[1]).get("route") for key in after}
    assert not any(str(label).endswith(("11111", "22222", "A3SECRETPATH")) for label in labels)
    assert value(after, "fairfinder_build_info", version=client.get("/health").json()["version"]) == 1.0
    assert value(after, "fairfinder_database_up") == 1.0


def test_job_runs_are_counted_with_their_durations(client: TestClient) -> None:
    sessionmaker = client.app.state.sessionmaker
    before = scrape(client)

    async def ok() -> Outcome:
        return Outcome("ok", "did it", {"things": 1})

    async def crash() -> Outcome:
        raise RuntimeError("boom")

    client.blocking_portal.call(record_run, sessionmaker, "metrics-test-job", ok)
    client.blocking_portal.call(record_run, sessionmaker, "metrics-test-job", ok)
    client.blocking_portal.call(record_run, sessionmaker, "metrics-test-job", crash)
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("fairfinder_job_runs_total", job="metrics-test-job", status="ok") == 2
    assert delta("fairfinder_job_runs_total", job="metrics-test-job", status="failed") == 1
    assert delta("fairfinder_job_duration_seconds_count", job="metrics-test-job") == 3
    assert value(after, "fairfinder_job_last_finished_timestamp_seconds", job="metrics-test-job", status="ok") > 1.7e9


def test_metrics_token(settings: Settings) -> None:
    with TestClient(app=create_app(msgspec.structs.replace(settings, metrics_token="scrape-me")),
                    raise_server_exceptions=False) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200
