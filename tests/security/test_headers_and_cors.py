"""Security headers on every answer, CSP on HTML only, and who may read the API cross-origin (server/security.py)."""
from __future__ import annotations

import re
from collections.abc import Iterator

import msgspec
import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.settings import Settings
from tests.conftest import register

CHROME_EXTENSION = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
FIREFOX_EXTENSION = "moz-extension://0b7c5b0e-3f7c-4d59-9c1e-9a0e6d4c2f11"
MTURK = "https://worker.mturk.com"
EVERY_RESPONSE = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


def client_with(settings: Settings, **changes: object) -> TestClient:
    return TestClient(app=create_app(msgspec.structs.replace(settings, **changes)), raise_server_exceptions=False)


@pytest.fixture
def pinned(settings: Settings) -> Iterator[TestClient]:
    """A server that names its extension ids and one web origin."""
    with client_with(settings, extension_ids=("abcdefghijklmnopabcdefghijklmnop",),
                     cors_origins=("https://dashboard.example.org",)) as test_client:
        yield test_client


def csp_directives(value: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in value.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/health", "/api/v1/me", "/api/v1/reviews/999", "/no/such/path", "/listen",
                                  "/r/", "/schema", "/schema/openapi.json", "/api/multi-attrs.php?ids=A1",
                                  "/api/v1/export/ratings"])
def test_security_headers_on_every_answer(client: TestClient, path: str) -> None:
    response = client.get(path)
    for name, value in EVERY_RESPONSE.items():
        assert response.headers.get(name) == value, (path, name, response.headers)
    assert response.headers["permissions-policy"].startswith("camera=()")
    html = response.headers["content-type"].startswith("text/html")
    assert response.headers["referrer-policy"] == ("same-origin" if html else "no-referrer")
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


def test_json_answers_get_no_referrer_and_no_csp(client: TestClient) -> None:
    for path in ("/health", "/api/v1/reviews/999", "/no/such/path"):
        response = client.get(path)
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "content-security-policy" not in response.headers


def test_html_pages_get_a_strict_csp(client: TestClient) -> None:
    # Litestar's own HTML 404 under /schema has no policy of its own: it gets the default one.
    response = client.get("/schema/no-such-viewer")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    # same-origin, not no-referrer: under no-referrer browsers send `Origin: null` on the page's own form posts
    assert response.headers["referrer-policy"] == "same-origin"
    directives = csp_directives(response.headers["content-security-policy"])
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    # Pages with their own policy keep it (the listen view's is stricter still: no data: images).
    for path in ("/listen", "/r/", "/r/mturk/ANOBODY"):
        page = client.get(path)
        assert page.headers["content-type"].startswith("text/html"), path
        policy = csp_directives(page.headers["content-security-policy"])
        assert policy["default-src"] == ["'none'"] and policy["script-src"] == ["'self'"], path
        assert "'unsafe-inline'" not in page.headers["content-security-policy"], path


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger"])
def test_docs_pages_run_only_this_servers_scripts(client: TestClient, path: str) -> None:
    """The viewer is served from here (server/apidocs) and started by a file: no inline script, no other host."""
    response = client.get(path)
    assert response.status_code == 200
    directives = csp_directives(response.headers["content-security-policy"])
    inline = re.findall(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", response.text, re.S | re.I)
    assert inline == []
    assert re.findall(r'<script src="([^"]+)"', response.text)[0].startswith("/schema/static/swagger-ui/swagger-ui-bundle.js?v=")
    assert directives["script-src"] == ["'self'"]
    assert "http" not in response.headers["content-security-policy"]
    assert directives["default-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert directives["connect-src"] == ["'self'"]


def test_extension_origins_may_read_the_api_when_no_ids_are_configured(client: TestClient) -> None:
    for origin in (CHROME_EXTENSION, FIREFOX_EXTENSION):
        response = client.get("/health", headers={"Origin": origin})
        assert response.headers["access-control-allow-origin"] == origin
        assert "Origin" in response.headers["vary"]
        assert "Retry-After" in response.headers["access-control-expose-headers"]


def test_web_origins_are_not_allowed_by_default(client: TestClient) -> None:
    for origin in ("https://evil.example", MTURK, "null", "chrome-extension://../x"):
        response = client.get("/api/v1/requesters/mturk/A1", headers={"Origin": origin})
        assert response.status_code == 404  # CORS never blocks the request itself: the browser hides the answer
        assert "access-control-allow-origin" not in response.headers, origin
        assert "Origin" in response.headers["vary"]


def test_configured_ids_and_origins(pinned: TestClient) -> None:
    assert pinned.get("/health", headers={"Origin": CHROME_EXTENSION}).headers["access-control-allow-origin"] == CHROME_EXTENSION
    other = pinned.get("/health", headers={"Origin": "chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba"})
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in pinned.get("/health", headers={"Origin": FIREFOX_EXTENSION}).headers
    web = pinned.get("/health", headers={"Origin": "https://dashboard.example.org"})
    assert web.headers["access-control-allow-origin"] == "https://dashboard.example.org"
    assert "access-control-allow-origin" not in pinned.get("/health", headers={"Origin": "https://dashboard.example.org.evil"}).headers


def test_preflight_allowed_and_refused(pinned: TestClient) -> None:
    allowed = pinned.options("/api/v1/reviews", headers={
        "Origin": "https://dashboard.example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "https://dashboard.example.org"
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert {"authorization", "content-type"} <= {h.strip() for h in allowed.headers["access-control-allow-headers"].split(",")}
    refusals = [
        {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        {"Origin": "https://dashboard.example.org", "Access-Control-Request-Method": "TRACE"},
        {"Origin": "https://dashboard.example.org", "Access-Control-Request-Method": "POST",
         "Access-Control-Request-Headers": "x-secret-sauce"},
    ]
    for headers in refusals:
        refused = pinned.options("/api/v1/reviews", headers=headers)
        assert refused.status_code == 403, headers
        assert refused.json()["code"] == "cors_refused"
    evil = pinned.options("/api/v1/reviews", headers=refusals[0])
    assert "access-control-allow-origin" not in evil.headers


def test_an_options_request_that_is_no_preflight_reaches_the_app(client: TestClient) -> None:
    response = client.options("/api/v1/reviews")
    assert response.status_code == 204 and "POST" in response.headers["allow"]


def test_turkopticon_routes_stay_open_to_any_page(pinned: TestClient, client: TestClient) -> None:
    for test_client in (client, pinned):
        for path in ("/api/multi-attrs.php?ids=A1", "/requesters?rids=A1", "/requesters/A1"):
            response = test_client.get(path, headers={"Origin": MTURK})
            assert response.headers["access-control-allow-origin"] == "*", path
            assert "Origin" not in response.headers.get("vary", ""), path
        # TO1 answers as text/html with its own tight policy, which the app-wide default does not replace
        to1 = test_client.get("/api/multi-attrs.php?ids=A1")
        assert csp_directives(to1.headers["content-security-policy"]) == {"default-src": ["'none'"],
                                                                         "frame-ancestors": ["'none'"]}
        # a script that adds its own header still gets through the preflight
        preflight = test_client.options("/requesters", headers={
            "Origin": MTURK, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "accept, x-userscript-version"})
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "x-userscript-version" in preflight.headers["access-control-allow-headers"]
        assert "GET" in preflight.headers["access-control-allow-methods"]


def test_the_open_dump_is_readable_from_any_origin(client: TestClient) -> None:
    response = client.get("/api/v1/export/ratings", headers={"Origin": "https://another-community.example"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "ETag" in response.headers["access-control-expose-headers"]


def test_writes_from_an_allowed_origin_carry_cors_headers(client: TestClient) -> None:
    auth = register(client)
    response = client.put("/api/v1/me/filters", json={}, headers={**auth, "Origin": CHROME_EXTENSION})
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == CHROME_EXTENSION
    assert "access-control-allow-credentials" not in response.headers  # bearer tokens, never cookies
