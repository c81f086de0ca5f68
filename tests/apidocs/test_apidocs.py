"""The API documentation's viewer is Swagger UI as published (the hashes its README lists), served from here."""
from __future__ import annotations

import hashlib
import re

from litestar.testing import TestClient

from server.apidocs import STATIC_DIR, SWAGGER_UI_VERSION

README = (STATIC_DIR / "swagger-ui" / "README.md").read_text()


def test_the_vendored_files_are_the_published_ones_with_their_licence() -> None:
    listed = dict(re.findall(r"\| `([^`]+)` \| `([0-9a-f]{64})` \|", README))
    assert set(listed) == {"swagger-ui-bundle.js", "swagger-ui.css"}
    for name, digest in listed.items():
        assert hashlib.sha256((STATIC_DIR / "swagger-ui" / name).read_bytes()).hexdigest() == digest, name
    assert f"swagger-ui-dist@{SWAGGER_UI_VERSION}" in README
    assert "Apache License" in (STATIC_DIR / "swagger-ui" / "LICENSE").read_text()
    assert "SmartBear" in (STATIC_DIR / "swagger-ui" / "NOTICE").read_text()


def test_the_page_links_only_files_this_server_serves(client: TestClient) -> None:
    page = client.get("/schema")
    assert page.status_code == 200 and '<html lang="en">' in page.text
    urls = re.findall(r'(?:href|src)="(/schema/static/[^"]+)"', page.text)
    assert len(urls) == 4
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert "max-age=31536000" in answer.headers["cache-control"]
    assert 'data-url="/schema/openapi.json"' in page.text
